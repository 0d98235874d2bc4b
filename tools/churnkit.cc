// The churnkit command-line program: `churnkit <command> [options] [args]`.
// main() only dispatches to the subcommand table; every subcommand lives in
// its own file (see commands.h) and reaches the library through the public
// C++ API (include/churnkit/*.h) only.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "args.h"
#include "commands.h"

namespace churnkit::cli {
namespace {

constexpr Command kCommands[] = {
    {"validate", "Ingest a data set and print its error report", RunValidate},
    {"info", "Counts, date span, event-kind mix and memory of a data set",
     RunInfo},
    {"convert", "Write a data set as csv, jsonl or pb", RunConvert},
    {"generate", "Generate a realistic synthetic CRM history with ground truth",
     RunGenerate},
    {"features", "Point-in-time feature values of every customer", RunFeatures},
    {"labels", "Active, passive and hidden churn of every customer", RunLabels},
    {"assess", "Health, colour, warnings and tasks of every customer",
     RunAssess},
    {"report", "Churn rate, retention, cohorts and retention curves",
     RunReport},
    {"abtest", "A/B tests of retention interventions: retention, p-values",
     RunAbTest},
    {"train",
     "Fit a logistic churn model on a training panel or a customer table",
     RunTrain},
    {"predict", "Churn probabilities and reasons of a plain customer table",
     RunPredict},
    {"evaluate", "ROC-AUC, lift and calibration of a model on a table",
     RunEvaluate},
    {"scorecard", "Learn a health scorecard from churn history", RunScorecard},
    {"clv", "Lifetime value of order-based customers (BG/NBD, Gamma-Gamma)",
     RunClv},
    {"segment", "Value tiers, value x risk matrix and churn-reason matrix",
     RunSegment},
    {"windows",
     "Passive-churn windows chosen from how long customers stayed away",
     RunWindows},
    {"partition", "Split a data set into customer partitions (scale-out)",
     RunPartition},
};

std::string ProgramHelp() {
  std::string out =
      "Usage: churnkit <command> [options] [args]\n"
      "       churnkit <command> --help\n"
      "\n"
      "Churn analytics for CRM data: ingest and check a customer data set.\n"
      "\n"
      "Commands:\n";
  size_t width = 0;
  for (const Command& command : kCommands) {
    width = std::max(width, command.name.size());
  }
  for (const Command& command : kCommands) {
    out +=
        absl::StrFormat("  %-*s  %s\n", width, command.name, command.summary);
  }
  out +=
      "\n"
      "Options:\n"
      "  -h, --help  Show this help and exit\n"
      "  --version   Print the churnkit version and exit\n"
      "\n"
      "Exit status: 0 success, 1 failure (unreadable or, with --strict,\n"
      "invalid data), 2 usage error.\n";
  return out;
}

int Main(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    std::fputs(ProgramHelp().c_str(), stderr);
    return kExitUsage;
  }
  absl::string_view first = argv[0];
  if (first == "-h" || first == "--help") {
    std::fputs(ProgramHelp().c_str(), stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::printf("churnkit %s\n", CHURNKIT_VERSION);
    return kExitOk;
  }
  for (const Command& command : kCommands) {
    if (command.name == first) {
      return command.run(CommandArgs(argv).subspan(1));
    }
  }
  std::fprintf(stderr,
               "churnkit: unknown %s '%s'\nRun 'churnkit --help' for the "
               "list of commands.\n",
               absl::StartsWith(first, "-") ? "option" : "command",
               argv[0].c_str());
  return kExitUsage;
}

}  // namespace
}  // namespace churnkit::cli

int main(int argc, char** argv) {
  return churnkit::cli::Main(std::vector<std::string>(argv + 1, argv + argc));
}
