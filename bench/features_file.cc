// Times feature extraction on a data set read from files, for the
// side-by-side comparison with pandas (bench/compare/features_vs_pandas.py).
//
//   features_file --data DIR --as-of DATE [--config FILE] [--threads N]
//                 [--runs N] [--values OUT.csv]
//
// Prints one JSON line: events, customers, features, the best compute time
// over the runs (loading excluded), and writes the values when asked.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "absl/strings/numbers.h"
#include "churnkit/features.h"
#include "churnkit/io.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "features_file: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, as_of_text, config, values_out;
  int threads = 1, runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") {
      data = value;
    } else if (flag == "--as-of") {
      as_of_text = value;
    } else if (flag == "--config") {
      config = value;
    } else if (flag == "--values") {
      values_out = value;
    } else if (flag == "--threads" && absl::SimpleAtoi(value, &threads)) {
    } else if (flag == "--runs" && absl::SimpleAtoi(value, &runs)) {
    } else {
      return Fail("unknown or bad flag " + flag);
    }
  }
  if (data.empty() || as_of_text.empty())
    return Fail("--data and --as-of are required");
  absl::StatusOr<churnkit::UnixSeconds> as_of = churnkit::ParseTime(as_of_text);
  if (!as_of.ok()) return Fail(std::string(as_of.status().message()));
  churnkit::v1::FeatureSet set;
  if (config.empty()) {
    set = churnkit::DefaultFeatureSet().value();
  } else if (absl::Status s = churnkit::ReadConfigFile(config, &set); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  absl::StatusOr<churnkit::FeatureEngine> engine =
      churnkit::FeatureEngine::Create(set);
  if (!engine.ok()) return Fail(std::string(engine.status().message()));
  churnkit::v1::LoadOptions options;
  options.add_paths(data);
  absl::StatusOr<churnkit::LoadResult> loaded = churnkit::LoadDataset(options);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const churnkit::Dataset& ds = loaded->dataset;

  churnkit::ComputeOptions compute;
  compute.threads = threads;
  double best = std::numeric_limits<double>::infinity();
  churnkit::FeatureMatrix m;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<churnkit::FeatureMatrix> out =
        engine->Compute(ds, *as_of, compute);
    const auto t1 = std::chrono::steady_clock::now();
    if (!out.ok()) return Fail(std::string(out.status().message()));
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    m = *std::move(out);
  }
  if (!values_out.empty()) {
    std::ofstream f(values_out);
    f << "customer_id";
    for (const std::string& c : m.columns) f << "," << c;
    f << "\n";
    f.precision(17);
    for (size_t r = 0; r < m.num_rows(); ++r) {
      f << m.customer_ids[r];
      for (double v : m.row(r)) {
        f << ",";
        if (!std::isnan(v)) f << v;
      }
      f << "\n";
    }
  }
  std::printf(
      "{\"events\": %zu, \"customers\": %zu, \"rows\": %zu, \"features\": %zu, "
      "\"threads\": %d, \"seconds\": %.6f}\n",
      ds.num_events(), ds.num_customers(), m.num_rows(), m.num_cols(), threads,
      best);
  return 0;
}
