// Benchmarks of the A/B-test analysis (src/experiments.cc): the whole
// AnalyzeExperiments on a generated data set, and Fisher's exact test on
// large 2x2 tables (the tables of tests/reference/experiments_reference.py,
// which records scipy.stats.fisher_exact's time on them for
// docs/experiments.md).
//
//   build/bench/bench/experiments_bench
//   CHURNKIT_BENCH_CUSTOMERS=50000 build/bench/bench/experiments_bench
#include <cstdint>
#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"
#include "churnkit/experiments.h"
#include "churnkit/generator.h"

namespace churnkit {
namespace {

const GeneratedData& Data() {
  static const GeneratedData* data = [] {
    v1::GeneratorConfig config;
    const char* n = std::getenv("CHURNKIT_BENCH_CUSTOMERS");
    config.set_customers(n != nullptr ? std::atoll(n) : 20000);
    config.set_seed(1);
    return new GeneratedData(GenerateInMemory(config).value());
  }();
  return *data;
}

void BM_AnalyzeExperiments(benchmark::State& state) {
  const GeneratedData& data = Data();
  v1::ExperimentOptions options;
  options.set_threads(static_cast<int>(state.range(0)));
  int64_t interventions = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::ExperimentReport> r =
        AnalyzeExperiments(data.dataset, options);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    interventions = r->interventions();
    benchmark::DoNotOptimize(r);
  }
  state.counters["customers"] =
      static_cast<double>(data.dataset.num_customers());
  state.counters["events"] = static_cast<double>(data.dataset.num_events());
  state.counters["interventions"] = static_cast<double>(interventions);
}
BENCHMARK(BM_AnalyzeExperiments)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_FisherExact(benchmark::State& state) {
  const int64_t a = state.range(0), b = state.range(1), c = state.range(2),
                d = state.range(3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(FisherExact(a, b, c, d));
  }
}
BENCHMARK(BM_FisherExact)
    ->Args({3, 1, 1, 3})
    ->Args({5000, 4000, 4800, 4300})
    ->Args({250000, 250000, 249000, 251000})
    ->Args({400000, 100000, 395000, 105000})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace churnkit

BENCHMARK_MAIN();
