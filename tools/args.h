// tools/args.h: the command-line parser shared by every churnkit subcommand.
//
// A parser knows its program name ("churnkit validate"), its positional
// arguments and its options; it parses argv, fills the caller's variables
// and renders the --help text. Options take the forms `--name value` and
// `--name=value`; `--` ends the options; `-h` / `--help` is always known.
//
// Example:
//   ArgParser parser("churnkit validate", "Ingest a data set ...");
//   bool strict = false;
//   std::vector<std::string> paths;
//   parser.AddFlag("strict", "Stop at the first error", &strict);
//   parser.AddPositional("PATH", "Data set to read", /*min=*/1, /*max=*/1,
//                        &paths);
//   if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
#ifndef CHURNKIT_TOOLS_ARGS_H_
#define CHURNKIT_TOOLS_ARGS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace churnkit::cli {

// Process exit codes of the churnkit program.
inline constexpr int kExitOk = 0;
// The work failed: unreadable input, invalid data in strict mode...
inline constexpr int kExitFailure = 1;
// The command line itself is wrong.
inline constexpr int kExitUsage = 2;

class ArgParser {
 public:
  // `program` names the command in messages ("churnkit info"); `summary`
  // is the paragraph printed under the usage line of --help.
  ArgParser(std::string program, std::string summary);

  // A flag without a value, e.g. --strict.
  void AddFlag(std::string name, std::string help, bool* out);
  // An option with a text value, e.g. --out PATH.
  void AddString(std::string name, std::string value_name, std::string help,
                 std::string* out);
  // An option with an integer value in [min, max].
  void AddInt(std::string name, std::string value_name, std::string help,
              int64_t min, int64_t max, int64_t* out);
  // An option whose text is checked and stored by `set`; an error from
  // `set` is a usage error and its message is shown to the user.
  void AddOption(std::string name, std::string value_name, std::string help,
                 std::function<absl::Status(absl::string_view)> set);
  // Positional arguments named `name` in the usage line; between `min` and
  // `max` of them are accepted and appended to `out` in order.
  void AddPositional(std::string name, std::string help, int min, int max,
                     std::vector<std::string>* out);

  // Parses `args` (the arguments after the program or subcommand name).
  // Returns nullopt when the caller should go on; otherwise the exit code:
  // kExitOk after printing --help to stdout, kExitUsage after printing the
  // error and a hint to stderr.
  std::optional<int> Parse(absl::Span<const std::string> args);

  // The full --help text.
  std::string Help() const;
  const std::string& program() const { return program_; }

  // Prints "<program>: <message>" and the --help hint to stderr; returns
  // kExitUsage. For checks that only the command can make after Parse.
  int UsageError(const std::string& message) const;

 private:
  struct Option {
    std::string name;
    std::string value_name;  // empty for flags
    std::string help;
    std::function<absl::Status(absl::string_view)> set;
  };
  struct Positional {
    std::string name;
    std::string help;
    int min = 0;
    int max = 0;
    std::vector<std::string>* out = nullptr;
  };

  const Option* FindOption(absl::string_view name) const;

  std::string program_;
  std::string summary_;
  std::vector<Option> options_;
  std::vector<Positional> positionals_;
};

}  // namespace churnkit::cli

#endif  // CHURNKIT_TOOLS_ARGS_H_
