// tools/commands.h: the subcommands of the churnkit program.
//
// Each subcommand is one function taking the arguments after its name and
// returning the process exit code (kExitOk, kExitFailure, kExitUsage). It
// builds its own ArgParser, so `churnkit <name> --help` documents it. To add
// a subcommand: implement Run<Name> in tools/<name>.cc, declare it here and
// list it in kCommands in tools/churnkit.cc.
#ifndef CHURNKIT_TOOLS_COMMANDS_H_
#define CHURNKIT_TOOLS_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/v1/jobs.pb.h"
#include "churnkit/v1/model.pb.h"

namespace churnkit::cli {

using CommandArgs = absl::Span<const std::string>;

struct Command {
  absl::string_view name;
  // One line for `churnkit --help`.
  absl::string_view summary;
  int (*run)(CommandArgs args);
};

// churnkit validate: ingest a data set and print its error report.
int RunValidate(CommandArgs args);
// churnkit info: counts, date span, event-kind mix, memory.
int RunInfo(CommandArgs args);
// churnkit convert: write a data set in another format.
int RunConvert(CommandArgs args);
// churnkit generate: a synthetic CRM history with its ground truth.
int RunGenerate(CommandArgs args);
// churnkit features: point-in-time feature values of every customer.
int RunFeatures(CommandArgs args);
// churnkit labels: active / passive / hidden churn of every customer.
int RunLabels(CommandArgs args);
// churnkit assess: health, colour, warnings and tasks of every customer.
int RunAssess(CommandArgs args);
// churnkit report: churn and retention rates, trend, cohorts, survival.
int RunReport(CommandArgs args);
// churnkit train: fit a logistic churn model on a plain table or on a
// training panel of a data set.
int RunTrain(CommandArgs args);
// churnkit predict: churn probabilities (and reasons) of a plain table.
int RunPredict(CommandArgs args);
// churnkit evaluate: ROC-AUC, lift, calibration of a model on a table.
int RunEvaluate(CommandArgs args);
// churnkit scorecard: learn a health scorecard from churn history.
int RunScorecard(CommandArgs args);

// churnkit abtest: A/B tests of retention interventions.
int RunAbTest(CommandArgs args);

// churnkit clv: BG/NBD + Gamma-Gamma customer lifetime value.
int RunClv(CommandArgs args);

// churnkit segment: value tiers, value x risk matrix, churn-reason matrix.
int RunSegment(CommandArgs args);

// churnkit windows: passive-churn windows chosen from history.
int RunWindows(CommandArgs args);

// churnkit partition: a data set split into customer partitions.
int RunPartition(CommandArgs args);

// Parses a --as-of style date into *out (for ArgParser::AddOption).
absl::Status ParseAsOf(absl::string_view text, UnixSeconds* out);

// Appends the dates of a comma-separated list ("2025-01-01,2025-04-01") to
// *out, in the order given (for --dates).
absl::Status ParseDates(absl::string_view text, std::vector<UnixSeconds>* out);

// The churn labeler of a churnkit.v1.ChurnDefinition file; an empty path
// means the shipped definition.
absl::StatusOr<ChurnLabeler> LabelerFromFile(const std::string& path);

// Adds --definition FILE and --panel-label began|at-end, the labelling
// options of commands that build training panels.
void AddPanelLabelArgs(ArgParser& parser, std::string* definition_file,
                       PanelLabel* label);

// The training panel flags of `churnkit train` and `churnkit scorecard`.
struct PanelArgs {
  std::vector<UnixSeconds> dates;
  int64_t horizon_days = 90;
  UnixSeconds test_from = kNoTime;
  std::string features_file;    // empty: the shipped feature set
  std::string definition_file;  // empty: the shipped churn definition
  PanelLabel label = PanelLabel::kChurnBegan;
};

// Fills the panel fields of a TrainRequest or ScorecardRequest (the same
// names) from the flags, reading the feature set and definition files.
template <typename Request>
absl::Status FillPanelRequest(const PanelArgs& a, Request* request) {
  for (UnixSeconds t : a.dates) request->add_as_of_dates(FormatTime(t));
  request->set_horizon_days(static_cast<int32_t>(a.horizon_days));
  if (a.test_from != kNoTime) request->set_test_from(FormatTime(a.test_from));
  if (!a.features_file.empty()) {
    if (absl::Status s =
            ReadConfigFile(a.features_file, request->mutable_features());
        !s.ok()) {
      return s;
    }
  }
  if (!a.definition_file.empty()) {
    if (absl::Status s =
            ReadConfigFile(a.definition_file, request->mutable_definition());
        !s.ok()) {
      return s;
    }
  }
  request->set_panel_label(a.label == PanelLabel::kChurnedAtEnd
                               ? v1::PANEL_LABEL_CHURNED_AT_END
                               : v1::PANEL_LABEL_CHURN_BEGAN);
  return absl::OkStatus();
}

// Reads a model written by `churnkit train --out` (errors name the path).
absl::StatusOr<v1::LogisticModel> ReadModel(const std::string& path);

}  // namespace churnkit::cli

#endif  // CHURNKIT_TOOLS_COMMANDS_H_
