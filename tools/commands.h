// tools/commands.h: the subcommands of the churnkit program.
//
// Each subcommand is one function taking the arguments after its name and
// returning the process exit code (kExitOk, kExitFailure, kExitUsage). It
// builds its own ArgParser, so `churnkit <name> --help` documents it. To add
// a subcommand: implement Run<Name> in tools/<name>.cc, declare it here and
// list it in kCommands in tools/churnkit.cc.
#ifndef CHURNKIT_TOOLS_COMMANDS_H_
#define CHURNKIT_TOOLS_COMMANDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

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

}  // namespace churnkit::cli

#endif  // CHURNKIT_TOOLS_COMMANDS_H_
