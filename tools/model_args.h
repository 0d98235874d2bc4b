// Flags and printing shared by `churnkit train`, `predict` and `evaluate`
// (train.cc, predict.cc, evaluate.cc).
#ifndef CHURNKIT_TOOLS_MODEL_ARGS_H_
#define CHURNKIT_TOOLS_MODEL_ARGS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "args.h"
#include "churnkit/io.h"
#include "churnkit/v1/metrics.pb.h"

namespace churnkit::cli {

// The input table and how its columns are read.
struct TableArgs {
  std::vector<std::string> paths;
  std::string delimiter = ",";
};
void AddTableArgs(ArgParser& parser, TableArgs* args);
absl::StatusOr<PlainTable> ReadTable(const TableArgs& args);

// `v` with `decimals` decimals.
std::string Fixed(double v, int decimals);

// The figures of an evaluation, as a person reads them.
void PrintEvaluation(const v1::Evaluation& e, const std::string& title);

// Threshold options shared by train and evaluate.
struct ThresholdArgs {
  std::optional<double> threshold;
  v1::ThresholdOptions rule;
};
// An option holding a number (not NaN), passed to `set`.
std::function<absl::Status(absl::string_view)> DoubleOption(
    std::function<void(double)> set);
void AddThresholdArgs(ArgParser& parser, ThresholdArgs* t);
v1::EvaluationOptions EvaluationOptionsOf(const ThresholdArgs& t);

}  // namespace churnkit::cli

#endif  // CHURNKIT_TOOLS_MODEL_ARGS_H_
