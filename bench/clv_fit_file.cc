// Times FitBgNbd on summaries written by bench/compare/clv_vs_scipy.py, so
// that churnkit and scipy fit the same data in the same run.
//
//   clv_fit_file DATA.f64 N REPEATS
//
// DATA.f64 holds 3 * N doubles (native endianness): N frequencies, N
// recencies, N ages. Prints one JSON object: the best-of-REPEATS wall time
// of the fit, the parameters, the log-likelihood and the iterations.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "churnkit/clv.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: clv_fit_file DATA.f64 N REPEATS\n");
    return 2;
  }
  const size_t n = std::strtoull(argv[2], nullptr, 10);
  const int repeats = std::max(1, std::atoi(argv[3]));
  std::vector<double> data(3 * n);
  std::ifstream in(argv[1], std::ios::binary);
  in.read(reinterpret_cast<char*>(data.data()),
          static_cast<std::streamsize>(data.size() * sizeof(double)));
  if (static_cast<size_t>(in.gcount()) != data.size() * sizeof(double)) {
    std::fprintf(stderr, "%s: expected %zu doubles\n", argv[1], data.size());
    return 1;
  }
  churnkit::RfmSummaries rfm;
  rfm.frequency.assign(data.begin(), data.begin() + n);
  rfm.recency.assign(data.begin() + n, data.begin() + 2 * n);
  rfm.age.assign(data.begin() + 2 * n, data.end());
  double best = 1e300;
  churnkit::v1::BgNbdModel m;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<churnkit::v1::BgNbdModel> fit = churnkit::FitBgNbd(rfm);
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    if (!fit.ok()) {
      std::fprintf(stderr, "%s\n", fit.status().ToString().c_str());
      return 1;
    }
    m = *fit;
    best = std::min(best, took.count());
  }
  std::printf(
      "{\"seconds\": %.6f, \"r\": %.9g, \"alpha\": %.9g, \"a\": %.9g, "
      "\"b\": %.9g, \"log_likelihood\": %.9f, \"iterations\": %d}\n",
      best, m.r(), m.alpha(), m.a(), m.b(), m.log_likelihood(), m.iterations());
  return 0;
}
