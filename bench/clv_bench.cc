// BG/NBD and Gamma-Gamma fits (churnkit/clv.h), docs/performance.md "CLV".
//
//   clv_bench                      # CDNOW (if found) and synthetic sizes
//   CHURNKIT_SHARED_DATA=... clv_bench --benchmark_filter=Cdnow
//
// The synthetic customers are drawn from the BG/NBD process itself (r =
// 0.25, alpha = 4, a = 0.8, b = 2.5, ages uniform in [1, 52] weeks), so
// the counters r_err ... b_err show parameter recovery (relative error).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "churnkit/clv.h"
#include "internal/random.h"

namespace churnkit {
namespace {

constexpr double kR = 0.25, kAlpha = 4, kA = 0.8, kB = 2.5;

// lifetimes' beta_geometric_nbd_model generator: the first purchase at 0,
// exponential gaps at rate lambda, a dropout with probability p after each
// repeat purchase.
RfmSummaries Synthetic(size_t n, uint64_t seed) {
  RfmSummaries rfm;
  rfm.time_unit = v1::CLV_WEEKS;
  for (size_t i = 0; i < n; ++i) {
    internal::Rng rng(seed, i);
    const double lambda = rng.Gamma(kR, 1 / kAlpha);
    const double g1 = rng.Gamma(kA, 1), g2 = rng.Gamma(kB, 1);
    const double p = g1 / (g1 + g2);
    const double age = rng.Uniform(1, 52);
    double t = 0, x = 0;
    while (true) {
      const double next = t + rng.Exponential(lambda);
      if (!(next < age)) break;
      t = next;
      x += 1;
      if (rng.Bernoulli(p)) break;
    }
    rfm.frequency.push_back(x);
    rfm.recency.push_back(x > 0 ? t : 0);
    rfm.age.push_back(age);
  }
  return rfm;
}

void BM_FitBgNbdSynthetic(benchmark::State& state) {
  const RfmSummaries rfm = Synthetic(static_cast<size_t>(state.range(0)), 7);
  v1::BgNbdModel m;
  for (auto _ : state) {
    absl::StatusOr<v1::BgNbdModel> fit = FitBgNbd(rfm);
    if (!fit.ok()) {
      state.SkipWithError(std::string(fit.status().message()).c_str());
      return;
    }
    m = *fit;
  }
  state.counters["customers"] = static_cast<double>(rfm.size());
  state.counters["iterations"] = m.iterations();
  state.counters["r_err"] = m.r() / kR - 1;
  state.counters["alpha_err"] = m.alpha() / kAlpha - 1;
  state.counters["a_err"] = m.a() / kA - 1;
  state.counters["b_err"] = m.b() / kB - 1;
}
BENCHMARK(BM_FitBgNbdSynthetic)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond);

// cdnow_customers_summary_with_transactions.csv: ID,x,t_x,T,zbar.
RfmSummaries Cdnow() {
  const char* env = std::getenv("CHURNKIT_SHARED_DATA");
  const std::string dir = env != nullptr && *env != '\0'
                              ? std::string(env)
                              : std::string("../shared/data");
  std::ifstream in(dir +
                   "/cdnow/cdnow_customers_summary_with_transactions.csv");
  RfmSummaries rfm;
  rfm.time_unit = v1::CLV_WEEKS;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    double v[4];
    if (f.size() != 5) return {};
    for (int k = 0; k < 4; ++k) {
      if (!absl::SimpleAtod(f[k + 1], &v[k])) return {};
    }
    rfm.frequency.push_back(v[0]);
    rfm.recency.push_back(v[1]);
    rfm.age.push_back(v[2]);
    rfm.monetary.push_back(v[3]);
  }
  return rfm;
}

void BM_FitBgNbdCdnow(benchmark::State& state) {
  const RfmSummaries rfm = Cdnow();
  if (rfm.size() == 0) {
    state.SkipWithError("no CDNOW summaries; set CHURNKIT_SHARED_DATA");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(FitBgNbd(rfm));
}
BENCHMARK(BM_FitBgNbdCdnow)->Unit(benchmark::kMillisecond);

void BM_FitGammaGammaCdnow(benchmark::State& state) {
  const RfmSummaries rfm = Cdnow();
  if (rfm.size() == 0) {
    state.SkipWithError("no CDNOW summaries; set CHURNKIT_SHARED_DATA");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(FitGammaGamma(rfm));
}
BENCHMARK(BM_FitGammaGammaCdnow)->Unit(benchmark::kMillisecond);

void BM_PredictClv(benchmark::State& state) {
  const RfmSummaries rfm = Synthetic(static_cast<size_t>(state.range(0)), 7);
  v1::BgNbdModel m;
  m.set_r(kR);
  m.set_alpha(kAlpha);
  m.set_a(kA);
  m.set_b(kB);
  v1::ClvPredictOptions o;
  o.set_horizon(52);
  for (auto _ : state) benchmark::DoNotOptimize(PredictClv(rfm, m, nullptr, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PredictClv)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace churnkit

BENCHMARK_MAIN();
