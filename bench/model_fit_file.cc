// Times churnkit on a matrix written by bench/compare/model_vs_sklearn.py,
// so that churnkit, scikit-learn, liblinear and numpy see the same data in
// the same run.
//
//   model_fit_file X.f64 Y.u8 ROWS COLS C REPEATS [TOLERANCES]
//
// X.f64 holds ROWS * COLS doubles (row-major, native endianness), Y.u8 ROWS
// bytes 0/1. TOLERANCES is a comma-separated list of FitOptions.tolerance
// values (default: the default tolerance only). Prints one JSON object: for
// the default solver and for L-BFGS at each tolerance, the best-of-REPEATS
// wall time of FitLogistic, its report and the model (intercept and
// coefficients in standardized units, with the means and scales); then the
// best time of batch scoring (the default solver's model at the last
// tolerance) and the bandwidths of a parallel read (sum) and a parallel copy
// of the matrix.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "churnkit/model.h"

namespace {

template <typename T>
bool ReadAll(const char* path, std::vector<T>* out) {
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(out->data()),
          static_cast<std::streamsize>(out->size() * sizeof(T)));
  return static_cast<size_t>(in.gcount()) == out->size() * sizeof(T);
}

template <typename Fn>
double BestSeconds(int repeats, Fn fn) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> t =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, t.count());
  }
  return best;
}

void PrintList(const char* name,
               const google::protobuf::RepeatedField<double>& v) {
  std::printf("\"%s\": [", name);
  for (int j = 0; j < v.size(); ++j) {
    std::printf("%s%.17g", j > 0 ? ", " : "", v[j]);
  }
  std::printf("]");
}

// `fn(from, to)` over [0, n) split across all cores.
template <typename Fn>
void OnAllCores(size_t n, Fn fn) {
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  const size_t chunk = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    const size_t from = std::min(n, t * chunk);
    const size_t to = std::min(n, from + chunk);
    pool.emplace_back([&fn, from, to] { fn(from, to); });
  }
  for (std::thread& th : pool) th.join();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    std::fprintf(stderr,
                 "usage: model_fit_file X.f64 Y.u8 ROWS COLS C REPEATS "
                 "[TOLERANCES]\n");
    return 2;
  }
  const size_t n = std::strtoull(argv[3], nullptr, 10);
  const size_t d = std::strtoull(argv[4], nullptr, 10);
  const double c = std::strtod(argv[5], nullptr);
  const int repeats = std::atoi(argv[6]);
  std::vector<double> tolerances;
  if (argc == 8) {
    for (absl::string_view t : absl::StrSplit(argv[7], ',')) {
      double v;
      if (!absl::SimpleAtod(t, &v)) {
        std::fprintf(stderr, "model_fit_file: bad tolerance '%s'\n",
                     std::string(t).c_str());
        return 2;
      }
      tolerances.push_back(v);
    }
  } else {
    tolerances.push_back(0);  // the default
  }
  std::vector<double> x(n * d);
  std::vector<uint8_t> y(n);
  if (!ReadAll(argv[1], &x) || !ReadAll(argv[2], &y)) {
    std::fprintf(stderr, "model_fit_file: cannot read the data\n");
    return 1;
  }
  std::vector<std::string> columns;
  for (size_t j = 0; j < d; ++j) columns.push_back(absl::StrCat("f", j));
  const churnkit::MatrixView view{x, columns, {}};

  // One untimed fit first: the first passes over a fresh matrix run slower
  // (page mapping), which would penalize whichever fit came first.
  {
    churnkit::v1::FitOptions options;
    options.set_c(c);
    (void)churnkit::FitLogistic(view, y, options);
  }
  std::printf("{\"fits\": [");
  absl::StatusOr<churnkit::v1::LogisticModel> scoring_model;
  bool first = true;
  for (double tolerance : tolerances) {
    for (churnkit::v1::Solver solver :
         {churnkit::v1::SOLVER_AUTO, churnkit::v1::SOLVER_LBFGS}) {
      churnkit::v1::FitOptions options;
      options.set_c(c);
      options.set_solver(solver);
      options.set_tolerance(tolerance);
      absl::StatusOr<churnkit::v1::LogisticModel> model;
      const double seconds = BestSeconds(
          repeats, [&] { model = churnkit::FitLogistic(view, y, options); });
      if (!model.ok()) {
        std::fprintf(stderr, "model_fit_file: %s\n",
                     std::string(model.status().message()).c_str());
        return 1;
      }
      const churnkit::v1::FitReport& r = model->report();
      std::printf(
          "%s{\"solver\": \"%s\", \"default_solver\": %s, "
          "\"tolerance\": %.3g, \"seconds\": %.6f, \"objective\": %.17g, "
          "\"iterations\": %d, \"evaluations\": %d, "
          "\"subsample_evaluations\": %d, \"subsample_rows\": %lld, "
          "\"rows\": %lld, \"intercept\": %.17g, ",
          first ? "" : ", ", churnkit::v1::Solver_Name(r.solver()).c_str(),
          solver == churnkit::v1::SOLVER_AUTO ? "true" : "false", tolerance,
          seconds, r.objective(), r.iterations(), r.evaluations(),
          r.subsample_evaluations(), static_cast<long long>(r.subsample_rows()),
          static_cast<long long>(r.rows()), model->intercept());
      PrintList("coefficients", model->coefficients());
      std::printf("}");
      first = false;
      if (solver == churnkit::v1::SOLVER_AUTO) {
        scoring_model = std::move(model);
      }
    }
  }
  std::printf("], ");
  PrintList("means", scoring_model->means());
  std::printf(", ");
  PrintList("scales", scoring_model->scales());

  std::vector<double> p(n);
  const double predict = BestSeconds(std::max(repeats, 5), [&] {
    (void)churnkit::PredictInto(*scoring_model, view, absl::MakeSpan(p));
  });
  // The same bytes read (summed) and copied by as many threads as scoring
  // uses.
  std::vector<double> sums(std::max(1u, std::thread::hardware_concurrency()));
  const double read_seconds = BestSeconds(std::max(repeats, 5), [&] {
    OnAllCores(x.size(), [&](size_t from, size_t to) {
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t i = from;
      for (; i + 4 <= to; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
      }
      for (; i < to; ++i) s0 += x[i];
      sums[from * sums.size() / std::max<size_t>(1, x.size())] =
          (s0 + s1) + (s2 + s3);
    });
  });
  std::vector<double> copy(x.size());
  const double copy_seconds = BestSeconds(std::max(repeats, 5), [&] {
    OnAllCores(x.size(), [&](size_t from, size_t to) {
      std::memcpy(copy.data() + from, x.data() + from,
                  (to - from) * sizeof(double));
    });
  });
  const double bytes = static_cast<double>(x.size() * sizeof(double));
  std::printf(
      ", \"predict_seconds\": %.6f, \"predict_gbps\": %.3f, "
      "\"read_seconds\": %.6f, \"read_gbps\": %.3f, "
      "\"copy_seconds\": %.6f, \"copy_gbps\": %.3f, \"checksum\": %g}\n",
      predict, bytes / predict / 1e9, read_seconds, bytes / read_seconds / 1e9,
      copy_seconds, 2 * bytes / copy_seconds / 1e9, sums[0] + copy[0] + p[0]);
  return 0;
}
