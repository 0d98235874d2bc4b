#include "churnkit/experiments.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "churnkit/labels.h"
#include "internal/config_util.h"
#include "internal/event_filter.h"
#include "internal/special.h"
#include "internal/time.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr int64_t kDay = 86400;

// ---- The normal distribution ----------------------------------------------

// z_{1 - alpha/2}; alpha already checked to be in (0, 1).
double TwoSidedZ(double alpha) { return -internal::NormalQuantile(alpha / 2); }

absl::Status CheckProbabilityArg(double x, absl::string_view name) {
  if (!(x > 0 && x < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": must be in (0, 1), got ", x));
  }
  return absl::OkStatus();
}

// ---- Counts ---------------------------------------------------------------

absl::Status CheckNonNegative(int64_t x, absl::string_view name) {
  if (x < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", x, " is negative"));
  }
  return absl::OkStatus();
}

absl::Status CheckGroup(int64_t successes, int64_t trials, int group) {
  const std::string s = absl::StrCat("successes", group);
  const std::string n = absl::StrCat("trials", group);
  if (absl::Status st = CheckNonNegative(successes, s); !st.ok()) return st;
  if (absl::Status st = CheckNonNegative(trials, n); !st.ok()) return st;
  if (trials == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(n, ": must be > 0 (no subjects in group ", group, ")"));
  }
  if (successes > trials) {
    return absl::InvalidArgumentError(absl::StrCat(
        s, ": ", successes, " is more than ", n, " (", trials, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckGroups(int64_t s1, int64_t n1, int64_t s2, int64_t n2) {
  if (absl::Status s = CheckGroup(s1, n1, 1); !s.ok()) return s;
  return CheckGroup(s2, n2, 2);
}

// Wilson score interval of s / n at z.
Interval Wilson(double s, double n, double z) {
  const double p = s / n, z2 = z * z;
  const double centre = p + z2 / (2 * n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  const double denom = 1 + z2 / n;
  return {std::max(0.0, (centre - half) / denom),
          std::min(1.0, (centre + half) / denom)};
}

// ---- The hypergeometric distribution ----------------------------------------

double LogChoose(double n, double k) {
  // lgamma_r: std::lgamma writes the global signgam (a data race).
  int sign;
  return ::lgamma_r(n + 1, &sign) - ::lgamma_r(k + 1, &sign) -
         ::lgamma_r(n - k + 1, &sign);
}

// The number X of successes in the first row of a 2x2 table with rows of
// n1 and n2 and a first column of m: X ~ Hypergeometric(n1 + n2, n1, m).
class Hypergeometric {
 public:
  Hypergeometric(int64_t n1, int64_t n2, int64_t m)
      : n1_(n1),
        n2_(n2),
        m_(m),
        lo_(std::max<int64_t>(0, m - n2)),
        hi_(std::min(m, n1)),
        log_total_(
            LogChoose(static_cast<double>(n1 + n2), static_cast<double>(m))) {
    // The mode of the hypergeometric distribution.
    const double mode = std::floor((static_cast<double>(m) + 1) *
                                   (static_cast<double>(n1) + 1) /
                                   (static_cast<double>(n1 + n2) + 2));
    mode_ = std::clamp(static_cast<int64_t>(mode), lo_, hi_);
  }

  int64_t lo() const { return lo_; }
  int64_t hi() const { return hi_; }
  int64_t mode() const { return mode_; }

  double LogPmf(int64_t x) const {
    return LogChoose(static_cast<double>(n1_), static_cast<double>(x)) +
           LogChoose(static_cast<double>(n2_), static_cast<double>(m_ - x)) -
           log_total_;
  }

  // Sum of pmf(x) for x = from, from + step, ... while within [lo, hi],
  // moving away from the mode (terms decrease), stopping once a term no
  // longer changes the sum.
  double TailSum(int64_t from, int step) const {
    double sum = 0;
    for (int64_t x = from; x >= lo_ && x <= hi_; x += step) {
      const double term = std::exp(LogPmf(x));
      sum += term;
      if (term <= sum * 1e-17) break;
    }
    return sum;
  }

  // P(X <= x).
  double Cdf(int64_t x) const {
    if (x < lo_) return 0;
    if (x >= hi_) return 1;
    if (x <= mode_) return TailSum(x, -1);
    return std::max(0.0, 1 - TailSum(x + 1, +1));
  }

 private:
  int64_t n1_, n2_, m_, lo_, hi_, mode_ = 0;
  double log_total_;
};

// ---- Intervention analysis
// ----------------------------------------------------

// A customer's first intervention of a strategy.
struct Subject {
  CustomerIndex customer = 0;
  UnixSeconds time = 0;
  StringId arm = 0;
  double cost = 0;          // every intervention of the strategy
  int64_t repeats = 0;      // interventions after the first
  bool churned_at = false;  // churned (per the labeler) at `time`
  // Churned as of time + k x cycle, for k = 1..cycles; only for k whose
  // window is complete.
  std::vector<uint8_t> churned_after;
  UnixSeconds first_response = kNoTime;  // strictly after `time`
};

struct ResolvedOptions {
  UnixSeconds as_of = kNoTime;
  int cycle_days = 30;
  int cycles = 3;
  double alpha = 0.05;
  double power = 0.8;
  double min_response_rate = 0;
  double min_detectable_lift = 5;
};

absl::StatusOr<ResolvedOptions> Resolve(const Dataset& ds,
                                        const v1::ExperimentOptions& o) {
  ResolvedOptions r;
  if (!o.as_of().empty()) {
    absl::StatusOr<UnixSeconds> t = ParseTime(o.as_of());
    if (!t.ok()) return PathError("as_of", t.status().message());
    r.as_of = *t;
  } else if (ds.num_events() > 0) {
    r.as_of = internal::NextMidnight(ds.last_event_time());
  }
  if (r.as_of != kNoTime && ds.num_events() > 0 &&
      r.as_of <= ds.first_event_time()) {
    return PathError("as_of", absl::StrCat(FormatTime(r.as_of),
                                           " is not after the first event (",
                                           FormatTime(ds.first_event_time()),
                                           "); nothing is known before it"));
  }
  if (o.cycle_days() < 0) {
    return PathError("cycle_days",
                     absl::StrCat("must be > 0, got ", o.cycle_days()));
  }
  if (o.cycle_days() > 0) r.cycle_days = o.cycle_days();
  if (o.cycles() < 0 || o.cycles() > 3) {
    return PathError("cycles",
                     absl::StrCat("must be in 1..3, got ", o.cycles()));
  }
  if (o.cycles() > 0) r.cycles = o.cycles();
  if (o.alpha() != 0) {
    if (absl::Status s = CheckProbabilityArg(o.alpha(), "alpha"); !s.ok()) {
      return s;
    }
    r.alpha = o.alpha();
  }
  if (o.power() != 0) {
    if (absl::Status s = CheckProbabilityArg(o.power(), "power"); !s.ok()) {
      return s;
    }
    r.power = o.power();
  }
  if (!(o.min_response_rate() >= 0 && o.min_response_rate() <= 100)) {
    return PathError("min_response_rate",
                     absl::StrCat("must be a percentage in [0, 100], got ",
                                  o.min_response_rate()));
  }
  r.min_response_rate = o.min_response_rate();
  if (!(o.min_detectable_lift() >= 0 && o.min_detectable_lift() < 100)) {
    return PathError("min_detectable_lift",
                     absl::StrCat("must be percentage points in (0, 100), got ",
                                  o.min_detectable_lift()));
  }
  if (o.min_detectable_lift() > 0) {
    r.min_detectable_lift = o.min_detectable_lift();
  }
  return r;
}

// The default response events: an order, login or feature use; a contract
// signed, renewed or upgraded; a renewal reminder accepted.
std::vector<v1::EventFilter> DefaultResponse() {
  std::vector<v1::EventFilter> filters(2);
  filters[0].add_kinds(v1::ORDER);
  filters[0].add_kinds(v1::LOGIN);
  filters[0].add_kinds(v1::FEATURE_USE);
  filters[1].add_kinds(v1::CONTRACT);
  for (v1::EventSubtype s :
       {v1::CONTRACT_SIGNED, v1::CONTRACT_RENEWED, v1::CONTRACT_UPGRADED,
        v1::RENEWAL_REMINDER_ACCEPTED}) {
    filters[1].add_subtypes(s);
  }
  return filters;
}

std::optional<double> Rate(int64_t part, int64_t whole) {
  if (whole == 0) return std::nullopt;
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// The arm's or strategy's tallies, filled subject by subject.
struct Tally {
  int64_t customers = 0, repeats = 0, retention_subjects = 0;
  int64_t response_evaluated = 0, responded = 0, winback_attempts = 0;
  double cost = 0;
  struct Cycle {
    int64_t evaluated = 0, pending = 0, retained = 0;
    double cost = 0;
    int64_t wb_evaluated = 0, wb_pending = 0, won_back = 0;
  };
  std::vector<Cycle> cycles;

  void Add(const Subject& s, UnixSeconds as_of, int64_t cycle_seconds) {
    ++customers;
    repeats += s.repeats;
    cost += s.cost;
    if (s.time + cycle_seconds <= as_of) {
      ++response_evaluated;
      if (s.first_response != kNoTime &&
          s.first_response < s.time + cycle_seconds) {
        ++responded;
      }
    }
    if (s.churned_at) {
      ++winback_attempts;
    } else {
      ++retention_subjects;
    }
    for (size_t k = 0; k < cycles.size(); ++k) {
      Cycle& c = cycles[k];
      const UnixSeconds end =
          s.time + static_cast<int64_t>(k + 1) * cycle_seconds;
      const bool complete = end <= as_of;
      if (s.churned_at) {
        if (!complete) {
          ++c.wb_pending;
        } else {
          ++c.wb_evaluated;
          if (s.first_response != kNoTime && s.first_response < end) {
            ++c.won_back;
          }
        }
      } else if (!complete) {
        ++c.pending;
      } else {
        ++c.evaluated;
        c.cost += s.cost;
        if (!s.churned_after[k]) ++c.retained;
      }
    }
  }
};

void FillWinBack(const Tally& t, v1::WinBack* out) {
  out->set_attempts(t.winback_attempts);
  for (size_t k = 0; k < t.cycles.size(); ++k) {
    const Tally::Cycle& c = t.cycles[k];
    v1::WinBackCycle* w = out->add_cycles();
    w->set_cycle(static_cast<int32_t>(k + 1));
    w->set_evaluated(c.wb_evaluated);
    w->set_pending(c.wb_pending);
    w->set_won_back(c.won_back);
    if (auto r = Rate(c.won_back, c.wb_evaluated)) w->set_win_back_rate(*r);
  }
}

void FillArm(const Tally& t, absl::string_view name, const ResolvedOptions& opt,
             v1::ArmFigures* a) {
  a->set_arm(std::string(name));
  a->set_customers(t.customers);
  a->set_repeat_interventions(t.repeats);
  a->set_total_cost(t.cost);
  a->set_retention_subjects(t.retention_subjects);
  for (size_t k = 0; k < t.cycles.size(); ++k) {
    const Tally::Cycle& c = t.cycles[k];
    v1::CycleFigures* f = a->add_cycles();
    f->set_cycle(static_cast<int32_t>(k + 1));
    f->set_evaluated(c.evaluated);
    f->set_pending(c.pending);
    f->set_retained(c.retained);
    f->set_churned(c.evaluated - c.retained);
    if (auto r = Rate(c.retained, c.evaluated)) f->set_retention_rate(*r);
    if (auto r = Rate(c.evaluated - c.retained, c.evaluated)) {
      f->set_churn_rate(*r);
    }
    f->set_cost(c.cost);
    if (c.retained > 0) {
      f->set_cost_per_retained(c.cost / static_cast<double>(c.retained));
    }
  }
  a->set_response_evaluated(t.response_evaluated);
  a->set_responded(t.responded);
  if (auto r = Rate(t.responded, t.response_evaluated)) {
    a->set_response_rate(*r);
    a->set_low_response(*r < opt.min_response_rate);
  }
  FillWinBack(t, a->mutable_win_back());
}

// Compares arm and control after one cycle (their CycleFigures).
v1::ArmComparison Compare(const v1::CycleFigures& arm,
                          const v1::CycleFigures& control,
                          const ResolvedOptions& opt) {
  v1::ArmComparison c;
  c.set_cycle(arm.cycle());
  c.set_arm_evaluated(arm.evaluated());
  c.set_arm_retained(arm.retained());
  c.set_control_evaluated(control.evaluated());
  c.set_control_retained(control.retained());
  if (arm.evaluated() == 0 || control.evaluated() == 0) return c;
  const int64_t s1 = arm.retained(), n1 = arm.evaluated();
  const int64_t s2 = control.retained(), n2 = control.evaluated();
  // Counts come from the tallies: the checks below cannot fail.
  const TwoProportionTest z = *TwoProportionZTest(s1, n1, s2, n2);
  const Interval wald =
      *DifferenceInterval(s1, n1, s2, n2, opt.alpha, IntervalMethod::kWald);
  const Interval newcombe =
      *DifferenceInterval(s1, n1, s2, n2, opt.alpha, IntervalMethod::kNewcombe);
  const FisherExactResult fisher = *FisherExact(s1, n1 - s1, s2, n2 - s2);
  c.set_difference(100 * z.difference);
  c.set_wald_lower(100 * wald.lower);
  c.set_wald_upper(100 * wald.upper);
  c.set_newcombe_lower(100 * newcombe.lower);
  c.set_newcombe_upper(100 * newcombe.upper);
  c.set_z(z.z);
  c.set_p_value(z.p_value);
  c.set_p_value_greater(z.p_value_greater);
  c.set_fisher_p_value(fisher.p_value);
  if (fisher.odds_ratio.has_value()) {
    if (std::isinf(*fisher.odds_ratio)) {
      c.set_odds_ratio_infinite(true);
    } else {
      c.set_odds_ratio(*fisher.odds_ratio);
    }
  }
  // Expected counts of the 2x2 table under independence.
  const double total = static_cast<double>(n1 + n2);
  const double retained = static_cast<double>(s1 + s2);
  const double min_expected =
      std::min({static_cast<double>(n1), static_cast<double>(n2)}) *
      std::min(retained, total - retained) / total;
  const bool use_fisher = min_expected < 5;
  c.set_test(use_fisher ? "fisher" : "z");
  c.set_significant((use_fisher ? fisher.p_value : z.p_value) < opt.alpha);
  const double pc = z.p2, pa = z.p1;
  const double target = pc + opt.min_detectable_lift / 100;
  if (target <= 1) {
    if (absl::StatusOr<int64_t> n =
            SampleSizePerArm(target, pc, opt.alpha, opt.power);
        n.ok()) {
      c.set_sample_size_per_arm(*n);
    }
  }
  if (pa != pc) {
    if (absl::StatusOr<int64_t> n =
            SampleSizePerArm(pa, pc, opt.alpha, opt.power);
        n.ok()) {
      c.set_sample_size_observed(*n);
    }
  }
  if (pa > pc) {
    const double cost_a = arm.cost() / static_cast<double>(n1);
    const double cost_c = control.cost() / static_cast<double>(n2);
    c.set_incremental_cost_per_retained((cost_a - cost_c) / (pa - pc));
  }
  return c;
}

}  // namespace

// ---- Public statistics
// ----------------------------------------------------------

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

absl::StatusOr<double> NormalQuantile(double p) {
  if (absl::Status s = CheckProbabilityArg(p, "p"); !s.ok()) return s;
  return internal::NormalQuantile(p);
}

absl::StatusOr<TwoProportionTest> TwoProportionZTest(int64_t successes1,
                                                     int64_t trials1,
                                                     int64_t successes2,
                                                     int64_t trials2) {
  if (absl::Status s = CheckGroups(successes1, trials1, successes2, trials2);
      !s.ok()) {
    return s;
  }
  const double n1 = static_cast<double>(trials1);
  const double n2 = static_cast<double>(trials2);
  TwoProportionTest t;
  t.p1 = static_cast<double>(successes1) / n1;
  t.p2 = static_cast<double>(successes2) / n2;
  t.difference = t.p1 - t.p2;
  // Summed as doubles: the int64 sum overflows near INT64_MAX.
  const double pooled =
      (static_cast<double>(successes1) + static_cast<double>(successes2)) /
      (n1 + n2);
  t.standard_error = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (t.standard_error == 0) {
    t.degenerate = true;
    return t;  // z = 0, p = 1, one-sided 0.5
  }
  t.z = t.difference / t.standard_error;
  t.p_value = std::min(1.0, std::erfc(std::fabs(t.z) / std::sqrt(2.0)));
  t.p_value_greater = NormalCdf(-t.z);
  t.p_value_less = NormalCdf(t.z);
  return t;
}

absl::StatusOr<Interval> DifferenceInterval(int64_t successes1, int64_t trials1,
                                            int64_t successes2, int64_t trials2,
                                            double alpha,
                                            IntervalMethod method) {
  if (absl::Status s = CheckGroups(successes1, trials1, successes2, trials2);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckProbabilityArg(alpha, "alpha"); !s.ok()) return s;
  const double z = TwoSidedZ(alpha);
  const double s1 = static_cast<double>(successes1);
  const double s2 = static_cast<double>(successes2);
  const double n1 = static_cast<double>(trials1);
  const double n2 = static_cast<double>(trials2);
  const double p1 = s1 / n1, p2 = s2 / n2, d = p1 - p2;
  if (method == IntervalMethod::kWald) {
    const double se = std::sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2);
    return Interval{d - z * se, d + z * se};
  }
  const Interval w1 = Wilson(s1, n1, z), w2 = Wilson(s2, n2, z);
  const double below = std::hypot(p1 - w1.lower, w2.upper - p2);
  const double above = std::hypot(w1.upper - p1, p2 - w2.lower);
  return Interval{std::max(-1.0, d - below), std::min(1.0, d + above)};
}

absl::StatusOr<FisherExactResult> FisherExact(int64_t a, int64_t b, int64_t c,
                                              int64_t d) {
  for (const auto& [x, name] : {std::pair<int64_t, const char*>{a, "a"},
                                {b, "b"},
                                {c, "c"},
                                {d, "d"}}) {
    if (absl::Status s = CheckNonNegative(x, name); !s.ok()) return s;
  }
  if (a > INT64_MAX - b || c > INT64_MAX - d || a + b > INT64_MAX - (c + d)) {
    return absl::InvalidArgumentError(
        "arguments 'a' + 'b' + 'c' + 'd' exceed INT64_MAX");
  }
  FisherExactResult r;
  if (a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0) return r;
  if (b * 1.0 * c == 0) {
    r.odds_ratio = std::numeric_limits<double>::infinity();
  } else {
    r.odds_ratio = (static_cast<double>(a) * static_cast<double>(d)) /
                   (static_cast<double>(b) * static_cast<double>(c));
  }
  const Hypergeometric h(a + b, c + d, a + c);
  r.p_less = std::min(1.0, h.Cdf(a));
  // P(X >= a); an upper tail is summed directly, more accurate than 1 - cdf.
  r.p_greater =
      std::min(1.0, a > h.mode() ? h.TailSum(a, +1) : 1 - h.Cdf(a - 1));
  // Two-sided: every table no more likely than the observed one. The pmf
  // is unimodal, so those tables form a lower tail [lo, left] and an upper
  // tail [right, hi], found by binary search on each side of the mode.
  const double threshold = h.LogPmf(a) + std::log1p(1e-7);
  if (h.LogPmf(h.mode()) <= threshold) {
    r.p_value = 1;
    return r;
  }
  // Largest x in [lo, mode) with LogPmf(x) <= threshold (or lo - 1).
  int64_t lo = h.lo() - 1, hi = h.mode();  // LogPmf(hi) > threshold
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (h.LogPmf(mid) <= threshold ? lo : hi) = mid;
  }
  const int64_t left = lo;
  // Smallest x in (mode, hi] with LogPmf(x) <= threshold (or hi + 1).
  lo = h.mode();
  hi = h.hi() + 1;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (h.LogPmf(mid) <= threshold ? hi : lo) = mid;
  }
  const int64_t right = hi;
  double p = 0;
  if (left >= h.lo()) p += h.TailSum(left, -1);
  if (right <= h.hi()) p += h.TailSum(right, +1);
  r.p_value = std::min(1.0, p);
  return r;
}

absl::StatusOr<int64_t> SampleSizePerArm(double p1, double p2, double alpha,
                                         double power) {
  for (const auto& [p, name] :
       {std::pair<double, const char*>{p1, "p1"}, {p2, "p2"}}) {
    if (!(p >= 0 && p <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be a proportion in [0, 1], got ", p));
    }
  }
  if (p1 == p2) {
    return absl::InvalidArgumentError(
        absl::StrCat("p1, p2: equal (", p1, "); no difference to detect"));
  }
  if (absl::Status s = CheckProbabilityArg(alpha, "alpha"); !s.ok()) return s;
  if (absl::Status s = CheckProbabilityArg(power, "power"); !s.ok()) return s;
  const double za = TwoSidedZ(alpha);
  const double zb = internal::NormalQuantile(power);
  const double pbar = (p1 + p2) / 2;
  const double num = za * std::sqrt(2 * pbar * (1 - pbar)) +
                     zb * std::sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  const double n = std::pow(num / (p1 - p2), 2);
  if (!(n <= 1e15)) {
    return absl::InvalidArgumentError(
        absl::StrCat("p1, p2: a difference of ", p1 - p2,
                     " needs more than 10^15 subjects per arm"));
  }
  // A relative 1e-12 below an integer is rounding noise, not a fraction.
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(n * (1 - 1e-12))));
}

// ---- Intervention analysis
// ---------------------------------------------------------

absl::StatusOr<v1::ExperimentReport> AnalyzeExperiments(
    const Dataset& ds, const v1::ExperimentOptions& options) {
  absl::StatusOr<ResolvedOptions> resolved = Resolve(ds, options);
  if (!resolved.ok()) return resolved.status();
  const ResolvedOptions& opt = *resolved;

  v1::ChurnDefinition definition;
  if (options.has_definition()) {
    definition = options.definition();
  } else {
    absl::StatusOr<v1::ChurnDefinition> def = DefaultChurnDefinition();
    if (!def.ok()) return def.status();
    definition = *std::move(def);
  }
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(definition);
  if (!labeler.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("definition.", labeler.status().message()));
  }
  std::vector<v1::EventFilter> response_config(options.response().begin(),
                                               options.response().end());
  if (response_config.empty()) response_config = DefaultResponse();
  // Bound filters point into the compiled ones, which must outlive them.
  std::vector<internal::CompiledFilter> compiled;
  for (size_t i = 0; i < response_config.size(); ++i) {
    absl::StatusOr<internal::CompiledFilter> f = internal::CompileFilter(
        response_config[i], absl::StrCat("response[", i, "]"));
    if (!f.ok()) return f.status();
    compiled.push_back(*std::move(f));
  }
  const std::vector<internal::BoundFilter> response =
      internal::BindFilters(compiled, ds);

  v1::ExperimentReport report;
  report.set_as_of(opt.as_of == kNoTime ? "" : FormatTime(opt.as_of));
  report.set_cycle_days(opt.cycle_days);
  report.set_cycles(opt.cycles);
  report.set_alpha(opt.alpha);
  report.set_power(opt.power);
  report.set_min_response_rate(opt.min_response_rate);
  report.set_min_detectable_lift(opt.min_detectable_lift);
  if (opt.as_of == kNoTime) return report;  // no events: nothing to analyse

  // Which strategies: the listed ones (which must exist) or all.
  const bool filtered = options.strategies_size() > 0;
  absl::flat_hash_set<StringId> wanted;
  for (int i = 0; i < options.strategies_size(); ++i) {
    std::optional<StringId> id = ds.strings().Find(options.strategies(i));
    if (id.has_value()) wanted.insert(*id);
  }

  // Subjects per strategy: the first intervention of each customer.
  const EventTable& ev = ds.events();
  std::map<std::string, std::vector<Subject>> by_strategy;
  absl::flat_hash_map<StringId, std::vector<Subject>*> strategy_of;
  absl::flat_hash_map<StringId, size_t> seen;  // strategy -> subject index
  int64_t interventions = 0;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    seen.clear();
    for (size_t e = ds.event_begin(c); e < ds.event_end(c); ++e) {
      if (ev.time[e] >= opt.as_of) break;
      if (ev.kind[e] != v1::INTERVENTION) continue;
      const StringId key = ev.key[e];
      if (filtered && !wanted.contains(key)) continue;
      ++interventions;
      auto [it, fresh] = strategy_of.try_emplace(key, nullptr);
      if (fresh) it->second = &by_strategy[std::string(ds.str(key))];
      std::vector<Subject>& subjects = *it->second;
      auto [s, first] = seen.try_emplace(key, subjects.size());
      if (first) {
        Subject subject;
        subject.customer = c;
        subject.time = ev.time[e];
        subject.arm = ev.group[e];
        subjects.push_back(std::move(subject));
      } else {
        ++subjects[s->second].repeats;
      }
      subjects[s->second].cost += ev.amount[e];
    }
  }
  report.set_interventions(interventions);
  for (int i = 0; i < options.strategies_size(); ++i) {
    if (!by_strategy.contains(options.strategies(i))) {
      return PathError(
          absl::StrCat("strategies[", i, "]"),
          absl::StrCat("no INTERVENTION with key '", options.strategies(i),
                       "' before ", FormatTime(opt.as_of)));
    }
  }

  // Churn labels at each intervention and at each complete cycle end, in
  // one batch. An intervention at or before the first event of the data
  // set has nothing before it: the customer counts as not churned then.
  const int64_t cycle_seconds = int64_t{opt.cycle_days} * kDay;
  std::vector<CustomerIndex> who;
  std::vector<UnixSeconds> when;
  std::vector<uint8_t*> where;
  std::vector<uint8_t> at_intervention;  // filled below, one per subject
  size_t n_subjects = 0;
  for (auto& [name, subjects] : by_strategy) n_subjects += subjects.size();
  at_intervention.reserve(n_subjects);
  for (auto& [name, subjects] : by_strategy) {
    for (Subject& s : subjects) {
      s.churned_after.assign(opt.cycles, 0);
      at_intervention.push_back(0);
      if (s.time > ds.first_event_time()) {
        who.push_back(s.customer);
        when.push_back(s.time);
        where.push_back(&at_intervention.back());
      }
      for (int k = 0; k < opt.cycles; ++k) {
        const UnixSeconds end = s.time + (k + 1) * cycle_seconds;
        if (end > opt.as_of) break;
        who.push_back(s.customer);
        when.push_back(end);
        where.push_back(&s.churned_after[k]);
      }
      // The first response event strictly after the intervention.
      for (size_t e = ds.event_begin(s.customer); e < ds.event_end(s.customer);
           ++e) {
        if (ev.time[e] >= opt.as_of) break;
        if (ev.time[e] <= s.time) continue;
        if (std::any_of(response.begin(), response.end(),
                        [&](const internal::BoundFilter& f) {
                          return f.Match(ev, e);
                        })) {
          s.first_response = ev.time[e];
          break;
        }
      }
    }
  }
  absl::StatusOr<std::vector<ChurnLabel>> labels =
      labeler->LabelAt(ds, who, when, options.threads());
  if (!labels.ok()) return labels.status();
  for (size_t i = 0; i < where.size(); ++i) {
    *where[i] = (*labels)[i].churned ? 1 : 0;
  }
  size_t next = 0;
  for (auto& [name, subjects] : by_strategy) {
    for (Subject& s : subjects) s.churned_at = at_intervention[next++] != 0;
  }

  // Tallies per strategy and arm.
  for (const auto& [name, subjects] : by_strategy) {
    std::map<std::string, Tally> arms;
    Tally all;
    all.cycles.resize(opt.cycles);
    for (const Subject& s : subjects) {
      Tally& t = arms[std::string(ds.str(s.arm))];
      t.cycles.resize(opt.cycles);
      t.Add(s, opt.as_of, cycle_seconds);
      all.Add(s, opt.as_of, cycle_seconds);
    }
    std::string control = options.control_arm();
    if (control.empty()) {
      control = arms.contains("control") ? "control" : arms.begin()->first;
    } else if (!arms.contains(control)) {
      std::vector<std::string> names;
      for (const auto& [arm, t] : arms) names.push_back("'" + arm + "'");
      return PathError(
          "control_arm",
          absl::StrCat("'", control, "' is not an arm of strategy '", name,
                       "' (arms: ", absl::StrJoin(names, ", "), ")"));
    }
    v1::StrategyFigures* st = report.add_strategies();
    st->set_strategy(name);
    st->set_control_arm(control);
    for (const auto& [arm, t] : arms) FillArm(t, arm, opt, st->add_arms());
    const v1::ArmFigures* control_figures = nullptr;
    for (const v1::ArmFigures& a : st->arms()) {
      if (a.arm() == control) control_figures = &a;
    }
    for (const v1::ArmFigures& a : st->arms()) {
      if (&a == control_figures) continue;
      for (int k = 0; k < opt.cycles; ++k) {
        v1::ArmComparison* c = st->add_comparisons();
        *c = Compare(a.cycles(k), control_figures->cycles(k), opt);
        c->set_arm(a.arm());
        c->set_control_arm(control);
      }
    }
    st->set_customers(all.customers);
    st->set_total_cost(all.cost);
    st->set_response_evaluated(all.response_evaluated);
    st->set_responded(all.responded);
    if (auto r = Rate(all.responded, all.response_evaluated)) {
      st->set_response_rate(*r);
      st->set_low_response(*r < opt.min_response_rate);
    }
    FillWinBack(all, st->mutable_win_back());
  }
  return report;
}

}  // namespace churnkit
