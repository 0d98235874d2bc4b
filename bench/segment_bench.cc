// Segmentation of many customers (docs/performance.md, "Segmentation").
//
// The data set is built in memory: CHURNKIT_BENCH_CUSTOMERS customers
// (default 1,000,000) signed up in 2023, each with 0..6 orders in 2024 of
// log-normal whole-unit amounts (a long-tailed value distribution), and a churn
// probability per customer. Segment() runs as of 2025-01-01 with historical
// revenue over 365 days, Pareto tiers, tier A = high value and the
// probability cut-off 0.5, under an active-only churn definition (nobody
// churns, as in the pandas script).
//
//   build/segment-bench/bench/segment_bench                 # Google Benchmark
//   build/segment-bench/bench/segment_bench --export DIR    # for pandas:
//     writes DIR/orders.csv and DIR/risk.csv, runs Segment() once and prints
//     one JSON line: seconds, value sum, tier and quadrant counts.
//   bench/compare/segment_vs_pandas.py runs both side by side.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "churnkit/segment.h"
#include "synthetic.h"

namespace churnkit::bench {
namespace {

struct Data {
  Dataset dataset;
  std::vector<std::string> ids;
  std::vector<double> risk;
};

Data Build(int64_t customers, const std::string& export_dir) {
  std::mt19937_64 rng(20250101);
  std::lognormal_distribution<double> amount(5.0, 1.2);
  std::uniform_int_distribution<int> orders(0, 6);
  std::uniform_real_distribution<double> unit(0, 1);
  const UnixSeconds signup = ParseTime("2023-06-01").value();
  const UnixSeconds year = ParseTime("2024-01-01").value();
  DatasetBuilder builder;
  Data d;
  std::ofstream out_orders, out_risk;
  if (!export_dir.empty()) {
    std::filesystem::create_directories(export_dir);
    out_orders.open(export_dir + "/orders.csv");
    out_risk.open(export_dir + "/risk.csv");
    out_orders << "customer_id,time,amount\n";
    out_risk << "customer_id,p\n";
  }
  int64_t row = 0;
  for (int64_t i = 0; i < customers; ++i) {
    v1::Customer c;
    c.set_id(absl::StrFormat("c%07d", i));
    c.mutable_signup_time()->set_seconds(signup);
    (void)builder.AddCustomer(c, {"bench", ++row});
    d.ids.push_back(c.id());
    d.risk.push_back(unit(rng));
    if (out_risk.is_open()) {
      out_risk << c.id() << ',' << absl::StrFormat("%.17g", d.risk.back())
               << '\n';
    }
    // Orders in time order, as a CRM export usually lists them.
    std::vector<std::pair<UnixSeconds, double>> mine(orders(rng));
    for (auto& [time, value] : mine) {
      time = year + static_cast<UnixSeconds>(unit(rng) * 365) * 86400;
      // Whole currency units: every sum is exact, whatever the order
      // (pandas sums groups with Kahan compensation), so ties are equal.
      value = std::round(amount(rng));
    }
    std::stable_sort(
        mine.begin(), mine.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [time, value] : mine) {
      EventInput e;
      e.customer_id = c.id();
      e.kind = v1::ORDER;
      e.time = time;
      e.amount = value;
      (void)builder.AddEvent(e, {"bench", ++row});
      if (out_orders.is_open()) {
        out_orders << c.id() << ',' << e.time << ','
                   << absl::StrFormat("%.0f", e.amount) << '\n';
      }
    }
  }
  d.dataset = builder.Build().value();
  return d;
}

v1::SegmentOptions Options() {
  v1::SegmentOptions o;
  o.set_as_of("2025-01-01");
  o.mutable_risk()->set_source(v1::CHURN_PROBABILITY);
  o.mutable_definition()->add_active()->add_kinds(v1::CANCELLATION);
  return o;
}

const Data& Shared() {
  static const Data* data =
      new Data(Build(EnvCount("CHURNKIT_BENCH_CUSTOMERS", 1000000), ""));
  return *data;
}

void BM_Segment(benchmark::State& state) {
  const Data& d = Shared();
  const v1::SegmentOptions options = Options();
  for (auto _ : state) {
    absl::StatusOr<v1::SegmentReport> r =
        Segment(d.dataset, options, RiskInput{d.ids, d.risk});
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(d.ids.size()));
}
BENCHMARK(BM_Segment)->Unit(benchmark::kMillisecond)->UseRealTime();

int Export(const std::string& dir) {
  const Data d = Build(EnvCount("CHURNKIT_BENCH_CUSTOMERS", 1000000), dir);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<v1::SegmentReport> r =
      Segment(d.dataset, Options(), RiskInput{d.ids, d.risk});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  std::printf(
      "{\"seconds\": %.4f, \"customers\": %d, \"value\": %.2f, "
      "\"tiers\": [%lld, %lld, %lld], \"quadrants\": [%lld, %lld, %lld, "
      "%lld], \"revenue_at_risk\": %.2f}\n",
      seconds, r->customers_size(), r->total_value(),
      static_cast<long long>(r->tiers(0).customers()),
      static_cast<long long>(r->tiers(1).customers()),
      static_cast<long long>(r->tiers(2).customers()),
      static_cast<long long>(r->quadrants(0).customers()),
      static_cast<long long>(r->quadrants(1).customers()),
      static_cast<long long>(r->quadrants(2).customers()),
      static_cast<long long>(r->quadrants(3).customers()),
      r->total_revenue_at_risk());
  return 0;
}

}  // namespace
}  // namespace churnkit::bench

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--export") == 0) {
    return churnkit::bench::Export(argv[2]);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
