// Times churnkit on a matrix written by bench/compare/model_vs_sklearn.py,
// so that churnkit, scikit-learn, liblinear and numpy see the same data in
// the same run.
//
//   model_fit_file X.f64 Y.u8 ROWS COLS C REPEATS
//
// X.f64 holds ROWS * COLS doubles (row-major, native endianness), Y.u8 ROWS
// bytes 0/1. Prints one JSON object: the best-of-REPEATS wall times of
// FitLogistic (default solver and L-BFGS) and of batch scoring, the final
// objectives, the model's intercept and coefficients (standardized units,
// with the means and scales), and the bandwidth of a parallel copy of the
// matrix.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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
  std::printf("], ");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: model_fit_file X.f64 Y.u8 ROWS COLS C REPEATS\n");
    return 2;
  }
  const size_t n = std::strtoull(argv[3], nullptr, 10);
  const size_t d = std::strtoull(argv[4], nullptr, 10);
  const double c = std::strtod(argv[5], nullptr);
  const int repeats = std::atoi(argv[6]);
  std::vector<double> x(n * d);
  std::vector<uint8_t> y(n);
  if (!ReadAll(argv[1], &x) || !ReadAll(argv[2], &y)) {
    std::fprintf(stderr, "model_fit_file: cannot read the data\n");
    return 1;
  }
  std::vector<std::string> columns;
  for (size_t j = 0; j < d; ++j) columns.push_back(absl::StrCat("f", j));
  const churnkit::MatrixView view{x, columns, {}};

  churnkit::v1::FitOptions options;
  options.set_c(c);
  absl::StatusOr<churnkit::v1::LogisticModel> model;
  const double fit = BestSeconds(
      repeats, [&] { model = churnkit::FitLogistic(view, y, options); });
  if (!model.ok()) {
    std::fprintf(stderr, "model_fit_file: %s\n",
                 std::string(model.status().message()).c_str());
    return 1;
  }
  churnkit::v1::FitOptions lbfgs_options = options;
  lbfgs_options.set_solver(churnkit::v1::SOLVER_LBFGS);
  absl::StatusOr<churnkit::v1::LogisticModel> lbfgs;
  const double fit_lbfgs = BestSeconds(
      repeats, [&] { lbfgs = churnkit::FitLogistic(view, y, lbfgs_options); });
  if (!lbfgs.ok()) {
    std::fprintf(stderr, "model_fit_file: %s\n",
                 std::string(lbfgs.status().message()).c_str());
    return 1;
  }
  std::vector<double> p(n);
  const double predict = BestSeconds(std::max(repeats, 5), [&] {
    (void)churnkit::PredictInto(*model, view, absl::MakeSpan(p));
  });
  // The same bytes copied by as many threads as scoring uses.
  std::vector<double> copy(x.size());
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  const size_t chunk = (x.size() + threads - 1) / threads;
  const double copy_seconds = BestSeconds(std::max(repeats, 5), [&] {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      const size_t from = std::min(x.size(), t * chunk);
      const size_t to = std::min(x.size(), from + chunk);
      pool.emplace_back([&, from, to] {
        std::memcpy(copy.data() + from, x.data() + from,
                    (to - from) * sizeof(double));
      });
    }
    for (std::thread& th : pool) th.join();
  });
  const double bytes = static_cast<double>(x.size() * sizeof(double));
  std::printf("{\"fit_seconds\": %.6f, \"objective\": %.17g, ", fit,
              model->report().objective());
  std::printf("\"solver\": \"%s\", \"iterations\": %d, ",
              churnkit::v1::Solver_Name(model->report().solver()).c_str(),
              model->report().iterations());
  std::printf("\"lbfgs_seconds\": %.6f, \"lbfgs_objective\": %.17g, ",
              fit_lbfgs, lbfgs->report().objective());
  std::printf("\"intercept\": %.17g, ", model->intercept());
  PrintList("coefficients", model->coefficients());
  PrintList("means", model->means());
  PrintList("scales", model->scales());
  std::printf(
      "\"predict_seconds\": %.6f, \"predict_gbps\": %.3f, "
      "\"copy_seconds\": %.6f, \"copy_gbps\": %.3f}\n",
      predict, bytes / predict / 1e9, copy_seconds,
      2 * bytes / copy_seconds / 1e9);
  return 0;
}
