// Writes the benchmark's synthetic data set (bench/synthetic.h) so that other
// tools (bench/compare/ingest_vs_pandas.py) can read exactly the bytes that
// ingest_bench reads.
//
//   make_events_csv --out DIR [--events N] [--customers N] [--formats csv,pb]
//
// Writes DIR/csv/ (customers.csv, events.csv, ...), DIR/events.pb and
// DIR/events.jsonl as asked, each with a manifest; ingest_bench run with
// CHURNKIT_BENCH_DIR=DIR and the same sizes reuses them.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "churnkit/io.h"
#include "synthetic.h"

namespace {

int Usage(const char* message) {
  if (message != nullptr)
    std::fprintf(stderr, "make_events_csv: %s\n", message);
  std::fprintf(stderr,
               "usage: make_events_csv --out DIR [--events N] "
               "[--customers N] [--jsonl-events N] [--formats csv,pb,jsonl]\n"
               "Defaults: 5000000 events, 20000 customers, jsonl events = "
               "events / 10, formats csv.\n");
  return message == nullptr ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  churnkit::bench::SyntheticSpec spec;
  int64_t jsonl_events = -1;
  std::string out, formats = "csv";
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Usage(nullptr);
    if (i + 1 >= argc) return Usage("missing value after an option");
    const char* value = argv[++i];
    int64_t n = 0;
    if (arg == "--out") {
      out = value;
    } else if (arg == "--formats") {
      formats = value;
    } else if (!absl::SimpleAtoi(value, &n) || n <= 0) {
      return Usage("counts must be positive integers");
    } else if (arg == "--events") {
      spec.num_events = n;
    } else if (arg == "--customers") {
      spec.num_customers = n;
    } else if (arg == "--jsonl-events") {
      jsonl_events = n;
    } else {
      return Usage("unknown option");
    }
  }
  if (out.empty()) return Usage("--out is required");
  for (absl::string_view name : absl::StrSplit(formats, ',')) {
    absl::StatusOr<churnkit::v1::Format> format = churnkit::ParseFormat(name);
    if (!format.ok())
      return Usage(std::string(format.status().message()).c_str());
    churnkit::bench::SyntheticSpec s = spec;
    const char* file = "csv";
    if (*format == churnkit::v1::JSONL) {
      s.num_events = jsonl_events > 0
                         ? jsonl_events
                         : std::max<int64_t>(spec.num_events / 10, 1);
      file = "events.jsonl";
    } else if (*format == churnkit::v1::PB) {
      file = "events.pb";
    }
    absl::StatusOr<std::string> path =
        churnkit::bench::EnsureSynthetic(s, *format, out, file);
    if (!path.ok()) {
      std::fprintf(stderr, "make_events_csv: %s\n",
                   std::string(path.status().message()).c_str());
      return 1;
    }
    std::printf("%s\n", path->c_str());
  }
  return 0;
}
