// Deterministic synthetic CRM data for the ingestion benchmarks.
//
// A stand-in until the project's data generator exists: a customer table and
// an event log sorted by time (as a CRM export usually is), with the kind mix
// and columns of a real log (logins, feature use, orders, tickets, surveys,
// payments, interactions...). The same (num_customers, num_events, seed)
// always yields byte-identical files, so the C++ benchmark and the pandas
// comparison read exactly the same bytes.
#ifndef CHURNKIT_BENCH_SYNTHETIC_H_
#define CHURNKIT_BENCH_SYNTHETIC_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "churnkit/v1/ingest.pb.h"

namespace churnkit::bench {

struct SyntheticSpec {
  int64_t num_customers = 20000;
  int64_t num_events = 5000000;
  uint64_t seed = 20240601;
};

// Writes the data set in `format` with RecordWriter (WriteEvent fast path):
// CSV: `path` is a directory (customers.csv, events.csv, ...); JSONL / PB:
// `path` is the file.
absl::Status WriteSynthetic(const SyntheticSpec& spec, v1::Format format,
                            const std::string& path);

// Reads an environment variable as a positive count, or `fallback`.
int64_t EnvCount(const char* name, int64_t fallback);

// Size of a file in bytes, or of every regular file in a directory.
absl::StatusOr<uint64_t> PathBytes(const std::string& path);

// Makes sure `dir` holds the data set for `spec` in `format` under the name
// `name` (a subdirectory for CSV, a file otherwise), writing it when absent
// or made from another spec (a small manifest file records the spec).
// Returns the path of the data.
absl::StatusOr<std::string> EnsureSynthetic(const SyntheticSpec& spec,
                                            v1::Format format,
                                            const std::string& dir,
                                            const std::string& name);

}  // namespace churnkit::bench

#endif  // CHURNKIT_BENCH_SYNTHETIC_H_
