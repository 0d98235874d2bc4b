// Generator benchmarks: events generated per second, into memory (a built
// Dataset) and streamed to disk as CSV and PB, on 1 and 2 threads.
//
// Environment:
//   CHURNKIT_BENCH_GEN_CUSTOMERS  customers per run (default 5000; the
//                                 default 2-year period gives about 165
//                                 events per customer)
//   CHURNKIT_BENCH_DIR            where the output is written (default: a
//                                 temporary directory, removed at exit)
//
// Counters: events/s (generated events per second of wall time), events
// (per run).
//
//   build/bench/bench/generator_bench --benchmark_filter=Csv
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "churnkit/generator.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;

int64_t Customers() {
  const char* env = std::getenv("CHURNKIT_BENCH_GEN_CUSTOMERS");
  int64_t n = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &n) && n > 0) return n;
  return 5000;
}

// The output directory, removed at exit when it is a temporary one.
class OutputDir {
 public:
  static const fs::path& Get() {
    static OutputDir dir;
    return dir.path_;
  }
  ~OutputDir() {
    if (temporary_) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    }
  }

 private:
  OutputDir() {
    const char* env = std::getenv("CHURNKIT_BENCH_DIR");
    if (env != nullptr && *env != '\0') {
      path_ = fs::path(env) / "generator_bench";
    } else {
      path_ = fs::temp_directory_path() /
              absl::StrCat("churnkit_generator_bench_", ::getpid());
      temporary_ = true;
    }
    fs::create_directories(path_);
  }
  fs::path path_;
  bool temporary_ = false;
};

v1::GeneratorConfig BenchConfig() {
  v1::GeneratorConfig config;
  config.set_customers(Customers());
  config.set_seed(1);
  return config;
}

void Report(benchmark::State& state, int64_t events) {
  state.counters["events"] = static_cast<double>(events);
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events) * state.iterations(),
                         benchmark::Counter::kIsRate);
}

// Simulation plus DatasetBuilder: the in-memory path of the tests.
void BM_GenerateInMemory(benchmark::State& state) {
  GenerateOptions options;
  options.threads = static_cast<int>(state.range(0));
  int64_t events = 0;
  for (auto _ : state) {
    absl::StatusOr<GeneratedData> data =
        GenerateInMemory(BenchConfig(), options);
    if (!data.ok()) {
      state.SkipWithError(std::string(data.status().message()).c_str());
      return;
    }
    events = static_cast<int64_t>(data->dataset.num_events());
    benchmark::DoNotOptimize(data->dataset.num_events());
  }
  Report(state, events);
}

// Streaming to files, as `churnkit generate` does.
void BM_Generate(benchmark::State& state, v1::Format format) {
  GenerateOptions options;
  options.threads = static_cast<int>(state.range(0));
  const std::string out = (OutputDir::Get() / v1::Format_Name(format)).string();
  int64_t events = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::GeneratorSummary> summary =
        Generate(BenchConfig(), format, out, options);
    if (!summary.ok()) {
      state.SkipWithError(std::string(summary.status().message()).c_str());
      return;
    }
    events = summary->events();
  }
  Report(state, events);
}

BENCHMARK(BM_GenerateInMemory)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Generate, Csv, v1::CSV)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Generate, Pb, v1::PB)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace churnkit

BENCHMARK_MAIN();
