// tools/data_input.h: the data-set arguments shared by every subcommand
// that reads data (PATH..., --format, --load-options, --strict,
// --max-errors), turned into a churnkit.v1.LoadOptions; and the protobuf
// JSON output behind --json.
#ifndef CHURNKIT_TOOLS_DATA_INPUT_H_
#define CHURNKIT_TOOLS_DATA_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "args.h"
#include "churnkit/io.h"
#include "churnkit/v1/ingest.pb.h"
#include "google/protobuf/message.h"

namespace churnkit::cli {

// What the command line says about the input data set.
struct DataInput {
  std::vector<std::string> paths;
  v1::Format format = v1::FORMAT_UNSPECIFIED;  // unset: guessed from PATH
  std::string load_options_file;
  bool strict = false;
  int64_t max_errors = 0;  // 0: the LoadOptions file's or the default
};

// Declares PATH... and the input options on `parser`, filling `input`.
void AddDataInputArgs(ArgParser& parser, DataInput* input);

// Merges the --load-options file (if any) with the command line, which
// wins: PATH replaces the file's paths (or, when the file maps vendor
// tables, becomes their base directory), --format replaces its format,
// --strict and --max-errors its validation. A format left unset is
// inferred per path by LoadDataset. Returns InvalidArgument when the
// command line is inconsistent (a usage error), NotFound when a PATH does
// not exist, and FailedPrecondition when the --load-options file cannot be
// used.
absl::StatusOr<v1::LoadOptions> MakeLoadOptions(const DataInput& input);

// LoadDataset, showing its progress on stderr (ProgressLine, prefixed by
// `command`, e.g. "churnkit info") for files of at least 256 MiB.
absl::StatusOr<LoadResult> LoadWithProgress(const v1::LoadOptions& options,
                                            absl::string_view command);

// Reads the data set of `input` for a command: MakeLoadOptions,
// LoadWithProgress (lines prefixed by the parser's program) and
// WarnSkippedRows, filling *options and *loaded. Returns kExitOk, or prints
// the error and returns the exit code: kExitUsage for inconsistent
// arguments (InputError), kExitFailure when the data cannot be read.
int ReadInput(const ArgParser& parser, const DataInput& input,
              v1::LoadOptions* options, LoadResult* loaded);

// Whether `options` stop at the first error.
bool IsStrict(const v1::LoadOptions& options);

// "examples/data (lenient)", "x.dat (jsonl, strict)": what is read and
// how, for report headers; the format shows when it was given.
std::string DescribeInput(const v1::LoadOptions& options);

// Lower-case name of a format: "csv", "jsonl" or "pb".
std::string FormatName(v1::Format format);

// Prints "<program>: error: <status message>" to stderr; returns
// kExitFailure.
int Fail(const ArgParser& parser, const absl::Status& status);

// Reports an error of MakeLoadOptions: InvalidArgument as a usage error
// (kExitUsage), anything else through Fail (kExitFailure).
int InputError(const ArgParser& parser, const absl::Status& status);

// Warns on stderr, for commands other than validate, that the lenient
// load skipped rows with errors; silent when there were none.
void WarnSkippedRows(const ArgParser& parser, const v1::ErrorReport& report);

// Prints `message` as one line of protobuf JSON (field names as in the
// .proto files, zero values included) to stdout.
absl::Status PrintJson(const google::protobuf::Message& message);

}  // namespace churnkit::cli

#endif  // CHURNKIT_TOOLS_DATA_INPUT_H_
