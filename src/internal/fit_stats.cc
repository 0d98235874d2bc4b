#include "internal/fit_stats.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "internal/parallel.h"

namespace churnkit::internal {
namespace {

// Rows per block of the statistics passes (fixed, so that results do not
// depend on the thread count).
constexpr size_t kStatsBlockRows = 4096;
// Values of the statistics pass read twice while in cache (128 KiB).
constexpr size_t kStatsGroupDoubles = size_t{1} << 14;

// Adds a group of values (total weight wb, sum sb, squared deviations qb
// from their mean) to running ones (Chan, Golub and LeVeque's update).
void MergeMoments(double wb, double sb, double qb, double* w, double* s,
                  double* q) {
  if (!(wb > 0)) return;
  if (*w > 0) {
    const double delta = sb / wb - *s / *w;
    *q += qb + delta * delta * (*w * wb / (*w + wb));
  } else {
    *q = qb;
  }
  *w += wb;
  *s += sb;
}

// One defined value v of weight w > 0 into a column's sums and range.
inline void AddValue(double w, double v, double* weight, double* sum,
                     double* lo, double* hi) {
  *weight += w;
  *sum += w * v;
  *lo = std::min(*lo, v);
  *hi = std::max(*hi, v);
}

inline void AddSquare(double w, double deviation, double* squares) {
  *squares += w * deviation * deviation;
}

// The kernels pass 32-byte vectors only to always-inlined functions, so
// GCC's note that their ABI differs without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
namespace portable {
constexpr int kLanes = 2, kMaxVectors = 4;
#include "internal/fit_stats_kernels.inc"
}  // namespace portable

#if defined(__x86_64__) && defined(__clang__)
#define CHURNKIT_FIT_STATS_AVX2 1
#pragma clang attribute push(__attribute__((target("avx2"))), \
                             apply_to = function)
namespace avx2 {
constexpr int kLanes = 4, kMaxVectors = 4;
#include "internal/fit_stats_kernels.inc"
}  // namespace avx2
#pragma clang attribute pop
#elif defined(__x86_64__) && defined(__GNUC__)
#define CHURNKIT_FIT_STATS_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2")
namespace avx2 {
constexpr int kLanes = 4, kMaxVectors = 4;
#include "internal/fit_stats_kernels.inc"
}  // namespace avx2
#pragma GCC pop_options
#endif

struct GroupKernels {
  decltype(&portable::AddGroupSums) sums;
  decltype(&portable::AddGroupSquares) squares;
};

// The kernels for this CPU: AVX2 where available (the same results).
GroupKernels ChooseGroupKernels(bool force_portable) {
#ifdef CHURNKIT_FIT_STATS_AVX2
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (!force_portable && has_avx2) {
    return {&avx2::AddGroupSums, &avx2::AddGroupSquares};
  }
#endif
  return {&portable::AddGroupSums, &portable::AddGroupSquares};
}

}  // namespace

std::array<double, 2> ClassWeights(const v1::FitOptions& o, size_t rows,
                                   size_t positives) {
  double neg =
      o.class_weights().negative() > 0 ? o.class_weights().negative() : 1.0;
  double pos =
      o.class_weights().positive() > 0 ? o.class_weights().positive() : 1.0;
  if (o.class_weights().balanced()) {
    const size_t negatives = rows - positives;
    neg = negatives > 0 ? static_cast<double>(rows) / (2.0 * negatives) : 1.0;
    pos = positives > 0 ? static_cast<double>(rows) / (2.0 * positives) : 1.0;
  }
  return {neg, pos};
}

ColumnSums::ColumnSums(size_t d)
    : weight(d, 0),
      sum(d, 0),
      min(d, std::numeric_limits<double>::infinity()),
      max(d, -std::numeric_limits<double>::infinity()),
      squares(d, 0),
      churner_weight(d, 0),
      churner_sum(d, 0) {}

// Each block reads a cache-sized group of rows twice (sums, then squared
// deviations from the group's mean); groups and blocks merge in order.
ColumnSums SumColumns(MatrixView x, absl::Span<const double> sw,
                      absl::Span<const uint8_t> labels, bool impute,
                      bool squares, int threads, bool portable_kernels) {
  const GroupKernels kernels = ChooseGroupKernels(portable_kernels);
  const double* weights = sw.empty() ? nullptr : sw.data();
  const uint8_t* y = labels.empty() ? nullptr : labels.data();
  const size_t n = x.num_rows(), d = x.num_cols();
  const size_t blocks = (n + kStatsBlockRows - 1) / kStatsBlockRows;
  const size_t group_rows = std::clamp<size_t>(
      kStatsGroupDoubles / std::max<size_t>(d, 1), 16, kStatsBlockRows);
  std::vector<ColumnSums> parts(blocks, ColumnSums(0));
  ParallelFor(
      blocks, threads,
      [&](size_t from, size_t to) {
        // Weight, sum, mean and squared deviations of a group.
        std::vector<double> gw(d), gs(d), gm(d), gq(d), glo(d), ghi(d);
        std::vector<double> gcw(d), gcs(d);  // the churners
        for (size_t b = from; b < to; ++b) {
          ColumnSums& p = parts[b];
          p = ColumnSums(d);
          const size_t end = std::min(n, (b + 1) * kStatsBlockRows);
          for (size_t g = b * kStatsBlockRows; g < end; g += group_rows) {
            const size_t group_end = std::min(end, g + group_rows);
            std::fill(gw.begin(), gw.end(), 0.0);
            std::fill(gs.begin(), gs.end(), 0.0);
            std::fill(gq.begin(), gq.end(), 0.0);
            std::fill(gcw.begin(), gcw.end(), 0.0);
            std::fill(gcs.begin(), gcs.end(), 0.0);
            std::fill(glo.begin(), glo.end(),
                      std::numeric_limits<double>::infinity());
            std::fill(ghi.begin(), ghi.end(),
                      -std::numeric_limits<double>::infinity());
            // Finiteness, weights, sums, ranges. A group of finite values
            // (the common case) takes the loops of AddGroupSums, the others
            // (found by them) a checked loop; the arithmetic per column is
            // the same.
            const bool group_finite = kernels.sums(
                x.values.data(), d, g, group_end, weights, y, gw.data(),
                gs.data(), glo.data(), ghi.data(), gcw.data(), gcs.data());
            if (group_finite) {
              for (size_t j = 0; j < d; ++j) {
                p.min[j] = std::min(p.min[j], glo[j]);
                p.max[j] = std::max(p.max[j], ghi[j]);
              }
            } else {
              std::fill(gs.begin(), gs.end(), 0.0);
              std::fill(gcs.begin(), gcs.end(), 0.0);
              for (size_t i = g; i < group_end; ++i) {
                const double w = portable::WeightAt(weights, i);
                const bool churner = y != nullptr && y[i] != 0;
                const double* row = x.values.data() + i * d;
                for (size_t j = 0; j < d; ++j) {
                  const double v = row[j];
                  if (!std::isfinite(v)) {
                    if (!(impute && std::isnan(v))) {
                      p.first_bad = std::min(p.first_bad, i * d + j);
                    }
                  } else if (w > 0) {
                    AddValue(w, v, &gw[j], &gs[j], &p.min[j], &p.max[j]);
                    if (churner) {
                      gcw[j] += w;
                      gcs[j] += w * v;
                    }
                  }
                }
              }
            }
            // Squared deviations from the group's means (rows in cache).
            if (squares) {
              for (size_t j = 0; j < d; ++j) {
                gm[j] = gw[j] > 0 ? gs[j] / gw[j] : 0.0;
              }
              if (group_finite) {
                kernels.squares(x.values.data(), d, g, group_end, weights,
                                gm.data(), gq.data());
              } else {
                for (size_t i = g; i < group_end; ++i) {
                  const double w = portable::WeightAt(weights, i);
                  if (w <= 0) continue;
                  const double* row = x.values.data() + i * d;
                  for (size_t j = 0; j < d; ++j) {
                    if (std::isfinite(row[j])) {
                      AddSquare(w, row[j] - gm[j], &gq[j]);
                    }
                  }
                }
              }
            }
            for (size_t j = 0; j < d; ++j) {
              MergeMoments(gw[j], gs[j], gq[j], &p.weight[j], &p.sum[j],
                           &p.squares[j]);
              p.churner_weight[j] += gcw[j];
              p.churner_sum[j] += gcs[j];
            }
          }
        }
      },
      1);
  ColumnSums total(d);
  for (const ColumnSums& p : parts) {  // in block order
    total.first_bad = std::min(total.first_bad, p.first_bad);
    MergeColumnSums(p, &total);
  }
  for (size_t i = 0; i < n; ++i) {
    total.total_weight += portable::WeightAt(weights, i);
  }
  return total;
}

void MergeColumnSums(const ColumnSums& part, ColumnSums* total) {
  for (size_t j = 0; j < total->weight.size(); ++j) {
    MergeMoments(part.weight[j], part.sum[j], part.squares[j],
                 &total->weight[j], &total->sum[j], &total->squares[j]);
    total->min[j] = std::min(total->min[j], part.min[j]);
    total->max[j] = std::max(total->max[j], part.max[j]);
    total->churner_weight[j] += part.churner_weight[j];
    total->churner_sum[j] += part.churner_sum[j];
  }
  total->total_weight += part.total_weight;
}

absl::Status BadValueError(MatrixView x, size_t first_bad) {
  const size_t d = x.num_cols();
  const size_t row = first_bad / d, col = first_bad % d;
  const double v = x.values[first_bad];
  if (std::isnan(v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "row ", row, ", column '", x.columns[col],
        "' is NaN (not defined); set missing_values: MISSING_IMPUTE_MEAN "
        "to replace missing values by the training mean"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("row ", row, ", column '", x.columns[col], "' is ",
                   v > 0 ? "+inf" : "-inf", "; features must be finite"));
}

absl::StatusOr<ColumnStats> FinishStats(const ColumnSums& sums,
                                        absl::Span<const std::string> columns,
                                        bool standardize) {
  const size_t d = columns.size();
  ColumnStats stats;
  stats.mean.assign(d, 0);
  stats.scale.assign(d, 1);
  stats.active.assign(d, 1);
  stats.undefined.assign(d, 0);
  for (size_t j = 0; j < d; ++j) {
    if (!(sums.weight[j] > 0)) {
      stats.active[j] = 0;  // no defined value with positive weight
      stats.undefined[j] = 1;
    } else if (sums.min[j] == sums.max[j]) {
      stats.active[j] = 0;  // constant: the exact value, scale 1
      stats.mean[j] = sums.min[j];
    } else {
      stats.mean[j] = sums.sum[j] / sums.weight[j];
    }
  }
  if (!standardize) return stats;
  for (size_t j = 0; j < d; ++j) {
    if (!stats.active[j]) continue;
    const double scale = std::sqrt(sums.squares[j] / sums.total_weight);
    if (!std::isfinite(scale)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", columns[j],
          "': values too large to standardize (the variance overflows)"));
    }
    if (scale > 0) {
      stats.scale[j] = scale;
    } else {
      stats.active[j] = 0;
    }
  }
  return stats;
}

// At the standard start every row has the probability p0 = positive /
// (negative + positive), so the gradient of column j is loss_scale * sum_i
// w_i c_i (p0 - y_i) z_ij (c: the class weight). The w z_ij sum to 0 over
// all rows (deviations from the weighted mean; a missing value counts as the
// mean), so that is -loss_scale (c_0 p0 + c_1 (1 - p0)) times the sum over
// churned rows of w z_ij, and the correlation's numerator, the sum over them
// of w (x_ij - mean_j), is the column's scale times that.
std::vector<double> CorrelationsFromStart(
    absl::Span<const double> start_gradient, const ColumnSums& sums,
    const ColumnStats& stats, bool standardize, double loss_scale,
    const std::array<double, 2>& class_weight, double negative,
    double positive) {
  const size_t d = stats.mean.size();
  const double weight = sums.total_weight;
  const double churned = positive / class_weight[1];  // sample weights
  const double p0 = positive / (negative + positive);
  const double factor =
      -loss_scale * (class_weight[0] * p0 + class_weight[1] * (1 - p0));
  const double label_squares =
      weight > 0 ? churned * (weight - churned) / weight : 0.0;
  std::vector<double> r(d, 0.0);
  for (size_t j = 0; j < d; ++j) {
    if (!stats.active[j]) continue;
    const double cross = stats.scale[j] * (start_gradient[j + 1] / factor);
    const double x_squares = standardize
                                 ? stats.scale[j] * stats.scale[j] * weight
                                 : sums.squares[j];
    const double denominator = std::sqrt(x_squares * label_squares);
    if (!(denominator > 0) || !std::isfinite(denominator)) continue;
    r[j] = std::clamp(cross / denominator, -1.0, 1.0);
  }
  return r;
}

size_t WinsorLowRank(size_t count, double q) {
  return count == 0 ? 0
                    : static_cast<size_t>(
                          std::floor(q * static_cast<double>(count - 1)));
}

void KeepSignal(bool varies, double* lower, double* upper) {
  if (varies && *lower == *upper) {
    *lower = -std::numeric_limits<double>::infinity();
    *upper = std::numeric_limits<double>::infinity();
  }
}

}  // namespace churnkit::internal
