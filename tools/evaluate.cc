// churnkit evaluate: scores a labelled plain table with a model and prints
// the evaluation.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "churnkit/io.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "commands.h"
#include "data_input.h"
#include "model_args.h"

namespace churnkit::cli {
int RunEvaluate(CommandArgs args) {
  ArgParser parser(
      "churnkit evaluate",
      "Scores a labelled plain table with a model from `churnkit train` and\n"
      "prints ROC-AUC, PR-AUC, log-loss, Brier, lift and gains by decile, a\n"
      "reliability table and the confusion matrix at a threshold (by\n"
      "default the one of maximum F1). --json prints churnkit.v1.Evaluation.");
  TableArgs table_args;
  std::string model_path;
  bool json = false;
  ThresholdArgs threshold;
  AddTableArgs(parser, &table_args);
  parser.AddString("model", "FILE", "The model (required)", &model_path);
  AddThresholdArgs(parser, &threshold);
  parser.AddFlag("json", "Print churnkit.v1.Evaluation as JSON", &json);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (model_path.empty()) return parser.UsageError("--model is required");
  absl::StatusOr<v1::LogisticModel> model = ReadModel(model_path);
  if (!model.ok()) return Fail(parser, model.status());
  absl::StatusOr<PlainTable> table = ReadTable(table_args);
  if (!table.ok()) return Fail(parser, table.status());
  absl::StatusOr<EncodedTable> encoded = EncodeForModel(*model, *table);
  if (!encoded.ok()) return Fail(parser, encoded.status());
  if (encoded->labels.empty()) {
    return Fail(parser, absl::InvalidArgumentError(absl::StrCat(
                            table_args.paths[0], ": no label column '",
                            model->encoding().label_column(), "'")));
  }
  absl::StatusOr<std::vector<double>> p =
      Predict(*model, MatrixView::Of(encoded->features));
  if (!p.ok()) return Fail(parser, p.status());
  absl::StatusOr<v1::Evaluation> e =
      Evaluate(encoded->labels, *p, EvaluationOptionsOf(threshold));
  if (!e.ok()) return Fail(parser, e.status());
  if (json) {
    if (absl::Status s = PrintJson(*e); !s.ok()) return Fail(parser, s);
    return kExitOk;
  }
  PrintEvaluation(*e, table_args.paths[0]);
  return kExitOk;
}

}  // namespace churnkit::cli
