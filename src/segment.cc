#include "churnkit/segment.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "churnkit/clv.h"
#include "churnkit/features.h"
#include "churnkit/labels.h"
#include "churnkit/report.h"
#include "internal/attribute.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"
#include "internal/event_filter.h"
#include "internal/parallel.h"
#include "internal/revenue.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr double kSecondsPerDay = 86400.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Shares at a tier boundary within this relative tolerance of the boundary
// count as reaching it (0.8 x 100 must equal a cumulative 80).
constexpr double kShareTolerance = 1e-9;
// TierOptions defaults of the QUANTILES method (the shipped file sets the
// PARETO ones, which are its method).
constexpr double kQuantileAShare = 0.20;
constexpr double kQuantileBShare = 0.30;
constexpr char kUnknownReason[] = "unknown";

// ---- Options ---------------------------------------------------------------

template <typename Enum>
bool Unset(Enum e) {
  return static_cast<int>(e) == 0;
}

absl::Status CheckFraction(absl::string_view path, double v, double lo,
                           double hi) {
  if (!(v >= lo && v <= hi)) {
    return PathError(path,
                     absl::StrCat("must be in [", lo, ", ", hi, "], got ", v));
  }
  return absl::OkStatus();
}

// ---- Kaplan–Meier integrals -------------------------------------------------

// S(u) of a curve with its running integral, for O(log n) integrals.
class CurveIntegral {
 public:
  explicit CurveIntegral(const v1::SurvivalCurve& curve) {
    days_.reserve(curve.points_size() + 1);
    s_.reserve(curve.points_size() + 1);
    area_.reserve(curve.points_size() + 1);
    days_.push_back(0);
    s_.push_back(1);
    area_.push_back(0);
    for (const v1::SurvivalPoint& p : curve.points()) {
      if (p.days() <= days_.back()) {  // a churn at tenure 0
        s_.back() = p.survival();
        continue;
      }
      area_.push_back(area_.back() + s_.back() * (p.days() - days_.back()));
      days_.push_back(p.days());
      s_.push_back(p.survival());
    }
  }

  double S(double t) const { return s_[Step(t)]; }

  // Integral of S over [0, t].
  double Area(double t) const {
    const size_t k = Step(t);
    return area_[k] + s_[k] * (t - days_[k]);
  }

  double Remaining(double tenure, double horizon) const {
    const double s = S(tenure);
    if (s <= 0) return 0;
    return (Area(tenure + horizon) - Area(tenure)) / s;
  }

 private:
  // The last step starting at or before t (t >= 0).
  size_t Step(double t) const {
    const auto it = std::upper_bound(days_.begin(), days_.end(), t);
    return it == days_.begin() ? 0
                               : static_cast<size_t>(it - days_.begin()) - 1;
  }

  std::vector<double> days_, s_, area_;
};

// ---- Risk
// --------------------------------------------------------------------

// A risk value in [0, 1] from an input value, or an error naming `path`.
absl::StatusOr<double> ToRisk(const v1::RiskOptions& options, double v,
                              absl::string_view path) {
  switch (options.source()) {
    case v1::HEALTH_SCORE:
      if (!std::isfinite(v)) {
        return PathError(
            path, absl::StrCat("must be a finite health score, got ", v));
      }
      return std::clamp(1.0 - v / options.score_scale(), 0.0, 1.0);
    case v1::HEALTH_COLOUR:
      // The colour arrives as its enum number in a double.
      if (v == static_cast<double>(v1::GREEN)) return 0.0;
      if (v == static_cast<double>(v1::YELLOW)) return 0.5;
      if (v == static_cast<double>(v1::RED)) return 1.0;
      return PathError(
          path,
          absl::StrCat("must be a colour (1 GREEN, 2 YELLOW, 3 RED), got ", v));
    default:
      if (!(v >= 0 && v <= 1)) {
        return PathError(
            path,
            absl::StrCat("must be a churn probability in [0, 1], got ", v));
      }
      return v;
  }
}

// The margin rate of every customer (1 unless the value source uses it).
absl::StatusOr<std::vector<double>> MarginRates(
    const Dataset& ds, const v1::ValueOptions& options) {
  const bool uses_margin = options.source() != v1::HISTORICAL_REVENUE;
  std::vector<double> rates(ds.num_customers(),
                            uses_margin ? options.margin_rate() : 1.0);
  if (!uses_margin || options.margin_attribute().empty()) return rates;
  const std::optional<StringId> key =
      ds.strings().Find(options.margin_attribute());
  if (!key.has_value()) return rates;
  const CustomerTable& t = ds.customers();
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    for (uint32_t i = t.attr_offsets[c]; i < t.attr_offsets[c + 1]; ++i) {
      if (t.attr_key[i] != *key) continue;
      const absl::string_view text = ds.str(t.attr_value[i]);
      double rate = 0;
      if (!absl::SimpleAtod(text, &rate) || !(rate >= 0 && rate <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "customer '", ds.customer_id(c), "': attribute '",
            options.margin_attribute(), "' must be a margin rate in [0, 1], ",
            "got '", text, "'"));
      }
      rates[c] = rate;
    }
  }
  return rates;
}

// ---- Non-contractual CLV
// -------------------------------------------------------

// Each customer's BG/NBD x Gamma-Gamma CLV over `horizon_days` from its
// orders before as_of (clv.h); 0 for customers without an order.
absl::StatusOr<std::vector<double>> NonContractualClv(const Dataset& dataset,
                                                      UnixSeconds as_of,
                                                      int horizon_days) {
  auto in_source = [](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("value.source "
                                               "NON_CONTRACTUAL_CLV: ",
                                               s.message()));
  };
  absl::StatusOr<RfmSummaries> rfm = ComputeRfmSummaries(dataset, as_of);
  if (!rfm.ok()) return in_source(rfm.status());
  absl::StatusOr<v1::ClvModel> model = FitClv(*rfm);
  if (!model.ok()) return in_source(model.status());
  v1::ClvPredictOptions predict;
  predict.set_horizon(horizon_days);
  absl::StatusOr<ClvPredictions> p =
      PredictClv(*rfm, model->bg_nbd(), &model->gamma_gamma(), predict);
  if (!p.ok()) return in_source(p.status());
  std::vector<double> clv(dataset.num_customers(), 0.0);
  for (size_t i = 0; i < rfm->size(); ++i) {
    const std::optional<CustomerIndex> c =
        dataset.FindCustomer(rfm->customer_ids[i]);
    if (c.has_value()) clv[*c] = p->clv[i];
  }
  return clv;
}

// ---- Contractual CLV
// -----------------------------------------------------------

// Expected remaining lifetime (days) per customer at its own time `at[c]`,
// from the Kaplan–Meier curves as of as_of.
absl::StatusOr<std::vector<double>> RemainingLifetimes(
    const Dataset& ds, const v1::SegmentOptions& options, UnixSeconds as_of,
    absl::Span<const CustomerIndex> scope, absl::Span<const double> tenure) {
  const v1::ClvOptions& clv = options.value().clv();
  v1::ReportRequest request;
  request.set_as_of(FormatTime(as_of));
  // The curves need labels as of as_of only; a one-second period keeps
  // the headline figures cheap.
  request.mutable_period()->set_start(FormatTime(as_of - 1));
  if (options.has_definition()) {
    *request.mutable_definition() = options.definition();
  }
  request.set_threads(options.threads());
  v1::SurvivalOptions* survival = request.mutable_survival();
  std::optional<internal::AttributeReader> group;
  if (!clv.group_by().empty()) {
    survival->add_group_by(clv.group_by());
    absl::StatusOr<internal::AttributeReader> r =
        internal::AttributeReader::Create(ds, clv.group_by(),
                                          "value.clv.group_by");
    if (!r.ok()) return r.status();
    group = *std::move(r);
  }
  absl::StatusOr<v1::ChurnReport> report = BuildChurnReport(ds, request);
  if (!report.ok()) {
    return absl::Status(report.status().code(),
                        absl::StrCat("value.clv: Kaplan–Meier curves: ",
                                     report.status().message()));
  }
  std::vector<CurveIntegral> curves;
  absl::flat_hash_map<std::string, size_t> by_value;
  for (const v1::SurvivalCurve& curve : report->survival()) {
    if (!curve.attribute().empty() &&
        curve.customers() < clv.min_group_customers()) {
      continue;
    }
    if (!curve.attribute().empty()) by_value[curve.value()] = curves.size();
    curves.emplace_back(curve);
  }
  std::vector<double> remaining(ds.num_customers(), 0);
  for (size_t i = 0; i < scope.size(); ++i) {
    const CustomerIndex c = scope[i];
    size_t k = 0;  // the overall curve
    if (group.has_value()) {
      auto it = by_value.find(ds.str(group->Get(c)));
      if (it != by_value.end()) k = it->second;
    }
    remaining[c] = curves[k].Remaining(tenure[c], clv.horizon_days());
  }
  return remaining;
}

// ---- Reasons
// -------------------------------------------------------------------

struct ReasonIndex {
  // Indicator name -> taxonomy reasons it points to.
  absl::flat_hash_map<std::string, std::vector<int>> by_indicator;
  int num_reasons = 0;
};

ReasonIndex IndexReasons(const v1::ReasonTaxonomy& taxonomy) {
  ReasonIndex index;
  index.num_reasons = taxonomy.reasons_size();
  for (int r = 0; r < taxonomy.reasons_size(); ++r) {
    for (const std::string& ind : taxonomy.reasons(r).indicators()) {
      std::vector<int>& v = index.by_indicator[ind];
      if (v.empty() || v.back() != r) v.push_back(r);
    }
  }
  return index;
}

// The taxonomy reason with the most matching indicators (ties: the one
// matched first), or -1.
int InferReason(const ReasonIndex& index,
                absl::Span<const std::string> indicators) {
  std::vector<int> count(index.num_reasons, 0), first(index.num_reasons, -1);
  for (size_t i = 0; i < indicators.size(); ++i) {
    auto it = index.by_indicator.find(indicators[i]);
    if (it == index.by_indicator.end()) continue;
    for (int r : it->second) {
      ++count[r];
      if (first[r] < 0) first[r] = static_cast<int>(i);
    }
  }
  int best = -1;
  for (int r = 0; r < index.num_reasons; ++r) {
    if (count[r] == 0) continue;
    if (best < 0 || count[r] > count[best] ||
        (count[r] == count[best] && first[r] < first[best])) {
      best = r;
    }
  }
  return best;
}

int QuadrantIndex(v1::Quadrant q) { return static_cast<int>(q) - 1; }

v1::Quadrant QuadrantOf(bool high_value, bool high_risk) {
  if (high_risk) {
    return high_value ? v1::HIGH_VALUE_HIGH_RISK : v1::LOW_VALUE_HIGH_RISK;
  }
  return high_value ? v1::HIGH_VALUE_LOW_RISK : v1::LOW_VALUE_LOW_RISK;
}

}  // namespace

// ---- Public
// ----------------------------------------------------------------------

absl::StatusOr<v1::SegmentOptions> DefaultSegmentOptions() {
  v1::SegmentOptions options;
  if (absl::Status s = internal::ParseShippedConfig(
          internal::kDefaultSegmentTextproto,
          "configs/segment/default.textproto", &options);
      !s.ok()) {
    return s;
  }
  return options;
}

absl::StatusOr<v1::SegmentOptions> ResolveSegmentOptions(
    const v1::SegmentOptions& options) {
  absl::StatusOr<v1::SegmentOptions> defaults = DefaultSegmentOptions();
  if (!defaults.ok()) return defaults.status();
  v1::SegmentOptions out = options;
  const v1::ValueOptions& dv = defaults->value();
  v1::ValueOptions* v = out.mutable_value();
  if (Unset(v->source())) v->set_source(dv.source());
  if (v->window_days() == 0) v->set_window_days(dv.window_days());
  if (v->revenue_sources().empty()) {
    *v->mutable_revenue_sources() = dv.revenue_sources();
  }
  if (Unset(v->combine())) v->set_combine(dv.combine());
  if (!v->has_margin_rate()) v->set_margin_rate(dv.margin_rate());
  v1::ClvOptions* clv = v->mutable_clv();
  if (clv->horizon_days() == 0) clv->set_horizon_days(dv.clv().horizon_days());
  if (clv->min_group_customers() == 0) {
    clv->set_min_group_customers(dv.clv().min_group_customers());
  }

  v1::TierOptions* t = out.mutable_tiers();
  if (Unset(t->method())) t->set_method(defaults->tiers().method());
  const bool pareto = t->method() == v1::PARETO;
  if (!t->has_a_share()) {
    t->set_a_share(pareto ? defaults->tiers().a_share() : kQuantileAShare);
  }
  if (!t->has_b_share()) {
    t->set_b_share(pareto ? defaults->tiers().b_share() : kQuantileBShare);
  }
  if (out.high_value().rule_case() == v1::ValueCutoff::RULE_NOT_SET) {
    *out.mutable_high_value() = defaults->high_value();
  }
  v1::RiskOptions* r = out.mutable_risk();
  if (Unset(r->source())) r->set_source(defaults->risk().source());
  if (!r->has_score_scale()) r->set_score_scale(defaults->risk().score_scale());
  if (!r->has_cutoff()) r->set_cutoff(defaults->risk().cutoff());

  const v1::Strategies& ds = defaults->strategies();
  v1::Strategies* s = out.mutable_strategies();
  if (s->high_value_high_risk().empty()) {
    s->set_high_value_high_risk(ds.high_value_high_risk());
  }
  if (s->low_value_high_risk().empty()) {
    s->set_low_value_high_risk(ds.low_value_high_risk());
  }
  if (s->high_value_low_risk().empty()) {
    s->set_high_value_low_risk(ds.high_value_low_risk());
  }
  if (s->low_value_low_risk().empty()) {
    s->set_low_value_low_risk(ds.low_value_low_risk());
  }
  v1::ReasonOptions* ro = out.mutable_reasons();
  if (ro->window_days() == 0) {
    ro->set_window_days(defaults->reasons().window_days());
  }
  if (Unset(ro->segment_by())) {
    ro->set_segment_by(defaults->reasons().segment_by());
  }
  if (ro->taxonomy().reasons().empty()) {
    *ro->mutable_taxonomy() = defaults->reasons().taxonomy();
  }
  return out;
}

absl::Status ValidateSegmentOptions(const v1::SegmentOptions& options) {
  if (options.as_of().empty()) return PathError("as_of", "required");
  if (absl::StatusOr<UnixSeconds> t = ParseTime(options.as_of()); !t.ok()) {
    return PathError("as_of", t.status().message());
  }
  const v1::ValueOptions& v = options.value();
  if (!v1::ValueSource_IsValid(v.source()) || Unset(v.source())) {
    return PathError("value.source",
                     absl::StrCat("unknown value source ", v.source()));
  }
  if (v.window_days() <= 0) {
    return PathError("value.window_days",
                     absl::StrCat("must be > 0, got ", v.window_days()));
  }
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < v.revenue_sources_size(); ++i) {
    const int src = v.revenue_sources(i);
    const std::string path = absl::StrCat("value.revenue_sources[", i, "]");
    if (!v1::RevenueSource_IsValid(src) || src == 0) {
      return PathError(path, absl::StrCat("unknown revenue source ", src));
    }
    if (!seen.insert(src).second) {
      return PathError(path,
                       absl::StrCat("duplicate ", v1::RevenueSource_Name(src)));
    }
  }
  if (!v1::RevenueCombine_IsValid(v.combine()) || Unset(v.combine())) {
    return PathError("value.combine",
                     absl::StrCat("unknown combination ", v.combine()));
  }
  if (absl::Status s =
          CheckFraction("value.margin_rate", v.margin_rate(), 0, 1);
      !s.ok()) {
    return s;
  }
  if (v.clv().horizon_days() <= 0) {
    return PathError("value.clv.horizon_days",
                     absl::StrCat("must be > 0, got ", v.clv().horizon_days()));
  }
  if (v.clv().min_group_customers() < 1) {
    return PathError(
        "value.clv.min_group_customers",
        absl::StrCat("must be >= 1, got ", v.clv().min_group_customers()));
  }

  const v1::TierOptions& t = options.tiers();
  if (!v1::TierMethod_IsValid(t.method()) || Unset(t.method())) {
    return PathError("tiers.method",
                     absl::StrCat("unknown tier method ", t.method()));
  }
  if (!(t.a_share() > 0 && t.a_share() <= 1)) {
    return PathError("tiers.a_share",
                     absl::StrCat("must be in (0, 1], got ", t.a_share()));
  }
  if (absl::Status s =
          CheckFraction("tiers.b_share", t.b_share(), 0, 1 - t.a_share());
      !s.ok()) {
    return s;
  }

  const v1::ValueCutoff& hv = options.high_value();
  switch (hv.rule_case()) {
    case v1::ValueCutoff::kMaxTier:
      if (hv.max_tier() != "A" && hv.max_tier() != "B" &&
          hv.max_tier() != "C") {
        return PathError(
            "high_value.max_tier",
            absl::StrCat("must be A, B or C, got '", hv.max_tier(), "'"));
      }
      break;
    case v1::ValueCutoff::kTopShare:
      if (!(hv.top_share() > 0 && hv.top_share() < 1)) {
        return PathError(
            "high_value.top_share",
            absl::StrCat("must be in (0, 1), got ", hv.top_share()));
      }
      break;
    case v1::ValueCutoff::kMinValue:
      if (!(hv.min_value() >= 0) || !std::isfinite(hv.min_value())) {
        return PathError(
            "high_value.min_value",
            absl::StrCat("must be finite and >= 0, got ", hv.min_value()));
      }
      break;
    default:
      return PathError("high_value", "a rule is required");
  }

  const v1::RiskOptions& r = options.risk();
  if (!v1::RiskSource_IsValid(r.source()) || Unset(r.source())) {
    return PathError("risk.source",
                     absl::StrCat("unknown risk source ", r.source()));
  }
  if (!(r.score_scale() > 0) || !std::isfinite(r.score_scale())) {
    return PathError(
        "risk.score_scale",
        absl::StrCat("must be finite and > 0, got ", r.score_scale()));
  }
  if (absl::Status s = CheckFraction("risk.cutoff", r.cutoff(), 0, 1);
      !s.ok()) {
    return s;
  }

  const v1::ReasonOptions& ro = options.reasons();
  if (ro.window_days() <= 0) {
    return PathError("reasons.window_days",
                     absl::StrCat("must be > 0, got ", ro.window_days()));
  }
  if (!v1::ReasonSegment_IsValid(ro.segment_by()) || Unset(ro.segment_by())) {
    return PathError("reasons.segment_by",
                     absl::StrCat("unknown segment ", ro.segment_by()));
  }
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < ro.taxonomy().reasons_size(); ++i) {
    const std::string& id = ro.taxonomy().reasons(i).id();
    const std::string path =
        absl::StrCat("reasons.taxonomy.reasons[", i, "].id");
    if (id.empty()) return PathError(path, "required");
    if (id == kUnknownReason) {
      return PathError(path,
                       "'unknown' is reserved for churn without a reason");
    }
    if (!ids.insert(id).second) {
      return PathError(path, absl::StrCat("duplicate '", id, "'"));
    }
  }
  if (options.has_definition()) {
    absl::StatusOr<ChurnLabeler> labeler =
        ChurnLabeler::Create(options.definition());
    if (!labeler.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("definition.", labeler.status().message()));
    }
  }
  return absl::OkStatus();
}

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kA:
      return "A";
    case Tier::kB:
      return "B";
    default:
      return "C";
  }
}

absl::StatusOr<TierThresholds> ComputeTierThresholds(
    absl::Span<const double> values, const v1::TierOptions& options) {
  if (!(options.a_share() > 0 && options.a_share() <= 1)) {
    return PathError("tiers.a_share", absl::StrCat("must be in (0, 1], got ",
                                                   options.a_share()));
  }
  if (absl::Status s = CheckFraction("tiers.b_share", options.b_share(), 0,
                                     1 - options.a_share());
      !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) || values[i] < 0) {
      return PathError(
          absl::StrCat("values[", i, "]"),
          absl::StrCat("must be finite and >= 0, got ", values[i]));
    }
  }
  // Sorted, and summed in that order: the thresholds depend only on the
  // multiset of values, so partitions' values merged in any order give
  // those of the whole, bit for bit.
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  double total = 0;
  for (double v : sorted) total += v;
  TierThresholds out;
  if (total <= 0) return out;
  const bool pareto = options.method() != v1::QUANTILES;
  const double whole = pareto ? total : static_cast<double>(sorted.size());
  const double a_end = options.a_share() * whole * (1 - kShareTolerance);
  const double b_end =
      (options.a_share() + options.b_share()) * whole * (1 - kShareTolerance);
  double before = 0;  // value (PARETO) or customers (QUANTILES) so far
  for (size_t i = 0; i < sorted.size();) {
    const double v = sorted[i];
    if (v <= 0) break;  // zero values stay C
    // A tie group takes the tier of its first member.
    if (before < a_end) {
      out.a_min = v;
    } else if (before < b_end) {
      out.b_min = v;
    } else {
      break;
    }
    for (; i < sorted.size() && sorted[i] == v; ++i) {
      before += pareto ? v : 1.0;
    }
  }
  return out;
}

Tier TierOf(double value, const TierThresholds& thresholds) {
  if (value > 0 && value >= thresholds.a_min) return Tier::kA;
  if (value > 0 && value >= thresholds.b_min) return Tier::kB;
  return Tier::kC;
}

absl::StatusOr<std::vector<Tier>> AssignTiers(absl::Span<const double> values,
                                              const v1::TierOptions& options) {
  absl::StatusOr<TierThresholds> thresholds =
      ComputeTierThresholds(values, options);
  if (!thresholds.ok()) return thresholds.status();
  std::vector<Tier> tiers;
  tiers.reserve(values.size());
  for (double v : values) tiers.push_back(TierOf(v, *thresholds));
  return tiers;
}

double ExpectedRemainingDays(const v1::SurvivalCurve& curve, double tenure_days,
                             double horizon_days) {
  return CurveIntegral(curve).Remaining(std::max(0.0, tenure_days),
                                        std::max(0.0, horizon_days));
}

const std::string& StrategyOf(const v1::SegmentOptions& options,
                              v1::Quadrant quadrant) {
  const v1::Strategies& s = options.strategies();
  switch (quadrant) {
    case v1::HIGH_VALUE_HIGH_RISK:
      return s.high_value_high_risk();
    case v1::LOW_VALUE_HIGH_RISK:
      return s.low_value_high_risk();
    case v1::HIGH_VALUE_LOW_RISK:
      return s.high_value_low_risk();
    default:
      return s.low_value_low_risk();
  }
}

std::vector<ReasonEvidence> EvidenceFromAssessment(
    const v1::Assessment& assessment) {
  std::vector<ReasonEvidence> out;
  for (const v1::CustomerAssessment& c : assessment.customers()) {
    ReasonEvidence e;
    e.customer_id = c.customer_id();
    for (const v1::Reason& r : c.churn_reasons()) {
      e.indicators.push_back(r.feature());
    }
    // Every rule that fired, whether the owner was alerted or the customer
    // was routed to automated care.
    auto add_reasons = [&](const v1::Alert& alert) {
      for (const v1::Alert& r : alert.reasons()) {
        e.indicators.push_back(r.rule());
      }
    };
    for (const v1::Alert& a : c.alerts()) add_reasons(a);
    if (c.has_routed_alert()) add_reasons(c.routed_alert());
    if (!e.indicators.empty()) out.push_back(std::move(e));
  }
  return out;
}

std::vector<ReasonEvidence> EvidenceFromExplanations(
    const v1::Explanations& explanations) {
  std::vector<ReasonEvidence> out;
  for (const v1::Explanation& row : explanations.rows()) {
    if (row.customer_id().empty() || row.risk().empty()) continue;
    ReasonEvidence e;
    e.customer_id = row.customer_id();
    for (const v1::Reason& r : row.risk()) e.indicators.push_back(r.feature());
    out.push_back(std::move(e));
  }
  return out;
}

// ---- Segment(), step by step -----------------------------------------------

// Each customer's risk on the options' scale (NaN: none given).
absl::StatusOr<std::vector<double>> RiskByCustomer(
    const Dataset& dataset, const v1::SegmentOptions& options, RiskInput risk) {
  const size_t n = dataset.num_customers();
  if (risk.customer_ids.size() != risk.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("risk: ", risk.customer_ids.size(), " ids for ",
                     risk.values.size(), " values"));
  }
  std::vector<double> risk_of(n, kNaN);
  CustomerIndex next = 0;  // ids usually come in data-set order
  for (size_t i = 0; i < risk.customer_ids.size(); ++i) {
    std::optional<CustomerIndex> c;
    if (next < n && dataset.customer_id(next) == risk.customer_ids[i]) {
      c = next;
    } else {
      c = dataset.FindCustomer(risk.customer_ids[i]);
    }
    if (c.has_value()) next = *c + 1;
    const std::string path = absl::StrCat("risk.customer_ids[", i, "]");
    if (!c.has_value()) {
      return PathError(
          path, absl::StrCat("unknown customer '", risk.customer_ids[i], "'"));
    }
    if (!std::isnan(risk_of[*c])) {
      return PathError(path, absl::StrCat("customer '", risk.customer_ids[i],
                                          "' given twice"));
    }
    absl::StatusOr<double> r = ToRisk(options.risk(), risk.values[i],
                                      absl::StrCat("risk.values[", i, "]"));
    if (!r.ok()) return r.status();
    risk_of[*c] = *r;
  }
  return risk_of;
}

// The evidence indicators of each customer that has some.
absl::StatusOr<absl::flat_hash_map<CustomerIndex, std::vector<std::string>>>
EvidenceByCustomer(const Dataset& dataset,
                   absl::Span<const ReasonEvidence> evidence) {
  absl::flat_hash_map<CustomerIndex, std::vector<std::string>> evidence_of;
  for (size_t i = 0; i < evidence.size(); ++i) {
    const std::optional<CustomerIndex> c =
        dataset.FindCustomer(evidence[i].customer_id);
    if (!c.has_value()) {
      return PathError(
          absl::StrCat("evidence[", i, "].customer_id"),
          absl::StrCat("unknown customer '", evidence[i].customer_id, "'"));
    }
    std::vector<std::string>& v = evidence_of[*c];
    v.insert(v.end(), evidence[i].indicators.begin(),
             evidence[i].indicators.end());
  }

  return evidence_of;
}

// Every customer's churn label as of the options' date.
absl::StatusOr<std::vector<ChurnLabel>> LabelsAt(
    const Dataset& dataset, const v1::SegmentOptions& options,
    UnixSeconds as_of) {
  absl::StatusOr<v1::ChurnDefinition> definition = options.definition();
  if (!options.has_definition()) definition = DefaultChurnDefinition();
  if (!definition.ok()) return definition.status();
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(*definition);
  if (!labeler.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("definition.", labeler.status().message()));
  }
  return labeler->Label(dataset, as_of, options.threads());
}

// What each customer in scope is worth (indexed by customer).
struct CustomerValues {
  std::vector<UnixSeconds> at;
  std::vector<double> tenure, revenue, value, remaining;
};

absl::StatusOr<CustomerValues> ValueCustomers(
    const Dataset& dataset, const v1::SegmentOptions& options,
    UnixSeconds as_of, absl::Span<const CustomerIndex> scope,
    absl::Span<const ChurnLabel> labels) {
  const size_t n = dataset.num_customers();
  // Each customer is valued at its own time: as_of, or when its churn was
  // detected (passive churn begins at the last activity; valued then, the
  // window would miss that last order).
  std::vector<UnixSeconds> at(n, as_of);
  std::vector<double> tenure(n, 0), revenue(n, 0), value(n, 0), remaining(n, 0);
  for (CustomerIndex c : scope) {
    const ChurnLabel& l = labels[c];
    if (l.churned && l.detected_time != kNoTime)
      at[c] = std::min(as_of, l.detected_time);
    const UnixSeconds signup = dataset.customers().signup_time[c];
    if (signup != kNoTime) {
      tenure[c] =
          std::max(0.0, static_cast<double>(at[c] - signup) / kSecondsPerDay);
    }
  }
  internal::ParallelFor(
      scope.size(), options.threads(), [&](size_t from, size_t to) {
        // Net of returns; a customer who gave back more than it bought in
        // the window is worth nothing, not less.
        for (size_t i = from; i < to; ++i) {
          revenue[scope[i]] =
              std::max(0.0, internal::RevenueOf(dataset, scope[i],
                                                options.value(), at[scope[i]]));
        }
      });
  absl::StatusOr<std::vector<double>> margin =
      MarginRates(dataset, options.value());
  if (!margin.ok()) return margin.status();
  if (options.value().source() == v1::CONTRACTUAL_CLV) {
    absl::StatusOr<std::vector<double>> r =
        RemainingLifetimes(dataset, options, as_of, scope, tenure);
    if (!r.ok()) return r.status();
    remaining = *std::move(r);
  }
  std::vector<double> order_clv;
  if (options.value().source() == v1::NON_CONTRACTUAL_CLV) {
    absl::StatusOr<std::vector<double>> v =
        NonContractualClv(dataset, as_of, options.value().clv().horizon_days());
    if (!v.ok()) return v.status();
    order_clv = *std::move(v);
  }
  for (CustomerIndex c : scope) {
    value[c] = revenue[c] * (*margin)[c];
    if (options.value().source() == v1::CONTRACTUAL_CLV) {
      // Yearly margin x remaining years = margin per day x remaining days.
      value[c] *= remaining[c] / options.value().window_days();
    } else if (options.value().source() == v1::NON_CONTRACTUAL_CLV) {
      value[c] = order_clv[c] * (*margin)[c];
    }
  }

  return CustomerValues{std::move(at), std::move(tenure), std::move(revenue),
                        std::move(value), std::move(remaining)};
}

// A/B/C tiers (active customers by the tier options, churned ones by the
// active tiers' thresholds) and the high-value flag.
struct ValueTiers {
  std::vector<Tier> tier;
  std::vector<uint8_t> high_value;
  double min_of[3];  // smallest active value per tier; +inf when empty
  std::vector<CustomerIndex> active;
};

absl::StatusOr<ValueTiers> TierCustomers(const Dataset& dataset,
                                         const v1::SegmentOptions& options,
                                         absl::Span<const CustomerIndex> scope,
                                         absl::Span<const ChurnLabel> labels,
                                         absl::Span<const double> value) {
  const size_t n = dataset.num_customers();
  // Tiers over the active customers; churned ones by the thresholds.
  std::vector<CustomerIndex> active;
  for (CustomerIndex c : scope) {
    if (!labels[c].churned) active.push_back(c);
  }
  std::vector<double> active_values(active.size());
  for (size_t i = 0; i < active.size(); ++i) {
    active_values[i] = value[active[i]];
  }
  absl::StatusOr<TierThresholds> thresholds =
      ComputeTierThresholds(active_values, options.tiers());
  if (!thresholds.ok()) return thresholds.status();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double min_of[3] = {kInf, kInf, kInf};
  std::vector<Tier> tier(n, Tier::kC);
  for (size_t i = 0; i < active.size(); ++i) {
    tier[active[i]] = TierOf(active_values[i], *thresholds);
    double& m = min_of[static_cast<int>(tier[active[i]])];
    m = std::min(m, active_values[i]);
  }

  // High value.
  const v1::ValueCutoff& hv = options.high_value();
  double hv_threshold = kInf;  // value at or above which churned ones are
  std::vector<uint8_t> high_value(n, 0);
  if (hv.rule_case() == v1::ValueCutoff::kTopShare) {
    v1::TierOptions top;
    top.set_method(v1::QUANTILES);
    top.set_a_share(hv.top_share());
    top.set_b_share(0);
    absl::StatusOr<TierThresholds> t =
        ComputeTierThresholds(active_values, top);
    if (!t.ok()) return t.status();
    hv_threshold = t->a_min;
    for (size_t i = 0; i < active.size(); ++i) {
      high_value[active[i]] = TierOf(active_values[i], *t) == Tier::kA;
    }
  }
  const Tier max_tier = hv.max_tier() == "C"   ? Tier::kC
                        : hv.max_tier() == "B" ? Tier::kB
                                               : Tier::kA;
  for (CustomerIndex c : scope) {
    const bool churned = labels[c].churned;
    if (churned) tier[c] = TierOf(value[c], *thresholds);
    switch (hv.rule_case()) {
      case v1::ValueCutoff::kMaxTier:
        high_value[c] = tier[c] <= max_tier;
        break;
      case v1::ValueCutoff::kMinValue:
        high_value[c] = value[c] >= hv.min_value();
        break;
      default:
        if (churned) high_value[c] = value[c] > 0 && value[c] >= hv_threshold;
        break;
    }
  }

  ValueTiers out{std::move(tier), std::move(high_value), {}, std::move(active)};
  std::copy(std::begin(min_of), std::end(min_of), out.min_of);
  return out;
}

// Save first: expected loss, then quadrant, then value, then id.
void RankSaves(const Dataset& dataset, absl::Span<const CustomerIndex> active,
               absl::Span<const double> value,
               absl::Span<v1::CustomerSegment* const> row_of) {
  struct SaveKey {
    double at_risk;
    int quadrant;
    double value;
    CustomerIndex c;
  };
  std::vector<SaveKey> order;
  order.reserve(active.size());
  for (CustomerIndex c : active) {
    order.push_back(
        {row_of[c]->revenue_at_risk(), row_of[c]->quadrant(), value[c], c});
  }
  std::sort(order.begin(), order.end(),
            [&](const SaveKey& x, const SaveKey& y) {
              if (x.at_risk != y.at_risk) return x.at_risk > y.at_risk;
              if (x.quadrant != y.quadrant) return x.quadrant < y.quadrant;
              if (x.value != y.value) return x.value > y.value;
              return dataset.customer_id(x.c) < dataset.customer_id(y.c);
            });
  for (size_t i = 0; i < order.size(); ++i) {
    row_of[order[i].c]->set_save_rank(static_cast<int64_t>(i + 1));
  }
}

// The churn-reason matrix of the customers churned in the reason window.
void FillReasonMatrix(
    const Dataset& dataset, const v1::SegmentOptions& options,
    UnixSeconds as_of, absl::Span<const CustomerIndex> scope,
    absl::Span<const ChurnLabel> labels,
    const absl::flat_hash_map<CustomerIndex, std::vector<std::string>>&
        evidence_of,
    const CustomerValues& values, const ValueTiers& tiers,
    absl::Span<v1::CustomerSegment* const> row_of, v1::SegmentReport& report) {
  const std::vector<Tier>& tier = tiers.tier;
  const std::vector<uint8_t>& high_value = tiers.high_value;
  const std::vector<double>& revenue = values.revenue;
  const std::vector<double>& value = values.value;
  const v1::ReasonOptions& reason_options = options.reasons();
  const v1::ReasonTaxonomy& taxonomy = reason_options.taxonomy();
  const ReasonIndex index = IndexReasons(taxonomy);
  const UnixSeconds window_start =
      as_of - static_cast<UnixSeconds>(reason_options.window_days()) * 86400;
  v1::ReasonMatrix* matrix = report.mutable_reasons();
  matrix->set_window_start(FormatTime(window_start));
  matrix->set_segment_by(reason_options.segment_by());
  const bool by_tier = reason_options.segment_by() == v1::BY_TIER;
  if (by_tier) {
    for (const char* t : {"A", "B", "C"}) matrix->add_segments(t);
  } else {
    for (int q = 1; q <= 4; ++q) {
      matrix->add_segments(v1::Quadrant_Name(static_cast<v1::Quadrant>(q)));
    }
    matrix->add_segments(kUnknownReason);
  }
  // Rows: taxonomy, then keys outside it (sorted), then "unknown".
  absl::flat_hash_map<std::string, int> row_index;
  for (int r = 0; r < taxonomy.reasons_size(); ++r) {
    row_index[taxonomy.reasons(r).id()] = r;
  }
  struct Churned {
    CustomerIndex c;
    std::string reason;
    v1::ReasonSource source;
  };
  std::vector<Churned> churned;
  std::vector<std::string> extra_keys;
  bool any_unknown = false;
  for (CustomerIndex c : scope) {
    const ChurnLabel& l = labels[c];
    if (!l.churned || l.churn_time < window_start || l.churn_time >= as_of) {
      continue;
    }
    Churned ch{c, l.reason, v1::REASON_FROM_CANCELLATION};
    if (ch.reason.empty()) {
      auto it = evidence_of.find(c);
      const int r =
          it == evidence_of.end() ? -1 : InferReason(index, it->second);
      if (r >= 0) {
        ch.reason = taxonomy.reasons(r).id();
        ch.source = v1::REASON_INFERRED;
      } else {
        ch.reason = kUnknownReason;
        ch.source = v1::REASON_NO_EVIDENCE;
        any_unknown = true;
      }
    } else if (!row_index.contains(ch.reason)) {
      extra_keys.push_back(ch.reason);
    }
    churned.push_back(std::move(ch));
  }
  std::sort(extra_keys.begin(), extra_keys.end());
  extra_keys.erase(std::unique(extra_keys.begin(), extra_keys.end()),
                   extra_keys.end());
  for (const v1::ChurnReason& r : taxonomy.reasons()) {
    v1::ReasonRow* row = matrix->add_rows();
    row->set_reason(r.id());
    row->set_name(r.name());
    row->set_in_taxonomy(true);
    row->set_recoverable(r.recoverable());
    row->set_counter_plan(r.counter_plan());
    *row->mutable_typical_signs() = r.typical_signs();
  }
  for (const std::string& key : extra_keys) {
    row_index[key] = matrix->rows_size();
    v1::ReasonRow* row = matrix->add_rows();
    row->set_reason(key);
    row->set_name(key);
  }
  if (any_unknown) {
    // "unknown" cannot be a taxonomy id, so a cancellation key "unknown"
    // lands in the same row.
    if (!row_index.contains(kUnknownReason)) {
      row_index[kUnknownReason] = matrix->rows_size();
      v1::ReasonRow* row = matrix->add_rows();
      row->set_reason(kUnknownReason);
      row->set_name(kUnknownReason);
    }
  }
  for (v1::ReasonRow& row : *matrix->mutable_rows()) {
    for (const std::string& seg : matrix->segments()) {
      row.add_cells()->set_segment(seg);
    }
  }
  for (const Churned& ch : churned) {
    v1::CustomerSegment* s = row_of[ch.c];
    s->set_churn_reason(ch.reason);
    s->set_reason_source(ch.source);
    int col;
    if (by_tier) {
      col = static_cast<int>(tier[ch.c]);
    } else if (s->has_risk()) {
      col = QuadrantIndex(QuadrantOf(high_value[ch.c], s->high_risk()));
    } else {
      col = 4;
    }
    v1::ReasonRow* row = matrix->mutable_rows(row_index[ch.reason]);
    row->set_customers(row->customers() + 1);
    if (ch.source == v1::REASON_FROM_CANCELLATION) {
      row->set_from_cancellation(row->from_cancellation() + 1);
    } else if (ch.source == v1::REASON_INFERRED) {
      row->set_inferred(row->inferred() + 1);
    }
    row->set_revenue_lost(row->revenue_lost() + revenue[ch.c]);
    row->set_value_lost(row->value_lost() + value[ch.c]);
    v1::ReasonCell* cell = row->mutable_cells(col);
    cell->set_customers(cell->customers() + 1);
    cell->set_revenue_lost(cell->revenue_lost() + revenue[ch.c]);
    cell->set_value_lost(cell->value_lost() + value[ch.c]);
    matrix->set_churned(matrix->churned() + 1);
    matrix->set_revenue_lost(matrix->revenue_lost() + revenue[ch.c]);
  }
}

absl::StatusOr<v1::SegmentReport> Segment(
    const Dataset& dataset, const v1::SegmentOptions& raw_options,
    RiskInput risk, absl::Span<const ReasonEvidence> evidence) {
  absl::StatusOr<v1::SegmentOptions> resolved =
      ResolveSegmentOptions(raw_options);
  if (!resolved.ok()) return resolved.status();
  const v1::SegmentOptions& options = *resolved;
  if (absl::Status s = ValidateSegmentOptions(options); !s.ok()) return s;
  const UnixSeconds as_of = *ParseTime(options.as_of());
  if (absl::Status s = internal::CheckAsOfAfterData(dataset, as_of); !s.ok()) {
    return s;
  }
  const size_t n = dataset.num_customers();
  absl::StatusOr<std::vector<double>> risk_by =
      RiskByCustomer(dataset, options, risk);
  if (!risk_by.ok()) return risk_by.status();
  const std::vector<double>& risk_of = *risk_by;
  absl::StatusOr<absl::flat_hash_map<CustomerIndex, std::vector<std::string>>>
      evidence_of = EvidenceByCustomer(dataset, evidence);
  if (!evidence_of.ok()) return evidence_of.status();
  absl::StatusOr<std::vector<ChurnLabel>> labels =
      LabelsAt(dataset, options, as_of);
  if (!labels.ok()) return labels.status();

  const std::vector<CustomerIndex> scope = CustomersAt(dataset, as_of);
  v1::SegmentReport report;
  report.set_as_of(FormatTime(as_of));
  report.set_value_source(options.value().source());
  report.set_risk_source(options.risk().source());
  report.set_revenue_at_risk_basis(
      options.risk().source() == v1::CHURN_PROBABILITY ? "churn_probability"
                                                       : "risk_proxy");
  report.set_risk_cutoff(options.risk().cutoff());

  absl::StatusOr<CustomerValues> values =
      ValueCustomers(dataset, options, as_of, scope, *labels);
  if (!values.ok()) return values.status();
  const std::vector<double>& revenue = values->revenue;
  const std::vector<double>& value = values->value;
  const std::vector<double>& tenure = values->tenure;
  const std::vector<double>& remaining = values->remaining;
  absl::StatusOr<ValueTiers> tiered =
      TierCustomers(dataset, options, scope, *labels, value);
  if (!tiered.ok()) return tiered.status();
  const std::vector<Tier>& tier = tiered->tier;
  const std::vector<uint8_t>& high_value = tiered->high_value;
  const std::vector<CustomerIndex>& active = tiered->active;
  const double* min_of = tiered->min_of;
  constexpr double kInf = std::numeric_limits<double>::infinity();

  // The matrix.
  const v1::RiskOptions& ro = options.risk();
  v1::QuadrantSummary* quadrants[4];
  for (int q = 0; q < 4; ++q) {
    quadrants[q] = report.add_quadrants();
    quadrants[q]->set_quadrant(static_cast<v1::Quadrant>(q + 1));
    quadrants[q]->set_strategy(
        StrategyOf(options, static_cast<v1::Quadrant>(q + 1)));
  }
  v1::TierSummary* tiers[3];
  for (int t = 0; t < 3; ++t) {
    tiers[t] = report.add_tiers();
    tiers[t]->set_tier(TierName(static_cast<Tier>(t)));
  }
  std::vector<v1::CustomerSegment*> row_of(n, nullptr);
  double total_value = 0, total_at_risk = 0;
  std::optional<double> hv_min;
  for (CustomerIndex c : scope) {
    const bool churned = (*labels)[c].churned;
    v1::CustomerSegment* s = report.add_customers();
    row_of[c] = s;
    s->set_customer_id(std::string(dataset.customer_id(c)));
    s->set_churned(churned);
    s->set_revenue(revenue[c]);
    s->set_value(value[c]);
    s->set_tenure_days(tenure[c]);
    s->set_expected_remaining_days(remaining[c]);
    s->set_tier(TierName(tier[c]));
    s->set_high_value(high_value[c]);
    if (!std::isnan(risk_of[c])) {
      s->set_risk(risk_of[c]);
      s->set_high_risk(risk_of[c] >= ro.cutoff());
    } else if (!churned) {
      return absl::InvalidArgumentError(absl::StrCat(
          "risk: no value for active customer '", dataset.customer_id(c),
          "'; every customer not churned as of ", options.as_of(),
          " needs one"));
    }
    if (churned) continue;
    const v1::Quadrant q = QuadrantOf(high_value[c], s->high_risk());
    s->set_quadrant(q);
    s->set_strategy(StrategyOf(options, q));
    s->set_revenue_at_risk(value[c] * risk_of[c]);
    v1::QuadrantSummary* qs = quadrants[QuadrantIndex(q)];
    qs->set_customers(qs->customers() + 1);
    qs->set_value(qs->value() + value[c]);
    qs->set_revenue_at_risk(qs->revenue_at_risk() + s->revenue_at_risk());
    v1::TierSummary* ts = tiers[static_cast<int>(tier[c])];
    ts->set_customers(ts->customers() + 1);
    ts->set_value(ts->value() + value[c]);
    total_value += value[c];
    total_at_risk += s->revenue_at_risk();
    if (high_value[c]) hv_min = std::min(hv_min.value_or(kInf), value[c]);
  }
  report.set_active_customers(static_cast<int64_t>(active.size()));
  report.set_total_value(total_value);
  report.set_total_revenue_at_risk(total_at_risk);
  if (hv_min.has_value()) report.set_high_value_threshold(*hv_min);
  for (int t = 0; t < 3; ++t) {
    tiers[t]->set_value_share(total_value > 0 ? tiers[t]->value() / total_value
                                              : 0);
    tiers[t]->set_customer_share(
        active.empty() ? 0
                       : static_cast<double>(tiers[t]->customers()) /
                             static_cast<double>(active.size()));
    tiers[t]->set_min_value(std::isinf(min_of[t]) ? 0 : min_of[t]);
  }

  RankSaves(dataset, active, value, row_of);
  FillReasonMatrix(dataset, options, as_of, scope, *labels, *evidence_of,
                   *values, *tiered, row_of, report);
  return report;
}

absl::StatusOr<v1::SegmentReport> SegmentWithAssessment(
    const Dataset& dataset, const v1::SegmentOptions& options,
    const v1::Assessment& assessment,
    absl::Span<const ReasonEvidence> extra_evidence) {
  v1::SegmentOptions with_date = options;
  if (with_date.as_of().empty()) {
    with_date.set_as_of(FormatTime(assessment.as_of().seconds()));
  }
  v1::RiskSource source = options.risk().source();
  if (Unset(source)) {
    absl::StatusOr<v1::SegmentOptions> defaults = DefaultSegmentOptions();
    if (!defaults.ok()) return defaults.status();
    source = defaults->risk().source();
  }
  std::vector<std::string> ids;
  std::vector<double> values;
  ids.reserve(assessment.customers_size());
  values.reserve(assessment.customers_size());
  for (int i = 0; i < assessment.customers_size(); ++i) {
    const v1::CustomerAssessment& c = assessment.customers(i);
    double v = c.score();
    if (source == v1::HEALTH_COLOUR) v = c.colour();
    if (source == v1::CHURN_PROBABILITY) {
      v = c.churn_probability();
      if (std::isnan(v)) {
        if (c.churned()) continue;  // not needed for churned customers
        return PathError(
            absl::StrCat("assessment.customers[", i, "].churn_probability"),
            "NaN: risk.source is CHURN_PROBABILITY but the assessment was "
            "made without a model");
      }
    }
    ids.push_back(c.customer_id());
    values.push_back(v);
  }
  std::vector<ReasonEvidence> evidence = EvidenceFromAssessment(assessment);
  evidence.insert(evidence.end(), extra_evidence.begin(), extra_evidence.end());
  return Segment(dataset, with_date, RiskInput{ids, values}, evidence);
}

}  // namespace churnkit
