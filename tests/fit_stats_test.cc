// The logistic fit's column statistics (src/internal/fit_stats.h): the
// sums of its first pass against direct sums, and the same to the bit with
// either kernel and any thread count.
#include "internal/fit_stats.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace churnkit::internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kNone = std::numeric_limits<size_t>::max();

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void ExpectSameBits(const ColumnSums& a, const ColumnSums& b) {
  EXPECT_TRUE(SameBits(a.weight, b.weight));
  EXPECT_TRUE(SameBits(a.sum, b.sum));
  EXPECT_TRUE(SameBits(a.min, b.min));
  EXPECT_TRUE(SameBits(a.max, b.max));
  EXPECT_TRUE(SameBits(a.squares, b.squares));
  EXPECT_TRUE(SameBits(a.churner_weight, b.churner_weight));
  EXPECT_TRUE(SameBits(a.churner_sum, b.churner_sum));
  EXPECT_EQ(std::memcmp(&a.total_weight, &b.total_weight, sizeof(double)), 0);
  EXPECT_EQ(a.first_bad, b.first_bad);
}

struct Matrix {
  std::vector<double> values;
  std::vector<std::string> columns;
  MatrixView view() const { return {values, columns, {}}; }
};

// n x d values around column means far from 0 (as raw CRM features are),
// some columns constant.
Matrix RandomMatrix(size_t n, size_t d, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix m;
  m.columns.assign(d, "c");
  m.values.resize(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      m.values[i * d + j] =
          j % 7 == 6 ? 3.0 : 100.0 * j + (1 + j % 5) * normal(rng);
    }
  }
  return m;
}

// Per column, directly: the weight, weighted sum, range and weighted
// squared deviations (two passes) of the finite values of rows with
// positive weight, and the weight and sum of those labelled 1.
ColumnSums DirectSums(const Matrix& m, const std::vector<double>& w,
                      const std::vector<uint8_t>& y) {
  const size_t d = m.columns.size(), n = m.values.size() / d;
  ColumnSums s(d);
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) {
      const double v = m.values[i * d + j], wi = w.empty() ? 1.0 : w[i];
      if (!std::isfinite(v) || !(wi > 0)) continue;
      s.weight[j] += wi;
      s.sum[j] += wi * v;
      s.min[j] = std::min(s.min[j], v);
      s.max[j] = std::max(s.max[j], v);
      if (!y.empty() && y[i] != 0) {
        s.churner_weight[j] += wi;
        s.churner_sum[j] += wi * v;
      }
    }
    const double mean = s.weight[j] > 0 ? s.sum[j] / s.weight[j] : 0;
    for (size_t i = 0; i < n; ++i) {
      const double v = m.values[i * d + j], wi = w.empty() ? 1.0 : w[i];
      if (!std::isfinite(v) || !(wi > 0)) continue;
      s.squares[j] += wi * (v - mean) * (v - mean);
    }
  }
  for (size_t i = 0; i < n; ++i) s.total_weight += w.empty() ? 1.0 : w[i];
  return s;
}

void ExpectNear(const ColumnSums& got, const ColumnSums& want) {
  for (size_t j = 0; j < want.sum.size(); ++j) {
    SCOPED_TRACE(testing::Message() << "column " << j);
    EXPECT_NEAR(got.weight[j], want.weight[j], 1e-12 * want.weight[j]);
    EXPECT_NEAR(got.sum[j], want.sum[j], 1e-12 * std::abs(want.sum[j]) + 1e-9);
    EXPECT_EQ(got.min[j], want.min[j]);
    EXPECT_EQ(got.max[j], want.max[j]);
    EXPECT_NEAR(got.squares[j], want.squares[j], 1e-9 * want.squares[j] + 1e-9);
    EXPECT_NEAR(got.churner_weight[j], want.churner_weight[j],
                1e-12 * want.churner_weight[j]);
    EXPECT_NEAR(got.churner_sum[j], want.churner_sum[j],
                1e-12 * std::abs(want.churner_sum[j]) + 1e-9);
  }
  EXPECT_NEAR(got.total_weight, want.total_weight,
              1e-12 * std::abs(want.total_weight) + 1e-12);
}

// Every width around the kernels' strips (2 and 4 lanes, strips of 8 and
// 16 columns), rows across several blocks of 4,096, with and without
// weights (some 0 or negative) and labels.
TEST(SumColumns, EqualsDirectSumsAndIsTheSameForEitherKernelAndThreadCount) {
  for (size_t d : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 33, 128, 131}) {
    for (size_t n : {0, 1, 5, 300, 4097, 9000}) {
      if (n * d > 700000) continue;
      SCOPED_TRACE(testing::Message() << n << " x " << d);
      const Matrix m = RandomMatrix(n, d, static_cast<uint32_t>(n * 131 + d));
      std::vector<double> weights(n);
      std::vector<uint8_t> labels(n);
      for (size_t i = 0; i < n; ++i) {
        weights[i] = i % 11 == 3 ? 0.0 : i % 13 == 5 ? -1.0 : 0.5 + i % 3;
        labels[i] = i % 7 == 2 || i % 5 == 1;
      }
      for (const std::vector<double>& w : {std::vector<double>(), weights}) {
        for (const std::vector<uint8_t>& y : {std::vector<uint8_t>(), labels}) {
          const ColumnSums fast = SumColumns(m.view(), w, y, /*impute=*/false,
                                             /*squares=*/true, 2);
          ExpectNear(fast, DirectSums(m, w, y));
          EXPECT_EQ(fast.first_bad, kNone);
          ExpectSameBits(fast, SumColumns(m.view(), w, y, false, true, 1,
                                          /*portable_kernels=*/true));
          ExpectSameBits(fast, SumColumns(m.view(), w, y, false, true, 3));
        }
      }
    }
  }
}

// A value that is not finite: the first one (in row-major order) is
// reported, rows of weight 0 included; imputing, NaN is left out of the
// sums and only infinities are reported. Its group takes the checked path,
// the others the kernels.
TEST(SumColumns, ReportsTheFirstValueNotFiniteAndLeavesOutImputedOnes) {
  const size_t n = 5000, d = 19;
  Matrix m = RandomMatrix(n, d, 7);
  std::vector<double> w(n, 1.0);
  std::vector<uint8_t> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = i % 3 == 0;
  w[4200] = 0;
  m.values[4200 * d + 18] = kInf;  // weight 0: still not allowed
  m.values[4300 * d + 2] = kNaN;
  m.values[4301 * d + 16] = -kInf;
  for (bool portable : {false, true}) {
    SCOPED_TRACE(portable ? "portable" : "native");
    ColumnSums s =
        SumColumns(m.view(), w, y, /*impute=*/false, true, 2, portable);
    EXPECT_EQ(s.first_bad, 4200 * d + 18);
    s = SumColumns(m.view(), w, y, /*impute=*/true, true, 2, portable);
    EXPECT_EQ(s.first_bad, 4200 * d + 18);
    m.values[4200 * d + 18] = 1.0;
    s = SumColumns(m.view(), w, y, /*impute=*/true, true, 2, portable);
    EXPECT_EQ(s.first_bad, 4301 * d + 16);
    m.values[4301 * d + 16] = 2.0;
    s = SumColumns(m.view(), w, y, /*impute=*/true, true, 2, portable);
    EXPECT_EQ(s.first_bad, kNone);
    ExpectNear(s, DirectSums(m, w, y));  // column 2 without its NaN
    EXPECT_EQ(s.weight[2], s.weight[3] - 1);
    EXPECT_EQ(s.churner_weight[2], s.churner_weight[3]);  // row 4300: 0
    m.values[4200 * d + 18] = kInf;
    m.values[4301 * d + 16] = -kInf;
  }
}

}  // namespace
}  // namespace churnkit::internal
