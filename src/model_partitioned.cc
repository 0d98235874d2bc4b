// A logistic fit over partitions of the rows: the driver (PartitionedFit)
// and a partition's answers (ComputeFitPartial). Every statistic is one of
// FitLogistic's (internal/fit_stats.h) summed per partition and merged in
// partition order; the clipping quantiles are found exactly in two rounds
// (a rank sample of each column brackets each quantile, then the values
// inside the brackets settle it); the Newton iterates are
// internal::NewtonRounds'.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "churnkit/model.h"
#include "internal/fit_stats.h"
#include "internal/logistic.h"
#include "internal/status_macros.h"
#include "internal/utf8.h"

namespace churnkit {
namespace {

using internal::ColumnStats;
using internal::ColumnSums;

// Sorted values sampled per column and partition to bracket a quantile:
// the values inside a bracket are then about 2 / kRankSamples of a column.
constexpr int kRankSamples = 1024;
constexpr double kInf = std::numeric_limits<double>::infinity();

// The defined (not NaN) values of column j.
std::vector<double> DefinedValues(MatrixView x, size_t j) {
  const size_t n = x.num_rows(), d = x.num_cols();
  std::vector<double> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const double v = x.values[i * d + j];
    if (!std::isnan(v)) out.push_back(v);
  }
  return out;
}

// The clip bounds of a round as a model's (what ClipColumns reads).
v1::LogisticModel Bounds(const v1::FitRound& round) {
  v1::LogisticModel bounds;
  *bounds.mutable_clip_lower() = round.clip_lower();
  *bounds.mutable_clip_upper() = round.clip_upper();
  return bounds;
}

ColumnStats StatsOf(const v1::FitRound& round) {
  ColumnStats stats;
  stats.mean.assign(round.means().begin(), round.means().end());
  stats.scale.assign(round.scales().begin(), round.scales().end());
  stats.active.assign(round.active().begin(), round.active().end());
  return stats;
}

void CountStage(const v1::FitRound& round, MatrixView x, v1::FitPartial* out) {
  const size_t d = x.num_cols();
  for (size_t j = 0; j < d; ++j) {
    std::vector<double> values = DefinedValues(x, j);
    out->add_defined(static_cast<int64_t>(values.size()));
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    out->add_min(values.empty() ? kInf : *lo);
    out->add_max(values.empty() ? -kInf : *hi);
    if (round.rank_samples() <= 1) continue;
    std::sort(values.begin(), values.end());
    v1::RankSample* sample = out->add_samples();
    const size_t n = values.size(),
                 k = static_cast<size_t>(round.rank_samples());
    const size_t taken = std::min(n, k);
    for (size_t i = 0; i < taken; ++i) {
      const size_t rank = n <= k ? i : i * (n - 1) / (k - 1);
      sample->add_ranks(static_cast<int64_t>(rank));
      sample->add_values(values[rank]);
    }
  }
}

void SelectStage(const v1::FitRound& round, MatrixView x, v1::FitPartial* out) {
  const size_t d = x.num_cols();
  for (size_t j = 0; j < d; ++j) {
    const std::vector<double> values = DefinedValues(x, j);
    for (int tail = 0; tail < 2; ++tail) {
      const double low = round.select_low(static_cast<int>(2 * j) + tail);
      const double high = round.select_high(static_cast<int>(2 * j) + tail);
      v1::SelectedValues* s = out->add_selected();
      std::vector<double> inside;
      for (double v : values) {
        if (v < low) {
          s->set_below(s->below() + 1);
        } else if (v == low) {
          s->set_at_low(s->at_low() + 1);
        } else if (v < high) {
          inside.push_back(v);
        } else if (v == high) {
          s->set_at_high(s->at_high() + 1);
        }
      }
      std::sort(inside.begin(), inside.end());
      s->mutable_inside()->Add(inside.begin(), inside.end());
    }
  }
}

absl::Status MomentsStage(const v1::FitRound& round, MatrixView x, int threads,
                          v1::FitPartial* out) {
  const bool impute =
      round.options().missing_values() == v1::MISSING_IMPUTE_MEAN;
  const ColumnSums sums =
      internal::SumColumns(x, {}, {}, impute, true, threads);
  if (sums.first_bad != std::numeric_limits<size_t>::max()) {
    return internal::BadValueError(x, sums.first_bad);
  }
  for (size_t j = 0; j < x.num_cols(); ++j) {
    v1::ColumnMoments* m = out->add_moments();
    m->set_weight(sums.weight[j]);
    m->set_sum(sums.sum[j]);
    m->set_min(sums.min[j]);
    m->set_max(sums.max[j]);
    m->set_squares(sums.squares[j]);
  }
  out->set_total_weight(sums.total_weight);
  return absl::OkStatus();
}

void EvaluateStage(const v1::FitRound& round, MatrixView x,
                   absl::Span<const uint8_t> labels, int threads,
                   v1::FitPartial* out) {
  const size_t d = x.num_cols();
  const ColumnStats stats = StatsOf(round);
  std::vector<double> inv_scale(d);
  for (size_t j = 0; j < d; ++j) inv_scale[j] = 1.0 / stats.scale[j];
  internal::LogisticProblem problem;
  problem.x = x.values.data();
  problem.n = x.num_rows();
  problem.d = d;
  problem.y = labels.data();
  problem.class_weight[0] = round.negative_class_weight();
  problem.class_weight[1] = round.positive_class_weight();
  problem.mean = stats.mean.data();
  problem.inv_scale = inv_scale.data();
  problem.active = stats.active.data();
  problem.impute = round.options().missing_values() == v1::MISSING_IMPUTE_MEAN;
  problem.threads = threads;
  const std::vector<double> theta(round.theta().begin(), round.theta().end());
  const internal::PassSums sums = internal::SumPass(problem, theta, true);
  out->set_loss(sums.loss);
  out->set_wrong(sums.wrong);
  out->mutable_gradient()->Add(sums.gradient.begin(), sums.gradient.end());
  out->mutable_hessian()->Add(sums.hessian.begin(), sums.hessian.end());
}

// The error for partials that do not answer `round`.
absl::Status CheckPartials(const v1::FitRound& round,
                           absl::Span<const v1::FitPartial> partials,
                           size_t expected, size_t d) {
  if (partials.empty()) {
    return absl::InvalidArgumentError(
        "partials: none; every partition answers");
  }
  if (expected != 0 && partials.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("partials: ", partials.size(), " for ", expected,
                     " partitions (the number of the first round)"));
  }
  for (size_t p = 0; p < partials.size(); ++p) {
    const v1::FitPartial& partial = partials[p];
    if (partial.fit_id() != round.fit_id() ||
        partial.round() != round.round() || partial.stage() != round.stage()) {
      return absl::InvalidArgumentError(
          absl::StrCat("partials[", p, "]: answers round ", partial.round(),
                       " (", v1::FitStage_Name(partial.stage()), ") of ",
                       partial.fit_id() == round.fit_id() ? "this" : "another",
                       " fit; this fit is at round ", round.round(), " (",
                       v1::FitStage_Name(round.stage()), ")"));
    }
    const auto sized = [&](int size, size_t want, absl::string_view field) {
      return size == static_cast<int>(want)
                 ? absl::OkStatus()
                 : absl::InvalidArgumentError(
                       absl::StrCat("partials[", p, "].", field, ": ", size,
                                    " values; expected ", want));
    };
    switch (round.stage()) {
      case v1::FIT_STAGE_COUNT:
        CK_RETURN_IF_ERROR(sized(partial.defined_size(), d, "defined"));
        CK_RETURN_IF_ERROR(sized(partial.min_size(), d, "min"));
        CK_RETURN_IF_ERROR(sized(partial.max_size(), d, "max"));
        CK_RETURN_IF_ERROR(sized(partial.samples_size(),
                                 round.rank_samples() > 1 ? d : 0, "samples"));
        break;
      case v1::FIT_STAGE_SELECT:
        CK_RETURN_IF_ERROR(sized(partial.selected_size(), 2 * d, "selected"));
        break;
      case v1::FIT_STAGE_MOMENTS:
        CK_RETURN_IF_ERROR(sized(partial.moments_size(), d, "moments"));
        break;
      case v1::FIT_STAGE_EVALUATE:
        CK_RETURN_IF_ERROR(sized(partial.gradient_size(), d + 1, "gradient"));
        CK_RETURN_IF_ERROR(
            sized(partial.hessian_size(), (d + 1) * (d + 1), "hessian"));
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

struct PartitionedFit::State {
  std::vector<std::string> columns;
  v1::FitOptions options;
  v1::FitRound round;
  size_t partitions = 0;  // fixed by the first Advance
  bool failed = false;
  bool done = false;
  // From the counts.
  size_t rows = 0, positives = 0;
  std::vector<int64_t> defined;
  std::vector<double> min, max;
  std::vector<size_t> sought;  // per column and tail, the rank sought
  // From the moments on.
  ColumnSums sums;
  ColumnStats stats;
  internal::FitPlan plan;
  double negative_weight = 0, positive_weight = 0;
  std::optional<internal::NewtonRounds> newton;
  std::vector<double> correlations;
  v1::LogisticModel model;

  size_t d() const { return columns.size(); }
  void NextRound(v1::FitStage stage) {
    round.set_stage(stage);
    round.set_round(round.round() + 1);
  }
  absl::Status AfterCount(absl::Span<const v1::FitPartial> partials);
  void Brackets(absl::Span<const v1::FitPartial> partials);
  absl::Status AfterSelect(absl::Span<const v1::FitPartial> partials);
  absl::Status AfterMoments(absl::Span<const v1::FitPartial> partials);
  absl::StatusOr<bool> AfterEvaluate(absl::Span<const v1::FitPartial> partials);
};

absl::StatusOr<PartitionedFit> PartitionedFit::Create(
    std::vector<std::string> columns, const v1::FitOptions& options) {
  CK_RETURN_IF_ERROR(ValidateFitOptions(options));
  if (columns.empty()) {
    return absl::InvalidArgumentError("columns: none");
  }
  if (columns.size() > internal::kMaxHessianFeatures) {
    return absl::InvalidArgumentError(absl::StrCat(
        "columns: ", columns.size(), "; a partitioned fit keeps a (d+1)^2 ",
        "Hessian and supports at most ", internal::kMaxHessianFeatures));
  }
  absl::flat_hash_set<absl::string_view> names;
  for (size_t j = 0; j < columns.size(); ++j) {
    if (!internal::IsValidUtf8(columns[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("columns[", j, "]: the name is not valid UTF-8"));
    }
    if (!names.insert(columns[j]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("columns[", j, "]: duplicate '", columns[j], "'"));
    }
  }
  if (options.penalty() == v1::PENALTY_L1 ||
      options.penalty() == v1::PENALTY_ELASTIC_NET) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.penalty: ", v1::Penalty_Name(options.penalty()),
                     " is not supported by a partitioned fit (L2 and no "
                     "penalty are: each round is a Newton step)"));
  }
  if (options.solver() != v1::SOLVER_AUTO &&
      options.solver() != v1::SOLVER_NEWTON_CHOLESKY) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options.solver: ", v1::Solver_Name(options.solver()),
        "; a partitioned fit uses SOLVER_NEWTON_CHOLESKY (a round is a pass "
        "over every partition: Newton needs the fewest)"));
  }
  auto state = std::make_unique<State>();
  state->columns = std::move(columns);
  state->options = options;
  state->options.set_solver(v1::SOLVER_NEWTON_CHOLESKY);
  v1::FitRound& round = state->round;
  round.set_stage(v1::FIT_STAGE_COUNT);
  // Tells apart the partials of fits run at once.
  std::random_device entropy;
  round.set_fit_id(uint64_t{entropy()} << 32 | entropy());
  round.set_round(1);
  round.mutable_feature_names()->Add(state->columns.begin(),
                                     state->columns.end());
  *round.mutable_options() = state->options;
  if (options.winsorize() > 0) round.set_rank_samples(kRankSamples);
  return PartitionedFit(std::move(state));
}

PartitionedFit::PartitionedFit(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
PartitionedFit::~PartitionedFit() = default;
PartitionedFit::PartitionedFit(PartitionedFit&&) noexcept = default;
PartitionedFit& PartitionedFit::operator=(PartitionedFit&&) noexcept = default;

const v1::FitRound& PartitionedFit::round() const { return state_->round; }

const v1::LogisticModel& PartitionedFit::model() const { return state_->model; }

absl::StatusOr<bool> PartitionedFit::Advance(
    absl::Span<const v1::FitPartial> partials) {
  State& st = *state_;
  if (st.done) return true;
  if (st.failed) {
    return absl::FailedPreconditionError(
        "the fit failed in an earlier round; start a new one");
  }
  // Partials that do not answer the round leave the fit as it was.
  CK_RETURN_IF_ERROR(CheckPartials(st.round, partials, st.partitions, st.d()));
  st.partitions = partials.size();
  absl::StatusOr<bool> done = [&]() -> absl::StatusOr<bool> {
    switch (st.round.stage()) {
      case v1::FIT_STAGE_COUNT:
        CK_RETURN_IF_ERROR(st.AfterCount(partials));
        return false;
      case v1::FIT_STAGE_SELECT:
        CK_RETURN_IF_ERROR(st.AfterSelect(partials));
        return false;
      case v1::FIT_STAGE_MOMENTS:
        CK_RETURN_IF_ERROR(st.AfterMoments(partials));
        return false;
      default:
        return st.AfterEvaluate(partials);
    }
  }();
  if (!done.ok()) {
    st.failed = true;
  } else {
    st.done = *done;
  }
  return done;
}

absl::Status PartitionedFit::State::AfterCount(
    absl::Span<const v1::FitPartial> partials) {
  defined.assign(d(), 0);
  min.assign(d(), kInf);
  max.assign(d(), -kInf);
  for (const v1::FitPartial& p : partials) {
    if (p.rows() < 0 || p.positives() < 0 || p.positives() > p.rows()) {
      return absl::InvalidArgumentError(
          absl::StrCat("partial counts: ", p.positives(), " churned of ",
                       p.rows(), " rows"));
    }
    rows += static_cast<size_t>(p.rows());
    positives += static_cast<size_t>(p.positives());
    for (size_t j = 0; j < d(); ++j) {
      defined[j] += p.defined(static_cast<int>(j));
      min[j] = std::min(min[j], p.min(static_cast<int>(j)));
      max[j] = std::max(max[j], p.max(static_cast<int>(j)));
    }
  }
  if (rows == 0)
    return absl::InvalidArgumentError("the partitions have no rows");
  const std::array<double, 2> w =
      internal::ClassWeights(options, rows, positives);
  negative_weight = w[0] * static_cast<double>(rows - positives);
  positive_weight = w[1] * static_cast<double>(positives);
  if (!(positive_weight > 0) || !(negative_weight > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a single class: every row with positive weight is labelled ",
        positive_weight > 0 ? 1 : 0,
        "; fitting needs churned and retained customers"));
  }
  round.set_negative_class_weight(w[0]);
  round.set_positive_class_weight(w[1]);
  round.set_rank_samples(0);
  if (options.winsorize() > 0) {
    Brackets(partials);
    NextRound(v1::FIT_STAGE_SELECT);
  } else {
    NextRound(v1::FIT_STAGE_MOMENTS);
  }
  return absl::OkStatus();
}

// Per column and tail, an interval sure to hold the value of the sought
// rank k: `low`, the largest sampled value of which fewer than k + 1 values
// can be smaller, and `high`, the smallest of which at least k + 1 values
// are sure to be at most it (the largest value of every partition is
// sampled, so one exists).
void PartitionedFit::State::Brackets(
    absl::Span<const v1::FitPartial> partials) {
  round.clear_select_low();
  round.clear_select_high();
  sought.assign(2 * d(), 0);
  for (size_t j = 0; j < d(); ++j) {
    const size_t count = static_cast<size_t>(defined[j]);
    const size_t lo = internal::WinsorLowRank(count, options.winsorize());
    sought[2 * j] = lo;
    sought[2 * j + 1] = count == 0 ? 0 : count - 1 - lo;
    std::vector<double> candidates;
    for (const v1::FitPartial& p : partials) {
      const v1::RankSample& s = p.samples(static_cast<int>(j));
      candidates.insert(candidates.end(), s.values().begin(), s.values().end());
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()),
                     candidates.end());
    // Most values < t (bound from above) and fewest values <= t.
    auto most_below = [&](double t) {
      size_t total = 0;
      for (const v1::FitPartial& p : partials) {
        const v1::RankSample& s = p.samples(static_cast<int>(j));
        const auto it =
            std::lower_bound(s.values().begin(), s.values().end(), t);
        total += it == s.values().end()
                     ? static_cast<size_t>(p.defined(static_cast<int>(j)))
                     : static_cast<size_t>(
                           s.ranks(static_cast<int>(it - s.values().begin())));
      }
      return total;
    };
    auto fewest_at_most = [&](double t) {
      size_t total = 0;
      for (const v1::FitPartial& p : partials) {
        const v1::RankSample& s = p.samples(static_cast<int>(j));
        const auto it =
            std::upper_bound(s.values().begin(), s.values().end(), t);
        if (it != s.values().begin()) {
          total += static_cast<size_t>(
                       s.ranks(static_cast<int>(it - s.values().begin() - 1))) +
                   1;
        }
      }
      return total;
    };
    for (int tail = 0; tail < 2; ++tail) {
      const size_t k = sought[2 * j + tail];
      // most_below and fewest_at_most grow with t: binary searches.
      const auto low_end =
          std::partition_point(candidates.begin(), candidates.end(),
                               [&](double t) { return most_below(t) <= k; });
      const auto high_it = std::partition_point(
          candidates.begin(), candidates.end(),
          [&](double t) { return fewest_at_most(t) < k + 1; });
      const double low =
          low_end == candidates.begin() ? -kInf : *std::prev(low_end);
      const double high = high_it == candidates.end() ? kInf : *high_it;
      round.add_select_low(low);
      round.add_select_high(std::max(low, high));
    }
  }
}

absl::Status PartitionedFit::State::AfterSelect(
    absl::Span<const v1::FitPartial> partials) {
  round.clear_clip_lower();
  round.clear_clip_upper();
  for (size_t j = 0; j < d(); ++j) {
    double bound[2] = {-kInf, kInf};
    for (int tail = 0; tail < 2 && defined[j] > 0; ++tail) {
      const int k = static_cast<int>(2 * j) + tail;
      const double low = round.select_low(k), high = round.select_high(k);
      int64_t below = 0, at_low = 0, at_high = 0;
      std::vector<double> inside;
      for (const v1::FitPartial& p : partials) {
        const v1::SelectedValues& s = p.selected(k);
        below += s.below();
        at_low += s.at_low();
        at_high += s.at_high();
        inside.insert(inside.end(), s.inside().begin(), s.inside().end());
      }
      std::sort(inside.begin(), inside.end());
      int64_t r = static_cast<int64_t>(sought[k]) - below;
      if (r >= 0 && r < at_low) {
        bound[tail] = low;
      } else if (r -= at_low;
                 r >= 0 && r < static_cast<int64_t>(inside.size())) {
        bound[tail] = inside[static_cast<size_t>(r)];
      } else if (r -= static_cast<int64_t>(inside.size());
                 r >= 0 && r < at_high) {
        bound[tail] = high;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "column '", columns[j],
            "': the partitions' values changed between rounds (the ",
            tail == 0 ? "lower" : "upper",
            " clipping quantile is not in its "
            "bracket)"));
      }
    }
    internal::KeepSignal(min[j] < max[j], &bound[0], &bound[1]);
    round.add_clip_lower(bound[0]);
    round.add_clip_upper(bound[1]);
  }
  round.clear_select_low();
  round.clear_select_high();
  NextRound(v1::FIT_STAGE_MOMENTS);
  return absl::OkStatus();
}

absl::Status PartitionedFit::State::AfterMoments(
    absl::Span<const v1::FitPartial> partials) {
  sums = ColumnSums(d());
  for (const v1::FitPartial& p : partials) {
    ColumnSums part(d());
    for (size_t j = 0; j < d(); ++j) {
      const v1::ColumnMoments& m = p.moments(static_cast<int>(j));
      part.weight[j] = m.weight();
      part.sum[j] = m.sum();
      part.min[j] = m.min();
      part.max[j] = m.max();
      part.squares[j] = m.squares();
    }
    part.total_weight = p.total_weight();
    internal::MergeColumnSums(part, &sums);
  }
  const bool standardize = !options.has_standardize() || options.standardize();
  absl::StatusOr<ColumnStats> finished =
      internal::FinishStats(sums, columns, standardize);
  if (!finished.ok()) return finished.status();
  stats = *std::move(finished);
  const size_t active = static_cast<size_t>(
      std::count(stats.active.begin(), stats.active.end(), 1));
  absl::StatusOr<internal::FitPlan> planned = internal::PlanFit(
      options, rows, d(), active, negative_weight + positive_weight);
  if (!planned.ok()) return planned.status();
  plan = *std::move(planned);
  internal::LogisticProblem shape;
  shape.d = d();
  shape.loss_scale = plan.loss_scale;
  shape.l2 = plan.l2;
  shape.active = stats.active.data();
  newton.emplace(shape, plan.solver,
                 std::log(positive_weight / negative_weight));
  round.mutable_means()->Assign(stats.mean.begin(), stats.mean.end());
  round.mutable_scales()->Assign(stats.scale.begin(), stats.scale.end());
  round.set_active(std::string(stats.active.begin(), stats.active.end()));
  round.mutable_theta()->Assign(newton->point().begin(), newton->point().end());
  NextRound(v1::FIT_STAGE_EVALUATE);
  return absl::OkStatus();
}

absl::StatusOr<bool> PartitionedFit::State::AfterEvaluate(
    absl::Span<const v1::FitPartial> partials) {
  internal::PassSums total;
  total.gradient.assign(d() + 1, 0.0);
  total.hessian.assign((d() + 1) * (d() + 1), 0.0);
  for (const v1::FitPartial& p : partials) {
    total.loss += p.loss();
    total.wrong += p.wrong();
    for (size_t k = 0; k < total.gradient.size(); ++k) {
      total.gradient[k] += p.gradient(static_cast<int>(k));
    }
    for (size_t k = 0; k < total.hessian.size(); ++k) {
      total.hessian[k] += p.hessian(static_cast<int>(k));
    }
  }
  if (correlations.empty()) {
    // The first point is the standard start: the correlations come from
    // its gradient, as FitLogistic's do.
    const bool standardize =
        !options.has_standardize() || options.standardize();
    correlations = internal::CorrelationsFromStart(
        total.gradient, sums, stats, standardize, /*loss_scale=*/1,
        {round.negative_class_weight(), round.positive_class_weight()},
        negative_weight, positive_weight);
  }
  absl::StatusOr<bool> done = newton->Consume(total);
  if (!done.ok()) return done.status();
  if (!*done) {
    round.mutable_theta()->Assign(newton->point().begin(),
                                  newton->point().end());
    NextRound(v1::FIT_STAGE_EVALUATE);
    return false;
  }
  const internal::SolverResult& result = newton->result();
  if (!result.converged && !options.allow_not_converged()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SOLVER_NEWTON_CHOLESKY did not converge in ", result.iterations,
        " iterations (largest gradient component ", result.gradient_norm,
        ", tolerance ", plan.solver.tolerance, " x ",
        result.initial_gradient_norm,
        "); raise max_iterations or tolerance, add a penalty, or set "
        "allow_not_converged"));
  }
  internal::FitOutcome outcome;
  outcome.columns = columns;
  outcome.stats = &stats;
  if (!round.clip_lower().empty()) {
    outcome.clip_lower = round.clip_lower();
    outcome.clip_upper = round.clip_upper();
  }
  outcome.correlations = correlations;
  outcome.solver = &result;
  outcome.solver_used = v1::SOLVER_NEWTON_CHOLESKY;
  outcome.impute = options.missing_values() == v1::MISSING_IMPUTE_MEAN;
  outcome.rows = rows;
  outcome.negative_weight = negative_weight;
  outcome.positive_weight = positive_weight;
  outcome.c = plan.c;
  model = internal::AssembleModel(outcome, options);
  return true;
}

absl::StatusOr<v1::FitPartial> ComputeFitPartial(
    const v1::FitRound& round, MatrixView x, absl::Span<const uint8_t> labels,
    int threads) {
  const size_t d = static_cast<size_t>(round.feature_names_size());
  if (x.num_cols() != d) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the matrix has ", x.num_cols(), " columns; the fit has ", d));
  }
  for (size_t j = 0; j < d; ++j) {
    if (x.columns[j] != round.feature_names(static_cast<int>(j))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column ", j, " is '", x.columns[j], "'; the fit expects '",
          round.feature_names(static_cast<int>(j)), "'"));
    }
  }
  CK_RETURN_IF_ERROR(internal::CheckShape(x));
  const size_t n = x.num_rows();
  if (labels.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: ", labels.size(), " values for ", n, " rows"));
  }
  size_t positives = 0;
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels[", i, "] is ", labels[i], "; labels must be 0 or 1"));
    }
    positives += labels[i];
  }
  const auto sized = [&](int size, absl::string_view field) {
    return size == static_cast<int>(d)
               ? absl::OkStatus()
               : absl::InvalidArgumentError(absl::StrCat("round.", field, ": ",
                                                         size, " values for ",
                                                         d, " columns"));
  };
  v1::FitPartial out;
  out.set_fit_id(round.fit_id());
  out.set_round(round.round());
  out.set_stage(round.stage());
  out.set_rows(static_cast<int64_t>(n));
  out.set_positives(static_cast<int64_t>(positives));
  std::vector<double> storage;
  switch (round.stage()) {
    case v1::FIT_STAGE_COUNT:
      if (round.rank_samples() < 0) {
        return absl::InvalidArgumentError("round.rank_samples: negative");
      }
      CountStage(round, x, &out);
      return out;
    case v1::FIT_STAGE_SELECT:
      if (round.select_low_size() != static_cast<int>(2 * d) ||
          round.select_high_size() != static_cast<int>(2 * d)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "round.select_low / select_high: ", round.select_low_size(), " / ",
            round.select_high_size(), " values for ", 2 * d));
      }
      SelectStage(round, x, &out);
      return out;
    case v1::FIT_STAGE_MOMENTS:
    case v1::FIT_STAGE_EVALUATE:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("round.stage: ", v1::FitStage_Name(round.stage()),
                       " is not a stage of a fit"));
  }
  if (round.clip_lower_size() != 0) {  // none: no clipping
    CK_RETURN_IF_ERROR(sized(round.clip_lower_size(), "clip_lower"));
  }
  if (round.clip_upper_size() != round.clip_lower_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("round.clip_upper: ", round.clip_upper_size(),
                     " values for ", round.clip_lower_size(), " lower bounds"));
  }
  const MatrixView clipped = internal::ClipColumns(x, Bounds(round), &storage);
  if (round.stage() == v1::FIT_STAGE_MOMENTS) {
    CK_RETURN_IF_ERROR(MomentsStage(round, clipped, threads, &out));
    return out;
  }
  CK_RETURN_IF_ERROR(sized(round.means_size(), "means"));
  CK_RETURN_IF_ERROR(sized(round.scales_size(), "scales"));
  CK_RETURN_IF_ERROR(sized(static_cast<int>(round.active().size()), "active"));
  if (round.theta_size() != static_cast<int>(d + 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "round.theta: ", round.theta_size(), " values for ", d + 1));
  }
  for (size_t j = 0; j < d; ++j) {
    const double scale = round.scales(static_cast<int>(j));
    if (!(scale > 0) || !std::isfinite(scale)) {
      return absl::InvalidArgumentError(
          absl::StrCat("round.scales[", j, "]: ", scale, " is not > 0"));
    }
  }
  // Values a reject-mode fit refuses are refused in the moments round.
  EvaluateStage(round, clipped, labels, threads, &out);
  return out;
}

}  // namespace churnkit
