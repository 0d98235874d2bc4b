// churnkit/experiments.h: A/B tests of retention interventions (domain.md
// §8) and the statistics behind them.
//
// Interventions are INTERVENTION events: key = strategy id, group = A/B
// arm, amount = cost. AnalyzeExperiments() follows every treated customer
// over 1..3 cycles after the intervention and compares each arm with a
// control arm: retention rates, their difference with confidence intervals,
// the two-proportion z-test and Fisher's exact test, the sample size a
// conclusive test needs, the response and win-back rates, the cost per
// retained customer, and strategies flagged for a low response. Churn comes
// from the ChurnLabeler (labels.h). The request and the report are protobuf
// messages (proto/churnkit/v1/experiments.proto), documented field by field
// there and in docs/experiments.md with every formula.
//
// The statistics are also usable on their own. Proportions here are
// fractions (0..1); the report shows them as percentages.
//
// Example:
//   churnkit::v1::ExperimentOptions options;
//   options.set_as_of("2025-12-31");
//   options.set_cycle_days(30);
//   absl::StatusOr<churnkit::v1::ExperimentReport> report =
//       churnkit::AnalyzeExperiments(dataset, options);
//   for (const auto& s : report->strategies())
//     for (const auto& c : s.comparisons()) c.difference(), c.p_value();
//
//   churnkit::FisherExact(3, 1, 1, 3)->p_value;  // 0.4857 (tea tasting)
#ifndef CHURNKIT_EXPERIMENTS_H_
#define CHURNKIT_EXPERIMENTS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/experiments.pb.h"

namespace churnkit {

// ---- The normal distribution ------------------------------------------

// P(Z <= x) for a standard normal Z, from erfc (full double precision in
// both tails). NormalCdf(-inf) = 0, NormalCdf(inf) = 1; NaN gives NaN.
double NormalCdf(double x);

// The x with P(Z <= x) = p, by Wichura's algorithm AS 241 (PPND16, relative
// error about 1e-16). Errors: InvalidArgument naming `p` unless 0 < p < 1.
absl::StatusOr<double> NormalQuantile(double p);

// ---- Two proportions ----------------------------------------------------
//
// Group i has `successes_i` out of `trials_i`. Errors (InvalidArgument,
// naming the argument, e.g. "successes2: 12 is more than trials2 (10)"): a
// negative count, successes > trials, trials = 0.

// The two-proportion z-test of p1 = p2 with the pooled standard error
// sqrt(p(1-p)(1/n1 + 1/n2)), p = (s1 + s2) / (n1 + n2), as
// statsmodels.stats.proportion.proportions_ztest.
struct TwoProportionTest {
  double p1 = 0, p2 = 0;
  double difference = 0;      // p1 - p2
  double standard_error = 0;  // pooled
  double z = 0;
  double p_value = 1;            // two-sided
  double p_value_greater = 0.5;  // one-sided, alternative p1 > p2
  double p_value_less = 0.5;     // one-sided, alternative p1 < p2
  // Every trial of both groups succeeded, or none did: the standard error
  // is 0 and the difference is 0; z is reported as 0, so p_value = 1 and
  // the one-sided p-values 0.5 (no evidence either way), never NaN.
  bool degenerate = false;
};
absl::StatusOr<TwoProportionTest> TwoProportionZTest(int64_t successes1,
                                                     int64_t trials1,
                                                     int64_t successes2,
                                                     int64_t trials2);

enum class IntervalMethod {
  // p1 - p2 -/+ z sqrt(p1(1-p1)/n1 + p2(1-p2)/n2); not clipped to [-1, 1].
  kWald,
  // Newcombe (1998) method 10: the hybrid of the two groups' Wilson score
  // intervals, without continuity correction; always within [-1, 1].
  kNewcombe,
};

struct Interval {
  double lower = 0, upper = 0;
};

// Confidence interval of p1 - p2 at level 1 - alpha. Errors: also alpha
// outside (0, 1).
absl::StatusOr<Interval> DifferenceInterval(int64_t successes1, int64_t trials1,
                                            int64_t successes2, int64_t trials2,
                                            double alpha,
                                            IntervalMethod method);

// ---- Fisher's exact test ---------------------------------------------------

// Fisher's exact test of independence on the 2x2 table [[a, b], [c, d]]
// (hypergeometric probabilities in log space through lgamma).
struct FisherExactResult {
  // Two-sided, as scipy.stats.fisher_exact and R's fisher.test: the sum of
  // the probabilities of the tables with the observed margins that are no
  // more likely than the observed one (within a relative 1e-7).
  double p_value = 1;
  double p_less = 1;     // P(X <= a): odds ratio < 1
  double p_greater = 1;  // P(X >= a): odds ratio > 1
  // The sample odds ratio a d / (b c): +infinity when b c = 0 < a d;
  // nullopt when a row or column sums to 0 (every p-value is then 1).
  std::optional<double> odds_ratio;
};

// Errors: InvalidArgument naming a negative cell ("b: -1 is negative").
// O(log N + width of the tails) with N = a + b + c + d.
absl::StatusOr<FisherExactResult> FisherExact(int64_t a, int64_t b, int64_t c,
                                              int64_t d);

// ---- Sample size
// -------------------------------------------------------------

// Subjects per arm (equal arms) for a two-sided two-proportion z-test at
// level `alpha` to detect p1 vs p2 with probability `power` (Fleiss, Levin
// & Paik 2003, eq. 4.14 without continuity correction):
//   n = ((z_{1-alpha/2} sqrt(2 pbar (1-pbar)) + z_{power}
//         sqrt(p1(1-p1) + p2(1-p2))) / (p1 - p2))^2,  pbar = (p1 + p2) / 2,
// rounded up. Errors: InvalidArgument naming the argument when p1 or p2 is
// outside [0, 1], p1 = p2, alpha or power outside (0, 1), or the size
// exceeds 10^15.
absl::StatusOr<int64_t> SampleSizePerArm(double p1, double p2, double alpha,
                                         double power);

// ---- Intervention analysis
// ---------------------------------------------------

// The experiment report of every strategy (or those options.strategies()
// names) as of options.as_of(); see experiments.proto for how customers are
// counted. No event at or after as_of is used.
// Errors (InvalidArgument, the message names the option): an unparsable or
// too early as_of, cycle_days < 0, cycles outside 0..3, alpha, power
// outside (0, 1), min_response_rate outside [0, 100], min_detectable_lift
// outside [0, 100), a listed strategy without interventions, a control_arm
// that an analysed strategy lacks, an invalid definition or response
// filter ("definition.passive[0].inactive_days: must be > 0"). A data set
// without interventions gives a report without strategies.
// Thread-safe; `dataset` is only read.
absl::StatusOr<v1::ExperimentReport> AnalyzeExperiments(
    const Dataset& dataset, const v1::ExperimentOptions& options);

}  // namespace churnkit

#endif  // CHURNKIT_EXPERIMENTS_H_
