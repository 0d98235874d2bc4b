// churnkit predict: scores a plain table with a model and explains each row.

#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "args.h"
#include "churnkit/features.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "commands.h"
#include "data_input.h"
#include "model_args.h"
#include "table.h"

namespace churnkit::cli {
absl::StatusOr<v1::LogisticModel> ReadModel(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path, INT_MAX);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<v1::LogisticModel> model = ParseModel(*bytes);
  if (!model.ok()) {
    return absl::Status(model.status().code(),
                        absl::StrCat(path, ": ", model.status().message()));
  }
  return model;
}

int RunPredict(CommandArgs args) {
  ArgParser parser(
      "churnkit predict",
      "Scores a plain table with a model from `churnkit train` and prints\n"
      "CSV: the customer id and churn probability, and with --explain K the\n"
      "K strongest risk-raising and K protective reasons of each customer\n"
      "(feature text and log-odds contribution against an average "
      "customer).");
  TableArgs table_args;
  std::string model_path, feature_file;
  int64_t explain = 0;
  AddTableArgs(parser, &table_args);
  parser.AddString("model", "FILE", "The model (required)", &model_path);
  parser.AddInt("explain", "K", "Reasons per side (default 0: none)", 0, 1000,
                &explain);
  parser.AddString("features", "FILE",
                   "A churnkit.v1.FeatureSet whose descriptions word the "
                   "reasons (default: the shipped feature set)",
                   &feature_file);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (model_path.empty()) return parser.UsageError("--model is required");
  absl::StatusOr<v1::LogisticModel> model = ReadModel(model_path);
  if (!model.ok()) return Fail(parser, model.status());
  absl::StatusOr<PlainTable> table = ReadTable(table_args);
  if (!table.ok()) return Fail(parser, table.status());
  absl::StatusOr<EncodedTable> encoded = EncodeForModel(*model, *table);
  if (!encoded.ok()) return Fail(parser, encoded.status());
  const MatrixView view = MatrixView::Of(encoded->features);
  if (explain == 0) {
    absl::StatusOr<std::vector<double>> p = Predict(*model, view);
    if (!p.ok()) return Fail(parser, p.status());
    std::printf("customer_id,probability\n");
    for (size_t i = 0; i < p->size(); ++i) {
      std::string line;
      AppendCsvCell(encoded->features.customer_ids[i], &line);
      std::printf("%s,%.6f\n", line.c_str(), (*p)[i]);
    }
    return kExitOk;
  }
  absl::StatusOr<v1::FeatureSet> set = DefaultFeatureSet();
  if (!feature_file.empty()) {
    set = v1::FeatureSet();
    if (absl::Status s = ReadConfigFile(feature_file, &*set); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!set.ok()) return Fail(parser, set.status());
  absl::StatusOr<v1::Explanations> why = Explain(
      *model, view, {.top_k = static_cast<int>(explain), .feature_set = &*set});
  if (!why.ok()) return Fail(parser, why.status());
  std::string header = "customer_id,probability";
  for (int64_t k = 1; k <= explain; ++k) absl::StrAppend(&header, ",risk_", k);
  for (int64_t k = 1; k <= explain; ++k) {
    absl::StrAppend(&header, ",protective_", k);
  }
  std::printf("%s\n", header.c_str());
  for (const v1::Explanation& e : why->rows()) {
    std::string line;
    AppendCsvCell(e.customer_id(), &line);
    absl::StrAppend(&line, ",", absl::StrFormat("%.6f", e.probability()));
    for (const auto* list : {&e.risk(), &e.protective()}) {
      for (int64_t k = 0; k < explain; ++k) {
        line += ',';
        if (k < list->size()) {
          const v1::Reason& r = list->Get(static_cast<int>(k));
          AppendCsvCell(
              absl::StrFormat("%s (%+.2f)", r.text(), r.contribution()), &line);
        }
      }
    }
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

}  // namespace churnkit::cli
