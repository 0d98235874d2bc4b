// churnkit partition: split a data set into customer partitions
// (churnkit::PartitionData, docs/scale-out.md).

#include "churnkit/partition.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "args.h"
#include "commands.h"
#include "data_input.h"

namespace churnkit::cli {

int RunPartition(CommandArgs args) {
  ArgParser parser(
      "churnkit partition",
      "Splits a data set into N data sets by a stable hash of the customer\n"
      "id (FNV-1a 64 modulo N), streaming in bounded memory: CSV tables keep\n"
      "their format, PB and JSONL records theirs; owners go to every\n"
      "partition. Each partition is a normal data set (per-customer results\n"
      "on it equal those on the whole); OUT/partitions.textproto lists them\n"
      "with the options that load each. OUT must not exist (or be empty);\n"
      "the partitions appear together or not at all.\n"
      "Example:\n"
      "  churnkit partition data/ --partitions 8 --out data.parts");
  DataInput input;
  int64_t partitions = 0;
  std::string out;
  AddDataInputArgs(parser, &input);
  parser.AddInt("partitions", "N", "Number of partitions (required)", 1, 4096,
                &partitions);
  parser.AddString("out", "DIR", "Output directory (required)", &out);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (partitions == 0) return parser.UsageError("missing --partitions");
  if (out.empty()) return parser.UsageError("missing --out");
  absl::StatusOr<v1::LoadOptions> load = MakeLoadOptions(input);
  if (!load.ok()) return InputError(parser, load.status());

  v1::PartitionRequest request;
  *request.mutable_input() = *std::move(load);
  request.set_partitions(static_cast<int32_t>(partitions));
  request.set_out_dir(out);
  absl::StatusOr<v1::PartitionResult> result = PartitionData(request);
  if (!result.ok()) return Fail(parser, result.status());
  int64_t smallest = INT64_MAX, largest = 0;
  for (const v1::DataPartition& p : result->parts()) {
    smallest = std::min(smallest, p.rows());
    largest = std::max(largest, p.rows());
  }
  std::printf("%lld rows in %d partitions under %s (%lld to %lld rows each)\n",
              static_cast<long long>(result->rows_read()), result->partitions(),
              result->out_dir().c_str(), static_cast<long long>(smallest),
              static_cast<long long>(largest));
  if (result->unrouted() > 0) {
    std::fprintf(stderr,
                 "churnkit partition: warning: %lld rows without a customer "
                 "id (sent to partition 0, whose load reports them, or "
                 "unreadable: %d listed in partitions.textproto)\n",
                 static_cast<long long>(result->unrouted()),
                 result->errors_size());
  }
  return kExitOk;
}

}  // namespace churnkit::cli
