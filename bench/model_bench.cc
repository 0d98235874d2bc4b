// Logistic model benchmarks: fitting (Newton-Cholesky, L-BFGS, L1
// coordinate descent) for n = 1e4 / 1e5 rows and d = 32 / 128 features on
// synthetic data, batch scoring, and a large-array copy and sum that
// measure the memory bandwidth of the same run (scoring reads its matrix
// once, so its bytes/s compare with the sum's read rate and the copy's
// read + write rate). See docs/prediction.md#performance.
//
//   build/bench/bench/model_bench --benchmark_filter='Predict|Copy|Read'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/features.h"
#include "churnkit/model.h"

namespace {

struct Problem {
  churnkit::FeatureMatrix x;
  std::vector<uint8_t> y;
};

// n x d features x_j = N(0, 1) * (1 + j % 5) + j, labels from a logistic
// model with N(0, 4/d) coefficients: informative, not separable. Cached.
const Problem& Data(size_t n, size_t d) {
  static auto* cache =
      new std::map<std::pair<size_t, size_t>, std::unique_ptr<Problem>>();
  std::unique_ptr<Problem>& p = (*cache)[{n, d}];
  if (p != nullptr) return *p;
  p = std::make_unique<Problem>();
  std::mt19937_64 rng(n * 1000003 + d);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<double> beta(d);
  for (double& b : beta)
    b = normal(rng) * 2 / std::sqrt(static_cast<double>(d));
  for (size_t j = 0; j < d; ++j) p->x.columns.push_back(absl::StrCat("f", j));
  p->x.values.resize(n * d);
  for (size_t i = 0; i < n; ++i) {
    double eta = -1;
    for (size_t j = 0; j < d; ++j) {
      const double z = normal(rng);
      p->x.values[i * d + j] = z * (1 + j % 5) + j;
      eta += beta[j] * z;
    }
    p->y.push_back(uniform(rng) < 1 / (1 + std::exp(-eta)) ? 1 : 0);
    p->x.customer_ids.push_back(absl::StrCat(i));
  }
  return *p;
}

void BM_Fit(benchmark::State& state, churnkit::v1::Solver solver,
            churnkit::v1::Penalty penalty) {
  const Problem& p = Data(state.range(0), state.range(1));
  churnkit::v1::FitOptions options;
  options.set_solver(solver);
  options.set_penalty(penalty);
  if (penalty == churnkit::v1::PENALTY_L1) options.set_c(0.01);
  double objective = 0;
  int iterations = 0, evaluations = 0;
  for (auto _ : state) {
    absl::StatusOr<churnkit::v1::LogisticModel> m =
        churnkit::FitLogistic(p.x, p.y, options);
    if (!m.ok()) {
      state.SkipWithError(std::string(m.status().message()).c_str());
      return;
    }
    objective = m->report().objective();
    iterations = m->report().iterations();
    evaluations = m->report().evaluations();
    benchmark::DoNotOptimize(m);
  }
  state.counters["objective"] = objective;
  state.counters["iterations"] = iterations;
  state.counters["evaluations"] = evaluations;
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void FitSizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {10000, 100000}) {
    for (int64_t d : {32, 128}) b->Args({n, d});
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Fit, newton, churnkit::v1::SOLVER_NEWTON_CHOLESKY,
                  churnkit::v1::PENALTY_L2)
    ->Apply(FitSizes);
BENCHMARK_CAPTURE(BM_Fit, lbfgs, churnkit::v1::SOLVER_LBFGS,
                  churnkit::v1::PENALTY_L2)
    ->Apply(FitSizes);
BENCHMARK_CAPTURE(BM_Fit, l1_cd, churnkit::v1::SOLVER_COORDINATE_DESCENT,
                  churnkit::v1::PENALTY_L1)
    ->Apply(FitSizes);

// A model over d features with random coefficients (scoring does not
// depend on how it was fitted).
churnkit::v1::LogisticModel RandomModel(size_t d) {
  std::mt19937_64 rng(d);
  std::normal_distribution<double> normal;
  churnkit::v1::LogisticModel m;
  m.set_format_version(churnkit::kLogisticModelFormat);
  m.set_missing_values(churnkit::v1::MISSING_REJECT);
  for (size_t j = 0; j < d; ++j) {
    m.add_feature_names(absl::StrCat("f", j));
    m.add_means(j);
    m.add_scales(1 + j % 5);
    m.add_coefficients(normal(rng) / std::sqrt(static_cast<double>(d)));
  }
  m.set_intercept(-1);
  return m;
}

// Batch scoring of a 256 MiB matrix (bytes = the matrix read once).
void BM_Predict(benchmark::State& state) {
  const size_t d = state.range(0);
  const size_t n = (size_t{256} << 20) / (8 * d);
  std::vector<std::string> columns;
  for (size_t j = 0; j < d; ++j) columns.push_back(absl::StrCat("f", j));
  std::vector<double> x(n * d);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  for (double& v : x) v = normal(rng);
  const churnkit::v1::LogisticModel model = RandomModel(d);
  std::vector<double> out(n);
  const churnkit::MatrixView view{x, columns, {}};
  for (auto _ : state) {
    absl::Status s = churnkit::PredictInto(model, view, absl::MakeSpan(out));
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * n * d * sizeof(double));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Predict)
    ->Arg(32)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Memory bandwidth: a 256 MiB copy split over as many threads as scoring
// uses (all cores); bytes = read + written.
void BM_Copy(benchmark::State& state) {
  const size_t bytes = size_t{256} << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  const size_t chunk = (bytes + threads - 1) / threads;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      const size_t from = t * chunk, to = std::min(bytes, from + chunk);
      pool.emplace_back([&, from, to] {
        std::memcpy(dst.data() + from, src.data() + from, to - from);
      });
    }
    for (std::thread& th : pool) th.join();
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * bytes);
}
BENCHMARK(BM_Copy)->Unit(benchmark::kMillisecond)->UseRealTime();

// Read bandwidth: a 256 MiB array summed by as many threads as scoring
// uses (scoring only reads its matrix); bytes = read.
void BM_Read(benchmark::State& state) {
  const size_t n = (size_t{256} << 20) / sizeof(double);
  std::vector<double> src(n, 1.0);
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  const size_t chunk = (n + threads - 1) / threads;
  std::vector<double> sums(threads);
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      const size_t from = t * chunk, to = std::min(n, from + chunk);
      pool.emplace_back([&, t, from, to] {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        size_t i = from;
        for (; i + 4 <= to; i += 4) {
          s0 += src[i];
          s1 += src[i + 1];
          s2 += src[i + 2];
          s3 += src[i + 3];
        }
        for (; i < to; ++i) s0 += src[i];
        sums[t] = (s0 + s1) + (s2 + s3);
      });
    }
    for (std::thread& th : pool) th.join();
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(state.iterations() * n * sizeof(double));
}
BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
