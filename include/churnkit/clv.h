// churnkit/clv.h: customer lifetime value for non-contractual businesses
// (domain.md §7), with the BG/NBD purchase model and the Gamma-Gamma spend
// model (proto/churnkit/v1/clv.proto, docs/clv.md).
//
// Three steps: summarise each customer's orders as RFM (frequency, recency,
// age, mean repeat spend); fit both models by maximum likelihood on the
// summaries; predict P(alive), expected purchases over a horizon, expected
// spend and CLV per customer. Formulas and conventions follow the
// `lifetimes` package (BetaGeoFitter, GammaGammaFitter), so parameters
// compare directly with it; on CDNOW the fit reproduces the published
// r, alpha, a, b. Everything is deterministic and thread-safe (no state).
//
// Example:
//   absl::StatusOr<churnkit::RfmSummaries> rfm =
//       churnkit::ComputeRfmSummaries(dataset, as_of, rfm_options);
//   absl::StatusOr<churnkit::v1::BgNbdModel> bg = churnkit::FitBgNbd(*rfm);
//   absl::StatusOr<churnkit::v1::GammaGammaModel> gg =
//       churnkit::FitGammaGamma(*rfm);
//   churnkit::v1::ClvPredictOptions clv;
//   clv.set_horizon(365);  // days, the summaries' unit
//   clv.set_margin(0.3);
//   absl::StatusOr<churnkit::ClvPredictions> out =
//       churnkit::PredictClv(*rfm, *bg, &*gg, clv);
//   // rfm->customer_ids[i] has out->p_alive[i], out->clv[i], ...
#ifndef CHURNKIT_CLV_H_
#define CHURNKIT_CLV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/clv.pb.h"

namespace churnkit {

// RFM summaries, columnar: entry i of every vector is one customer.
struct RfmSummaries {
  // Empty, or one id per customer (ComputeRfmSummaries fills them).
  std::vector<std::string> customer_ids;
  // Repeat purchases x (integral, >= 0).
  std::vector<double> frequency;
  // t_x in `time_unit`: first to last purchase; 0 when x = 0.
  std::vector<double> recency;
  // T in `time_unit`: first purchase to the end of the observation.
  std::vector<double> age;
  // Mean value of the repeat purchases (0 when x = 0). May be empty when
  // only the purchase model is needed.
  std::vector<double> monetary;
  v1::ClvTimeUnit time_unit = v1::CLV_DAYS;
  // Customers of the data set without a purchase before as_of, left out.
  int64_t customers_without_orders = 0;

  size_t size() const { return frequency.size(); }
};

// Summarises the purchases (RfmOptions.orders; ORDER events by default)
// strictly before `as_of` of every customer with at least one; customers
// without one are left out and counted in customers_without_orders (never
// given NaN rows). See RfmOptions for day granularity and same-day merging:
// as_of 1997-10-01 with CLV_WEEKS reproduces lifetimes'
// summary_data_from_transaction_data(..., observation_period_end=
// "1997-09-30", freq="D") / 7, i.e. the published CDNOW summaries.
// Errors: InvalidArgument for an invalid filter or option (named), or
// as_of == kNoTime.
absl::StatusOr<RfmSummaries> ComputeRfmSummaries(
    const Dataset& dataset, UnixSeconds as_of,
    const v1::RfmOptions& options = {});

// Checks summaries: vectors of equal length (monetary and customer_ids may
// be empty), every value finite and >= 0, frequency integral, recency <=
// age, recency 0 exactly when frequency is 0, monetary present (only when
// `need_monetary`; 0 for a repeat buyer who returned everything, whom
// FitGammaGamma leaves out). InvalidArgument names the customer (id,
// or index) and field, e.g. "customer 'c7' (index 6): recency 40 > age 39".
absl::Status ValidateRfmSummaries(const RfmSummaries& rfm,
                                  bool need_monetary = false);

// The summaries as a message (customer_ids required), e.g. for the C ABI.
v1::RfmSummaries ToProto(const RfmSummaries& rfm, UnixSeconds as_of);
// A message back as summaries, with every customer's monetary value (0
// when unset: a message cannot leave it out). Not validated.
RfmSummaries FromProto(const v1::RfmSummaries& message);

// ---- Pattern summaries: fits over many partitions (docs/scale-out.md) ----
//
// The likelihoods depend on a customer only through (frequency, recency,
// age) for BG/NBD and (frequency, monetary) for Gamma-Gamma, so the fits
// need only the number of customers per distinct pattern
// (v1::RfmPatterns). Every fit below fits from patterns: the summaries of
// one process and the merged patterns of its partitions give the same
// bytes, hence bit-identical models.

// The patterns of `rfm` in canonical order; spend patterns when `rfm` has
// monetary values (has_monetary). Zero customers give empty patterns.
// Errors: those of ValidateRfmSummaries.
absl::StatusOr<v1::RfmPatterns> SummarizeRfmPatterns(const RfmSummaries& rfm);

// Checks patterns: equal list lengths; each pattern valid as a customer of
// ValidateRfmSummaries (spend: frequency > 0 whole, monetary finite > 0);
// counts >= 1 summing to at most 2^53; canonical order (strictly
// ascending); spend patterns only with has_monetary. InvalidArgument names
// the list and entry, e.g. "patterns: purchases[3]: recency 5 > age 4".
absl::Status ValidateRfmPatterns(const v1::RfmPatterns& patterns);

// The patterns of the union of disjoint customer sets: counts of equal
// patterns add, the result is canonical, so merging is associative and
// commutative and its bytes do not depend on the order of `parts`.
// Errors: InvalidArgument for no parts, an invalid part ("parts[2]: ..."),
// parts of different time units, parts with customers that disagree on
// has_monetary, or more than 2^53 customers in all.
absl::StatusOr<v1::RfmPatterns> MergeRfmPatterns(
    absl::Span<const v1::RfmPatterns> parts);

// Fits BG/NBD by maximum likelihood (BFGS on the log-parameters with the
// analytic gradient, from r = alpha = a = b = 1 in lifetimes' scaled time).
// Errors: InvalidArgument for invalid summaries (ValidateRfmSummaries) or
// options (named field), no customers; FailedPrecondition when no customer
// has a repeat purchase (the likelihood has no maximum), when a parameter
// runs off to 0 or infinity (degenerate data: set penalizer_coef > 0), or
// when the fit does not converge within max_iterations (unless
// allow_not_converged).
absl::StatusOr<v1::BgNbdModel> FitBgNbd(const RfmSummaries& rfm,
                                        const v1::ClvFitOptions& options = {});
// The same fit from patterns (FitBgNbd(rfm) is this of
// SummarizeRfmPatterns(rfm)): the log-likelihood summed over the distinct
// patterns, each weighted by its customers. Errors: as above, with
// ValidateRfmPatterns for the patterns.
absl::StatusOr<v1::BgNbdModel> FitBgNbd(const v1::RfmPatterns& patterns,
                                        const v1::ClvFitOptions& options = {});

// Fits Gamma-Gamma on the customers with frequency > 0 (the others are
// counted in num_skipped). Needs monetary, > 0 for every repeat buyer.
// Errors: as FitBgNbd; FailedPrecondition when no customer has a repeat
// purchase.
absl::StatusOr<v1::GammaGammaModel> FitGammaGamma(
    const RfmSummaries& rfm, const v1::ClvFitOptions& options = {});
// From patterns (spend patterns; has_monetary required).
absl::StatusOr<v1::GammaGammaModel> FitGammaGamma(
    const v1::RfmPatterns& patterns, const v1::ClvFitOptions& options = {});

// The assembly every host uses: BG/NBD, and Gamma-Gamma when `rfm` carries
// monetary values (every value, monetary included, checked before any fit
// runs). Errors: those of ValidateRfmSummaries, FitBgNbd and FitGammaGamma.
absl::StatusOr<v1::ClvModel> FitClv(const RfmSummaries& rfm,
                                    const v1::ClvFitOptions& options = {});
// From patterns: Gamma-Gamma when they have monetary values. The fit of
// merged partition patterns (MergeRfmPatterns) equals FitClv of all the
// customers' summaries, bit for bit.
absl::StatusOr<v1::ClvModel> FitClv(const v1::RfmPatterns& patterns,
                                    const v1::ClvFitOptions& options = {});

// Summed log-likelihoods (lifetimes' formulas, no penalty) of `rfm` under
// a model's parameters; Gamma-Gamma over the customers with frequency > 0.
// Errors: InvalidArgument for invalid summaries or non-positive or
// non-finite parameters.
absl::StatusOr<double> BgNbdLogLikelihood(const v1::BgNbdModel& model,
                                          const RfmSummaries& rfm);
absl::StatusOr<double> GammaGammaLogLikelihood(const v1::GammaGammaModel& model,
                                               const RfmSummaries& rfm);

// Per-customer predictions, entry i for customer i of the summaries.
struct ClvPredictions {
  std::vector<double> p_alive;
  // Expected purchases in (T, T + horizon].
  std::vector<double> expected_purchases;
  // Expected value of one future purchase (0 without a spend model).
  std::vector<double> expected_spend;
  // expected_purchases (discounted if asked) x expected_spend x margin.
  std::vector<double> clv;
};

// Predicts every customer of `rfm` under `bg_nbd` and, when `spend` is not
// null, the Gamma-Gamma spend model (monetary then required). Every output
// is finite.
// Errors: InvalidArgument for invalid summaries, parameters or options
// (named field); FailedPrecondition when spend.q <= 1 (infinite mean
// spend) or when the hypergeometric series cannot be summed for a customer
// (a horizon far beyond the data's time scale: t / (alpha + T + t) >
// 0.9999), naming the customer.
absl::StatusOr<ClvPredictions> PredictClv(const RfmSummaries& rfm,
                                          const v1::BgNbdModel& bg_nbd,
                                          const v1::GammaGammaModel* spend,
                                          const v1::ClvPredictOptions& options);

// Customer i's summary and predictions as one flat message (a CSV row).
v1::CustomerClv CustomerClvRow(const RfmSummaries& rfm,
                               const ClvPredictions& predictions, size_t i);

// Single-customer formulas (lifetimes' conditional_probability_alive,
// conditional_expected_number_of_purchases_up_to_time and
// conditional_expected_average_profit). Arguments are not validated:
// PredictClv is the checked entry point.
double ProbabilityAlive(const v1::BgNbdModel& m, double x, double t_x,
                        double age);
absl::StatusOr<double> ExpectedPurchases(const v1::BgNbdModel& m, double x,
                                         double t_x, double age,
                                         double horizon);
double ExpectedSpend(const v1::GammaGammaModel& m, double x, double monetary);

}  // namespace churnkit

#endif  // CHURNKIT_CLV_H_
