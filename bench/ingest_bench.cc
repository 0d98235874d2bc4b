// Ingestion benchmarks: a synthetic CRM export (bench/synthetic.h) read as a
// CSV directory, as a binary PB record stream (from a file and from memory)
// and as JSON lines, each into a built Dataset.
//
// Environment:
//   CHURNKIT_BENCH_EVENTS        events in the CSV / PB data (default 5000000)
//   CHURNKIT_BENCH_CUSTOMERS     customers (default 20000)
//   CHURNKIT_BENCH_JSONL_EVENTS  events in the JSONL data (default events/10)
//   CHURNKIT_BENCH_DIR           where the data is written and reused
//                                (default: a temporary directory, removed at
//                                exit)
//
// Counters: bytes_per_second (input file bytes), events/s, ds_bytes/event
// (Dataset::MemoryUsage() / num_events of the built data set).
//
//   CHURNKIT_BENCH_EVENTS=20000 build/bench/bench/ingest_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "internal/csv.h"
#include "synthetic.h"

namespace churnkit::bench {
namespace {

namespace fs = std::filesystem;

// The data directory and the specs, fixed for the whole run.
class BenchData {
 public:
  static BenchData& Get() {
    // Destroyed at exit, which removes a temporary data directory.
    static BenchData data;
    return data;
  }

  const SyntheticSpec& spec() const { return spec_; }
  const SyntheticSpec& jsonl_spec() const { return jsonl_spec_; }

  // Path of the data in `format`, written on first use. Aborts the run on
  // failure (a benchmark without data means nothing).
  const std::string& Path(v1::Format format) {
    std::string& path = paths_[format];
    if (path.empty()) {
      const SyntheticSpec& spec = format == v1::JSONL ? jsonl_spec_ : spec_;
      const char* name = format == v1::CSV     ? "csv"
                         : format == v1::JSONL ? "events.jsonl"
                                               : "events.pb";
      absl::StatusOr<std::string> p = EnsureSynthetic(spec, format, dir_, name);
      if (!p.ok()) {
        std::fprintf(stderr, "churnkit bench: %s\n",
                     std::string(p.status().message()).c_str());
        std::exit(1);
      }
      path = *p;
    }
    return path;
  }

  uint64_t Bytes(const std::string& path) {
    absl::StatusOr<uint64_t> n = PathBytes(path);
    return n.ok() ? *n : 0;
  }

  // The PB stream in memory (for LoadRecordStream).
  const std::string& PbBytes() {
    if (pb_bytes_.empty()) {
      std::ifstream in(Path(v1::PB), std::ios::binary);
      pb_bytes_.assign(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
    }
    return pb_bytes_;
  }

  ~BenchData() {
    if (temporary_) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

 private:
  BenchData() {
    spec_.num_customers = EnvCount("CHURNKIT_BENCH_CUSTOMERS", 20000);
    spec_.num_events = EnvCount("CHURNKIT_BENCH_EVENTS", 5000000);
    jsonl_spec_ = spec_;
    jsonl_spec_.num_events =
        EnvCount("CHURNKIT_BENCH_JSONL_EVENTS",
                 std::max<int64_t>(spec_.num_events / 10, 1));
    const char* dir = std::getenv("CHURNKIT_BENCH_DIR");
    if (dir != nullptr && *dir != '\0') {
      dir_ = dir;
    } else {
      std::string tmpl =
          (fs::temp_directory_path() / "churnkit-bench-XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) {
        std::perror("churnkit bench: mkdtemp");
        std::exit(1);
      }
      dir_ = tmpl;
      temporary_ = true;
    }
  }

  SyntheticSpec spec_, jsonl_spec_;
  std::string dir_;
  bool temporary_ = false;
  std::string paths_[v1::Format_ARRAYSIZE];
  std::string pb_bytes_;
};

// Reports throughput and the built data set's size; fails the benchmark
// when the data set is not the expected one (a fast wrong answer is not a
// result).
void Report(benchmark::State& state, const LoadResult& result, uint64_t bytes,
            int64_t expected_events) {
  if (static_cast<int64_t>(result.dataset.num_events()) != expected_events ||
      result.report.total_errors() != 0) {
    state.SkipWithError(
        absl::StrCat("unexpected result: ", result.dataset.num_events(),
                     " events (want ", expected_events, "), ",
                     result.report.total_errors(), " errors")
            .c_str());
    return;
  }
  const int64_t n = static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(n * static_cast<int64_t>(bytes));
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(n * expected_events), benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(expected_events);
  state.counters["ds_bytes/event"] =
      static_cast<double>(result.dataset.MemoryUsage()) /
      static_cast<double>(std::max<int64_t>(expected_events, 1));
  state.counters["input_MB"] = static_cast<double>(bytes) / 1e6;
}

// Loads with LoadDataset; the result is destroyed outside the timed region.
void RunLoad(benchmark::State& state, v1::Format format) {
  BenchData& data = BenchData::Get();
  const std::string& path = data.Path(format);
  const uint64_t bytes = data.Bytes(path);
  const int64_t expected = format == v1::JSONL ? data.jsonl_spec().num_events
                                               : data.spec().num_events;
  v1::LoadOptions options;
  options.set_format(format);
  options.add_paths(path);
  std::optional<LoadResult> last;
  for (auto _ : state) {
    absl::StatusOr<LoadResult> r = LoadDataset(options);
    state.PauseTiming();
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    last.reset();
    last.emplace(std::move(*r));
    state.ResumeTiming();
  }
  if (last) Report(state, *last, bytes, expected);
}

// CSV directory (customers.csv + events.csv) -> Dataset.
void BM_CsvLoadDataset(benchmark::State& state) { RunLoad(state, v1::CSV); }

// PB record file -> Dataset.
void BM_PbLoadDataset(benchmark::State& state) { RunLoad(state, v1::PB); }

// JSON lines file -> Dataset (smaller data: JSON parsing is far slower).
void BM_JsonlLoadDataset(benchmark::State& state) { RunLoad(state, v1::JSONL); }

// PB record stream already in memory -> Dataset (the C ABI's path).
void BM_PbLoadRecordStream(benchmark::State& state) {
  BenchData& data = BenchData::Get();
  const std::string& bytes = data.PbBytes();
  std::optional<LoadResult> last;
  for (auto _ : state) {
    absl::StatusOr<LoadResult> r =
        LoadRecordStream(bytes, v1::ValidationOptions());
    state.PauseTiming();
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    last.reset();
    last.emplace(std::move(*r));
    state.ResumeTiming();
  }
  if (last) Report(state, *last, bytes.size(), data.spec().num_events);
}

// Breakdown 1/2: tokenizing events.csv only (no field parsing, no builder).
void BM_CsvTokenizeEvents(benchmark::State& state) {
  BenchData& data = BenchData::Get();
  const std::string path =
      (fs::path(data.Path(v1::CSV)) / "events.csv").string();
  const uint64_t bytes = data.Bytes(path);
  int64_t records = 0;
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<internal::CsvReader>> reader =
        internal::CsvReader::Open(path, internal::CsvOptions());
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      break;
    }
    std::vector<absl::string_view> fields;
    records = 0;
    size_t num_fields = 0;
    for (;;) {
      absl::StatusOr<bool> got = (*reader)->Next(&fields);
      if (!got.ok() || !*got) break;
      ++records;
      num_fields += fields.size();
    }
    benchmark::DoNotOptimize(num_fields);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(bytes));
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * (records - 1)),
      benchmark::Counter::kIsRate);
}

// Breakdown 2/2: reading and validating both CSV tables into a builder,
// without Build() (sorting and packing).
void BM_CsvReadNoBuild(benchmark::State& state) {
  BenchData& data = BenchData::Get();
  const std::string& dir = data.Path(v1::CSV);
  const uint64_t bytes = data.Bytes(dir);
  for (auto _ : state) {
    DatasetBuilder builder;
    absl::Status status;
    for (auto [table, file] : {std::pair{v1::CUSTOMERS, "customers.csv"},
                               std::pair{v1::EVENTS, "events.csv"}}) {
      v1::TableMapping mapping;
      mapping.set_table(table);
      mapping.set_path((fs::path(dir) / file).string());
      status = ReadCsvTable(mapping, builder);
      if (!status.ok()) break;
    }
    if (!status.ok() || builder.report().total_errors() != 0) {
      state.SkipWithError(status.ok() ? "rows rejected"
                                      : std::string(status.message()).c_str());
      break;
    }
    state.PauseTiming();
    builder = DatasetBuilder();  // frees the staged rows untimed
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(bytes));
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * data.spec().num_events),
      benchmark::Counter::kIsRate);
}

BENCHMARK(BM_CsvLoadDataset)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CsvTokenizeEvents)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CsvReadNoBuild)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PbLoadDataset)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PbLoadRecordStream)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_JsonlLoadDataset)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace churnkit::bench

BENCHMARK_MAIN();
