#include "churnkit/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "churnkit/labels.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/util/message_differencer.h"
#include "internal/attribute.h"
#include "internal/revenue.h"
#include "internal/special.h"
#include "internal/status_macros.h"
#include "internal/time.h"

namespace churnkit {
namespace {

constexpr int64_t kDay = 86400;
constexpr double kSecondsPerDay = 86400.0;

template <typename T>
using Repeated = google::protobuf::RepeatedPtrField<T>;

absl::Status FieldError(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

// ---- Dates -------------------------------------------------------------

// Parses an optional date field of the request; nullopt when empty.
absl::StatusOr<std::optional<UnixSeconds>> ParseDate(absl::string_view field,
                                                     const std::string& text) {
  if (text.empty()) return std::optional<UnixSeconds>();
  absl::StatusOr<UnixSeconds> t = ParseTime(text);
  if (!t.ok()) return FieldError(field, t.status().message());
  return std::optional<UnixSeconds>(*t);
}

absl::CivilMonth MonthOf(UnixSeconds t) {
  return absl::ToCivilMonth(absl::FromUnixSeconds(t), absl::UTCTimeZone());
}

UnixSeconds StartOf(absl::CivilMonth month) {
  return absl::ToUnixSeconds(absl::FromCivil(month, absl::UTCTimeZone()));
}

// The same instant one calendar year earlier (Feb 29 becomes Mar 1).
UnixSeconds YearBefore(UnixSeconds t) {
  const absl::CivilSecond s =
      absl::ToCivilSecond(absl::FromUnixSeconds(t), absl::UTCTimeZone());
  const absl::CivilSecond earlier(s.year() - 1, s.month(), s.day(), s.hour(),
                                  s.minute(), s.second());
  return absl::ToUnixSeconds(absl::FromCivil(earlier, absl::UTCTimeZone()));
}

// Labels need history before their date: InvalidArgument naming `field`
// when `t` is not after the data's first event (kNoTime: none).
absl::Status CheckAfterFirstEvent(UnixSeconds first, absl::string_view field,
                                  UnixSeconds t) {
  if (first != kNoTime && t <= first) {
    return FieldError(
        field,
        absl::StrCat(FormatTime(t), " is not after the first event of the ",
                     "data set (", FormatTime(first),
                     "); nothing is known before it"));
  }
  return absl::OkStatus();
}

// ---- Customer attributes -----------------------------------------------

using internal::AttributeReader;

// Readers of a partition: a key no customer of it has is checked on the
// merged summary (RenderChurnReport).
absl::StatusOr<std::vector<AttributeReader>> MakeReaders(
    const Dataset& ds, const Repeated<std::string>& names,
    absl::string_view field) {
  std::vector<AttributeReader> readers;
  for (int i = 0; i < names.size(); ++i) {
    absl::StatusOr<AttributeReader> r = AttributeReader::CreateForPart(
        ds, names[i], absl::StrCat(field, "[", i, "]"));
    if (!r.ok()) return r.status();
    readers.push_back(*std::move(r));
  }
  return readers;
}

// The distinct values of `reader` among `customers`, in byte order, each
// with the customers holding it (in index order).
std::vector<std::pair<StringId, std::vector<CustomerIndex>>> GroupBy(
    const Dataset& ds, const AttributeReader& reader,
    const std::vector<CustomerIndex>& customers) {
  absl::flat_hash_map<StringId, std::vector<CustomerIndex>> by_value;
  for (CustomerIndex c : customers) by_value[reader.Get(c)].push_back(c);
  std::vector<std::pair<StringId, std::vector<CustomerIndex>>> groups(
      std::make_move_iterator(by_value.begin()),
      std::make_move_iterator(by_value.end()));
  std::sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
    return ds.str(a.first) < ds.str(b.first);
  });
  return groups;
}

// ---- Sums --------------------------------------------------------------

// Adds `b` to *a; false when the sum overflows.
[[nodiscard]] bool AddTo(int64_t* a, int64_t b) {
  return !__builtin_add_overflow(*a, b, a);
}

absl::Status Overflow(absl::string_view field) {
  return absl::OutOfRangeError(
      absl::StrCat(field, ": the sum overflows int64"));
}

// Money in whole cents, so sums are exact in any order (partitions merge
// exactly); NaN counts 0 and the magnitude saturates at 2^62 cents.
int64_t Cents(double value) {
  constexpr double kMax = 4611686018427387904.0;  // 2^62
  const double cents = std::round(value * 100);
  if (std::isnan(cents)) return 0;
  if (std::fabs(cents) >= kMax) {
    return cents > 0 ? static_cast<int64_t>(kMax) : -static_cast<int64_t>(kMax);
  }
  return static_cast<int64_t>(cents);
}

double FromCents(int64_t cents) { return static_cast<double>(cents) / 100.0; }

// ---- Revenue -----------------------------------------------------------

// ReportRequest.revenue_source values, in the order the default picks them.
constexpr absl::string_view kAnnualValue = "annual_value";
constexpr absl::string_view kOrders = "orders_365d";
constexpr absl::string_view kPayments = "payments_365d";
constexpr absl::string_view kNoRevenue = "none";

// A customer's revenue at a date, in cents, from the report's one source.
class RevenueOf {
 public:
  RevenueOf(const Dataset& ds, absl::string_view source) : ds_(ds) {
    options_.set_window_days(365);
    options_.set_combine(v1::FIRST_AVAILABLE);
    if (source == kAnnualValue) {
      options_.add_revenue_sources(v1::REVENUE_ANNUAL_VALUE);
    } else if (source == kOrders) {
      options_.add_revenue_sources(v1::REVENUE_ORDERS);
    } else if (source == kPayments) {
      options_.add_revenue_sources(v1::REVENUE_PAYMENTS_PAID);
    }
  }

  int64_t operator()(CustomerIndex c, UnixSeconds t) const {
    if (options_.revenue_sources().empty()) return 0;
    return Cents(internal::RevenueOf(ds_, c, options_, t));
  }

 private:
  const Dataset& ds_;
  v1::ValueOptions options_;
};

// ---- Extent ------------------------------------------------------------

// The latest event or signup; kNoTime when there is none.
UnixSeconds LatestActivity(const Dataset& ds) {
  UnixSeconds latest = ds.last_event_time();
  for (UnixSeconds signup : ds.customers().signup_time) {
    latest = std::max(latest, signup);
  }
  return latest;
}

// The parsed times of an extent (kNoTime when absent).
struct Times {
  UnixSeconds first = kNoTime, latest = kNoTime;
};

absl::StatusOr<Times> TimesOf(const v1::ReportExtent& e,
                              absl::string_view field) {
  absl::StatusOr<std::optional<UnixSeconds>> first =
      ParseDate(absl::StrCat(field, ".first_event"), e.first_event());
  if (!first.ok()) return first.status();
  absl::StatusOr<std::optional<UnixSeconds>> latest =
      ParseDate(absl::StrCat(field, ".latest_activity"), e.latest_activity());
  if (!latest.ok()) return latest.status();
  return Times{first->value_or(kNoTime), latest->value_or(kNoTime)};
}

// Merges extent `from` into `into` (field: from's name for errors).
absl::Status MergeExtent(const v1::ReportExtent& from, v1::ReportExtent& into,
                         absl::string_view field) {
  absl::StatusOr<Times> a = TimesOf(from, field);
  if (!a.ok()) return a.status();
  absl::StatusOr<Times> b = TimesOf(into, field);
  if (!b.ok()) return b.status();
  if (from.customers() < 0) {
    return FieldError(absl::StrCat(field, ".customers"), "must be >= 0");
  }
  int64_t customers = into.customers();
  if (!AddTo(&customers, from.customers())) {
    return Overflow(absl::StrCat(field, ".customers"));
  }
  into.set_customers(customers);
  // kNoTime is the least int64: it loses every max and is skipped by min.
  const UnixSeconds first = a->first == kNoTime ? b->first
                            : b->first == kNoTime
                                ? a->first
                                : std::min(a->first, b->first);
  if (first != kNoTime) into.set_first_event(FormatTime(first));
  const UnixSeconds latest = std::max(a->latest, b->latest);
  if (latest != kNoTime) into.set_latest_activity(FormatTime(latest));
  into.set_has_annual_value(into.has_annual_value() || from.has_annual_value());
  into.set_has_orders(into.has_orders() || from.has_orders());
  into.set_has_paid_payments(into.has_paid_payments() ||
                             from.has_paid_payments());
  std::vector<std::string> keys(into.attribute_keys().begin(),
                                into.attribute_keys().end());
  keys.insert(keys.end(), from.attribute_keys().begin(),
              from.attribute_keys().end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  into.mutable_attribute_keys()->Assign(keys.begin(), keys.end());
  return absl::OkStatus();
}

// ---- The request, resolved ---------------------------------------------

absl::Status CheckConfidence(double confidence, absl::string_view field) {
  if (!(confidence > 0 && confidence < 1)) {
    return FieldError(field,
                      absl::StrCat("must be in (0, 1), got ", confidence));
  }
  return absl::OkStatus();
}

absl::Status CheckHorizons(absl::Span<const int32_t> horizons,
                           absl::string_view field) {
  for (size_t i = 0; i < horizons.size(); ++i) {
    if (horizons[i] <= 0) {
      return FieldError(absl::StrCat(field, "[", i, "]"),
                        absl::StrCat("must be > 0, got ", horizons[i]));
    }
  }
  return absl::OkStatus();
}

double ConfidenceOf(const v1::ReportRequest& request) {
  return request.survival().confidence() == 0 ? 0.95
                                              : request.survival().confidence();
}

// The labeler of a request's definition; errors name the definition path.
absl::StatusOr<ChurnLabeler> LabelerOf(const v1::ChurnDefinition& definition) {
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(definition);
  if (!labeler.ok()) {
    // The labeler's messages start with the config path, e.g. "passive[0]".
    return absl::Status(
        labeler.status().code(),
        absl::StrCat("definition.", labeler.status().message()));
  }
  return labeler;
}

struct Plan {
  UnixSeconds as_of = kNoTime;
  UnixSeconds start = kNoTime, end = kNoTime;  // the period
  UnixSeconds trend_start = kNoTime, trend_end = kNoTime;
  std::optional<UnixSeconds> signups_start, signups_end;
  double z = 0;
  std::vector<int32_t> horizons;
};

// Checks that [start, end) is a range ending at or before as_of (its start
// is checked against the first event when rendering).
absl::Status CheckRange(absl::string_view field, UnixSeconds start,
                        UnixSeconds end, UnixSeconds as_of) {
  if (end <= start) {
    return FieldError(absl::StrCat(field, ".end"),
                      absl::StrCat(FormatTime(end), " is not after ", field,
                                   ".start ", FormatTime(start)));
  }
  if (end > as_of) {
    return FieldError(
        absl::StrCat(field, ".end"),
        absl::StrCat(FormatTime(end), " is after as_of ", FormatTime(as_of)));
  }
  return absl::OkStatus();
}

// Resolves dates and defaults from the data's times (`span`; a resolved
// request needs none). Returns a plan with as_of == kNoTime when there is
// no date at all (no data and no dates requested).
absl::StatusOr<Plan> MakePlan(const v1::ReportRequest& request, Times span) {
  Plan plan;
  absl::StatusOr<std::optional<UnixSeconds>> as_of =
      ParseDate("as_of", request.as_of());
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<std::optional<UnixSeconds>> start =
      ParseDate("period.start", request.period().start());
  if (!start.ok()) return start.status();
  absl::StatusOr<std::optional<UnixSeconds>> end =
      ParseDate("period.end", request.period().end());
  if (!end.ok()) return end.status();
  absl::StatusOr<std::optional<UnixSeconds>> trend_start =
      ParseDate("trend.range.start", request.trend().range().start());
  if (!trend_start.ok()) return trend_start.status();
  absl::StatusOr<std::optional<UnixSeconds>> trend_end =
      ParseDate("trend.range.end", request.trend().range().end());
  if (!trend_end.ok()) return trend_end.status();
  absl::StatusOr<std::optional<UnixSeconds>> signups_start =
      ParseDate("cohorts.signups.start", request.cohorts().signups().start());
  if (!signups_start.ok()) return signups_start.status();
  absl::StatusOr<std::optional<UnixSeconds>> signups_end =
      ParseDate("cohorts.signups.end", request.cohorts().signups().end());
  if (!signups_end.ok()) return signups_end.status();
  plan.signups_start = *signups_start;
  plan.signups_end = *signups_end;

  if (request.cohorts().max_months() < 0) {
    return FieldError(
        "cohorts.max_months",
        absl::StrCat("must be >= 0, got ", request.cohorts().max_months()));
  }
  const double confidence = ConfidenceOf(request);
  CK_RETURN_IF_ERROR(CheckConfidence(confidence, "survival.confidence"));
  plan.z = -internal::NormalQuantile((1 - confidence) / 2);
  plan.horizons.assign(request.survival().horizons_days().begin(),
                       request.survival().horizons_days().end());
  CK_RETURN_IF_ERROR(CheckHorizons(plan.horizons, "survival.horizons_days"));
  if (plan.horizons.empty()) plan.horizons = {90, 180, 365};
  const v1::LifecycleOptions& lifecycle = request.lifecycle();
  if (lifecycle.onboarding_days() < 0) {
    return FieldError("lifecycle.onboarding_days", "must be >= 0");
  }
  if (lifecycle.default_renewal_days() < 0) {
    return FieldError("lifecycle.default_renewal_days", "must be >= 0");
  }

  if (as_of->has_value()) {
    plan.as_of = **as_of;
  } else if (end->has_value()) {
    plan.as_of = **end;
  } else if (span.latest != kNoTime) {
    plan.as_of = internal::NextMidnight(span.latest);
  } else {
    return plan;  // nothing to date the report by
  }
  plan.end = end->value_or(plan.as_of);
  if (start->has_value()) {
    plan.start = **start;
  } else {
    plan.start = YearBefore(plan.end);
    // Before the first event + the longest inactivity window, silence
    // cannot be told from missing history: start no earlier than that.
    if (span.first != kNoTime) {
      int64_t window_days = 0;
      for (const v1::PassiveRule& rule : request.definition().passive()) {
        window_days = std::max<int64_t>(window_days, rule.inactive_days());
      }
      plan.start = std::max(
          plan.start, internal::NextMidnight(span.first + window_days * kDay));
    }
  }
  CK_RETURN_IF_ERROR(CheckRange("period", plan.start, plan.end, plan.as_of));
  plan.trend_start = trend_start->value_or(plan.start);
  plan.trend_end = trend_end->value_or(plan.end);
  if (request.has_trend()) {
    CK_RETURN_IF_ERROR(CheckRange("trend.range", plan.trend_start,
                                  plan.trend_end, plan.as_of));
  }
  return plan;
}

// `request` with its data-dependent defaults fixed from `extent`.
absl::StatusOr<v1::ReportRequest> Resolve(const v1::ReportRequest& request,
                                          const v1::ReportExtent& extent) {
  v1::ReportRequest out = request;
  if (!request.has_definition()) {
    absl::StatusOr<v1::ChurnDefinition> definition = DefaultChurnDefinition();
    if (!definition.ok()) return definition.status();
    *out.mutable_definition() = *std::move(definition);
  }
  if (absl::StatusOr<ChurnLabeler> labeler = LabelerOf(out.definition());
      !labeler.ok()) {
    return labeler.status();
  }
  const std::string& source = request.revenue_source();
  if (source.empty()) {
    out.set_revenue_source(std::string(extent.has_annual_value() ? kAnnualValue
                                       : extent.has_orders()     ? kOrders
                                       : extent.has_paid_payments()
                                           ? kPayments
                                           : kNoRevenue));
  } else if (source != kAnnualValue && source != kOrders &&
             source != kPayments && source != kNoRevenue) {
    return FieldError("revenue_source",
                      absl::StrCat("unknown source '", source,
                                   "'; expected annual_value, orders_365d, "
                                   "payments_365d or none"));
  }
  absl::StatusOr<Times> span = TimesOf(extent, "extent");
  if (!span.ok()) return span.status();
  absl::StatusOr<Plan> plan = MakePlan(out, *span);
  if (!plan.ok()) return plan.status();
  if (plan->as_of == kNoTime) return out;
  out.set_as_of(FormatTime(plan->as_of));
  out.mutable_period()->set_start(FormatTime(plan->start));
  out.mutable_period()->set_end(FormatTime(plan->end));
  if (request.has_trend()) {
    out.mutable_trend()->mutable_range()->set_start(
        FormatTime(plan->trend_start));
    out.mutable_trend()->mutable_range()->set_end(FormatTime(plan->trend_end));
  }
  if (plan->signups_start.has_value()) {
    out.mutable_cohorts()->mutable_signups()->set_start(
        FormatTime(*plan->signups_start));
  }
  if (plan->signups_end.has_value()) {
    out.mutable_cohorts()->mutable_signups()->set_end(
        FormatTime(*plan->signups_end));
  }
  return out;
}

// ---- Period figures ----------------------------------------------------

enum Stage { kOnboarding, kBeforeRenewal, kAfterRenewal, kStageUnknown };
constexpr const char* kStageNames[] = {"onboarding", "before_first_renewal",
                                       "after_first_renewal", "unknown"};

// Lifecycle stage of a churn from the customer's tenure at churn.
class StageOf {
 public:
  StageOf(const Dataset& ds, int64_t onboarding_days,
          int64_t default_renewal_days)
      : ds_(ds), onboarding_(onboarding_days * kDay) {
    const CustomerTable& ct = ds.customers();
    const ContractTable& k = ds.contracts();
    first_renewal_.resize(ds.num_customers(), kNoTime);
    for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
      const UnixSeconds signup = ct.signup_time[c];
      if (signup == kNoTime) continue;
      first_renewal_[c] = signup + default_renewal_days * kDay;
      // Contracts are sorted by start: the first renewing after signup.
      for (uint32_t i = k.offsets[c]; i < k.offsets[c + 1]; ++i) {
        if (k.renewal_time[i] > signup) {
          first_renewal_[c] = k.renewal_time[i];
          break;
        }
      }
    }
  }

  Stage operator()(CustomerIndex c, UnixSeconds churn_time) const {
    const UnixSeconds signup = ds_.customers().signup_time[c];
    if (signup == kNoTime) return kStageUnknown;
    if (churn_time - signup < onboarding_) return kOnboarding;
    return churn_time < first_renewal_[c] ? kBeforeRenewal : kAfterRenewal;
  }

 private:
  const Dataset& ds_;
  int64_t onboarding_;
  std::vector<UnixSeconds> first_renewal_;
};

struct Tally {
  int64_t customers = 0;
  int64_t cents = 0;
};

// The counts of one set of customers over one period, filled customer by
// customer.
struct Accumulator {
  int64_t at_start = 0, churned = 0, churned_customers = 0,
          churned_from_start = 0, reactivated = 0, new_customers = 0,
          at_end = 0;
  int64_t revenue_at_start = 0, revenue_lost = 0;  // cents
  std::array<Tally, 4> by_type;                    // indexed by v1::ChurnType
  std::array<Tally, 4> by_stage;
  std::map<std::string, Tally> by_reason;
  bool overflow = false;

  void AddRevenue(int64_t* sum, int64_t cents) {
    overflow = !AddTo(sum, cents) || overflow;
  }
  void Add(Tally& t, int64_t cents) {
    ++t.customers;
    AddRevenue(&t.cents, cents);
  }

  absl::StatusOr<v1::FiguresSummary> ToSummary() const {
    if (overflow) return Overflow("revenue (cents)");
    v1::FiguresSummary f;
    f.set_customers_at_start(at_start);
    f.set_churned(churned);
    f.set_churned_customers(churned_customers);
    f.set_churned_from_start(churned_from_start);
    f.set_reactivated(reactivated);
    f.set_new_customers(new_customers);
    f.set_customers_at_end(at_end);
    f.set_revenue_at_start_cents(revenue_at_start);
    f.set_revenue_lost_cents(revenue_lost);
    auto add = [](const std::string& key, const Tally& t,
                  Repeated<v1::ChurnTally>* out) {
      if (t.customers == 0) return;
      v1::ChurnTally* tally = out->Add();
      tally->set_key(key);
      tally->set_customers(t.customers);
      tally->set_revenue_cents(t.cents);
    };
    // Keyed lists in key order (MergeKeyed's order).
    std::map<std::string, const Tally*> types, stages;
    for (int type : {v1::ACTIVE, v1::PASSIVE, v1::HIDDEN}) {
      types[v1::ChurnType_Name(type)] = &by_type[type];
    }
    for (int stage = 0; stage < 4; ++stage) {
      stages[kStageNames[stage]] = &by_stage[stage];
    }
    for (const auto& [key, t] : types) add(key, *t, f.mutable_by_type());
    for (const auto& [key, t] : by_reason) add(key, t, f.mutable_by_reason());
    for (const auto& [key, t] : stages) add(key, *t, f.mutable_by_stage());
    return f;
  }
};

struct PeriodInputs {
  const Dataset& ds;
  const ChurnHistory& history;  // known at the report's as_of
  const StageOf& stage_of;
  const RevenueOf& revenue;
  const std::vector<AttributeReader>& breakdowns;
};

absl::StatusOr<v1::PeriodSummary> SummarizePeriod(const PeriodInputs& in,
                                                  UnixSeconds start,
                                                  UnixSeconds end) {
  const Dataset& ds = in.ds;
  Accumulator overall;
  std::vector<absl::flat_hash_map<StringId, Accumulator>> groups(
      in.breakdowns.size());
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    // Customers that did not exist by `end` play no part in the period.
    if (!ExistedAt(ds, c, end)) continue;
    const bool existed = ExistedAt(ds, c, start);
    const bool in_base = existed && in.history.At(c, start) == nullptr;
    const bool retained = in.history.At(c, end) == nullptr;
    const int64_t value = in_base ? in.revenue(c, start) : 0;
    int64_t churned = 0, reactivated = 0;
    for (const ChurnEpisode& e : in.history.episodes(c)) {
      churned += e.start >= start && e.start < end;
      reactivated += e.end != kNoTime && e.end >= start && e.end < end;
    }
    auto add = [&](Accumulator& a) {
      if (in_base) {
        ++a.at_start;
        a.AddRevenue(&a.revenue_at_start, value);
      }
      if (!existed) ++a.new_customers;
      if (retained) ++a.at_end;
      a.reactivated += reactivated;
      if (churned == 0) return;
      a.churned += churned;
      ++a.churned_customers;
      a.churned_from_start += in_base;
      for (const ChurnEpisode& e : in.history.episodes(c)) {
        if (e.start < start || e.start >= end) continue;
        const int64_t lost = in.revenue(c, e.start);
        a.AddRevenue(&a.revenue_lost, lost);
        a.Add(a.by_type[e.type], lost);
        a.Add(a.by_stage[in.stage_of(c, e.start)], lost);
        const bool known = e.type == v1::ACTIVE && !e.reason.empty();
        a.Add(a.by_reason[known ? e.reason : "unknown"], lost);
      }
    };
    add(overall);
    for (size_t b = 0; b < in.breakdowns.size(); ++b) {
      add(groups[b][in.breakdowns[b].Get(c)]);
    }
  }
  v1::PeriodSummary out;
  out.set_start(FormatTime(start));
  out.set_end(FormatTime(end));
  absl::StatusOr<v1::FiguresSummary> figures = overall.ToSummary();
  if (!figures.ok()) return figures.status();
  *out.mutable_overall() = *std::move(figures);
  for (size_t b = 0; b < in.breakdowns.size(); ++b) {
    v1::BreakdownSummary* breakdown = out.add_breakdowns();
    breakdown->set_attribute(in.breakdowns[b].name());
    std::vector<std::pair<absl::string_view, const Accumulator*>> sorted;
    for (const auto& [id, acc] : groups[b])
      sorted.push_back({ds.str(id), &acc});
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& [value, acc] : sorted) {
      v1::GroupSummary* g = breakdown->add_groups();
      g->set_value(std::string(value));
      figures = acc->ToSummary();
      if (!figures.ok()) return figures.status();
      *g->mutable_figures() = *std::move(figures);
    }
  }
  return out;
}

// ---- Cohorts -----------------------------------------------------------

v1::CohortSummary SummarizeCohorts(
    const Dataset& ds, const v1::CohortOptions& options,
    const std::optional<AttributeReader>& group_by, const Plan& plan,
    const ChurnHistory& history) {
  const CustomerTable& ct = ds.customers();
  // Without signups.start every signup counts here: the default (the month
  // of the first event) is the whole data set's, applied when rendering.
  std::vector<CustomerIndex> customers;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const UnixSeconds signup = ct.signup_time[c];
    if (signup == kNoTime || signup >= plan.as_of) continue;
    if (plan.signups_start.has_value() && signup < *plan.signups_start) {
      continue;
    }
    if (plan.signups_end.has_value() && signup >= *plan.signups_end) continue;
    customers.push_back(c);
  }
  const int max_months = options.max_months();
  // Cell k of cohort month M is as of the start of month M + k + 1; it
  // exists when that date is at or before as_of (and k < max_months).
  auto rows_of = [&](const std::vector<CustomerIndex>& members,
                     Repeated<v1::CohortRowSummary>* out) {
    std::map<absl::CivilMonth, v1::CohortRowSummary> rows;
    for (CustomerIndex c : members) {
      const absl::CivilMonth m = MonthOf(ct.signup_time[c]);
      v1::CohortRowSummary& row = rows[m];
      if (row.customers() == 0) {
        int64_t cells = 0;
        while (StartOf(m + cells + 1) <= plan.as_of &&
               (max_months == 0 || cells < max_months)) {
          ++cells;
        }
        row.mutable_retained()->Resize(static_cast<int>(cells), 0);
      }
      row.set_customers(row.customers() + 1);
      for (int k = 0; k < row.retained_size(); ++k) {
        if (history.At(c, StartOf(m + k + 1)) == nullptr) {
          row.set_retained(k, row.retained(k) + 1);
        }
      }
    }
    for (auto& [month, row] : rows) {
      row.set_cohort(absl::FormatCivilTime(month));
      *out->Add() = std::move(row);
    }
  };
  v1::CohortSummary out;
  rows_of(customers, out.mutable_rows());
  if (group_by.has_value()) {
    out.set_attribute(group_by->name());
    for (const auto& [value, members] : GroupBy(ds, *group_by, customers)) {
      v1::CohortGroupSummary* g = out.add_groups();
      g->set_value(std::string(ds.str(value)));
      rows_of(members, g->mutable_rows());
    }
  }
  return out;
}

// ---- Kaplan–Meier ------------------------------------------------------

// Observations at one time: `events` churned, `leaving` in all (churned
// and censored).
struct Step {
  double time;
  int64_t events;
  int64_t leaving;
};

// The curve of validated steps in increasing time (equal times are
// counted together) over `customers` observations in all.
v1::SurvivalCurve Estimate(const std::vector<Step>& steps, int64_t customers,
                           double z, absl::Span<const int32_t> horizons) {
  v1::SurvivalCurve curve;
  curve.set_customers(customers);
  double s = 1, greenwood = 0;
  int64_t at_risk = customers;
  for (size_t i = 0; i < steps.size();) {
    const double t = steps[i].time;
    int64_t events = 0, leaving = 0;
    for (; i < steps.size() && steps[i].time == t; ++i) {
      events += steps[i].events;
      leaving += steps[i].leaving;
    }
    if (events > 0) {
      const double n = static_cast<double>(at_risk);
      const double d = static_cast<double>(events);
      v1::SurvivalPoint* p = curve.add_points();
      p->set_days(t);
      p->set_at_risk(at_risk);
      p->set_churned(events);
      if (events < at_risk) {
        s *= (n - d) / n;
        greenwood += d / (n * (n - d));
        const double sigma = std::sqrt(greenwood) / std::fabs(std::log(s));
        p->set_survival(s);
        p->set_variance(s * s * greenwood);
        p->set_lower(std::pow(s, std::exp(z * sigma)));
        p->set_upper(std::pow(s, std::exp(-z * sigma)));
      } else {
        // Everyone at risk churned: S = 0 with no uncertainty left (the
        // limit of the Greenwood variance as at_risk - churned -> 0).
        s = 0;
        p->set_survival(0);
        p->set_variance(0);
        p->set_lower(0);
        p->set_upper(0);
      }
      if (!curve.has_median_days() && s <= 0.5) curve.set_median_days(t);
    }
    curve.set_churned(curve.churned() + events);
    at_risk -= leaving;
  }
  curve.set_censored(curve.customers() - curve.churned());
  const double longest = steps.empty() ? 0 : steps.back().time;
  for (int32_t h : horizons) {
    if (steps.empty() || h > longest) continue;
    v1::SurvivalAt* at = curve.add_at_horizons();
    at->set_days(h);
    at->set_survival(1);
    at->set_lower(1);
    at->set_upper(1);
    for (const v1::SurvivalPoint& p : curve.points()) {
      if (p.days() > h) break;
      at->set_survival(p.survival());
      at->set_lower(p.lower());
      at->set_upper(p.upper());
    }
  }
  return curve;
}

// Time from signup to the first churn, censored at as_of, in seconds.
v1::SurvivalSummary SummarizeSurvival(
    const Dataset& ds, const std::vector<AttributeReader>& group_by,
    const Plan& plan, const ChurnHistory& history) {
  const CustomerTable& ct = ds.customers();
  std::vector<CustomerIndex> members;
  std::vector<std::pair<int64_t, bool>> obs(ds.num_customers());
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const UnixSeconds signup = ct.signup_time[c];
    if (signup == kNoTime || signup >= plan.as_of) continue;
    const absl::Span<const ChurnEpisode> episodes = history.episodes(c);
    const bool churned = !episodes.empty() && episodes[0].start < plan.as_of;
    const UnixSeconds until = churned ? episodes[0].start : plan.as_of;
    obs[c] = {std::max<UnixSeconds>(0, until - signup), churned};
    members.push_back(c);
  }
  auto counts = [&](const std::vector<CustomerIndex>& subset,
                    Repeated<v1::SurvivalCount>* out) {
    std::map<int64_t, v1::SurvivalCount> by_time;
    for (CustomerIndex c : subset) {
      v1::SurvivalCount& n = by_time[obs[c].first];
      if (obs[c].second) {
        n.set_churned(n.churned() + 1);
      } else {
        n.set_censored(n.censored() + 1);
      }
    }
    for (auto& [seconds, n] : by_time) {
      n.set_seconds(seconds);
      *out->Add() = std::move(n);
    }
  };
  v1::SurvivalSummary out;
  counts(members, out.mutable_overall());
  for (const AttributeReader& reader : group_by) {
    v1::SurvivalBreakdownSummary* b = out.add_breakdowns();
    b->set_attribute(reader.name());
    for (const auto& [value, subset] : GroupBy(ds, reader, members)) {
      v1::SurvivalGroupSummary* g = b->add_groups();
      g->set_value(std::string(ds.str(value)));
      counts(subset, g->mutable_counts());
    }
  }
  return out;
}

// ---- Merging -----------------------------------------------------------

// Merges the keyed list `from` into `into`: entries of equal key() merge
// with merge(from_entry, into_entry); the result is in key order, so it
// does not depend on which list came first.
template <typename T, typename KeyFn, typename MergeFn>
absl::Status MergeKeyed(const Repeated<T>& from, Repeated<T>* into, KeyFn key,
                        MergeFn merge) {
  using Key = std::decay_t<decltype(key(std::declval<const T&>()))>;
  std::map<Key, T> merged;
  for (const Repeated<T>* list :
       {static_cast<const Repeated<T>*>(into), &from}) {
    for (const T& x : *list) {
      auto [it, fresh] = merged.try_emplace(key(x), x);
      if (!fresh) CK_RETURN_IF_ERROR(merge(x, it->second));
    }
  }
  into->Clear();
  for (auto& [k, x] : merged) *into->Add() = std::move(x);
  return absl::OkStatus();
}

absl::Status Mismatch(absl::string_view field, absl::string_view what) {
  return FieldError(field, absl::StrCat(what,
                                        " differs from the first "
                                        "summary's: not a summary of "
                                        "the same request"));
}

absl::Status MergeFigures(const v1::FiguresSummary& from,
                          v1::FiguresSummary& into, absl::string_view field) {
  auto add = [&](int64_t a, int64_t b,
                 void (v1::FiguresSummary::*set)(int64_t)) {
    int64_t sum = b;
    if (!AddTo(&sum, a)) return false;
    (into.*set)(sum);
    return true;
  };
  const bool ok =
      add(from.customers_at_start(), into.customers_at_start(),
          &v1::FiguresSummary::set_customers_at_start) &&
      add(from.churned(), into.churned(), &v1::FiguresSummary::set_churned) &&
      add(from.churned_customers(), into.churned_customers(),
          &v1::FiguresSummary::set_churned_customers) &&
      add(from.churned_from_start(), into.churned_from_start(),
          &v1::FiguresSummary::set_churned_from_start) &&
      add(from.reactivated(), into.reactivated(),
          &v1::FiguresSummary::set_reactivated) &&
      add(from.new_customers(), into.new_customers(),
          &v1::FiguresSummary::set_new_customers) &&
      add(from.customers_at_end(), into.customers_at_end(),
          &v1::FiguresSummary::set_customers_at_end) &&
      add(from.revenue_at_start_cents(), into.revenue_at_start_cents(),
          &v1::FiguresSummary::set_revenue_at_start_cents) &&
      add(from.revenue_lost_cents(), into.revenue_lost_cents(),
          &v1::FiguresSummary::set_revenue_lost_cents);
  if (!ok) return Overflow(field);
  auto tally = [&](const v1::ChurnTally& a, v1::ChurnTally& b) {
    int64_t customers = b.customers(), cents = b.revenue_cents();
    if (!AddTo(&customers, a.customers()) ||
        !AddTo(&cents, a.revenue_cents())) {
      return Overflow(field);
    }
    b.set_customers(customers);
    b.set_revenue_cents(cents);
    return absl::OkStatus();
  };
  auto key = [](const v1::ChurnTally& t) { return t.key(); };
  CK_RETURN_IF_ERROR(
      MergeKeyed(from.by_type(), into.mutable_by_type(), key, tally));
  CK_RETURN_IF_ERROR(
      MergeKeyed(from.by_reason(), into.mutable_by_reason(), key, tally));
  return MergeKeyed(from.by_stage(), into.mutable_by_stage(), key, tally);
}

absl::Status MergePeriod(const v1::PeriodSummary& from, v1::PeriodSummary& into,
                         absl::string_view field) {
  if (from.start() != into.start() || from.end() != into.end()) {
    return Mismatch(field, "the period");
  }
  CK_RETURN_IF_ERROR(MergeFigures(from.overall(), *into.mutable_overall(),
                                  absl::StrCat(field, ".overall")));
  if (from.breakdowns_size() != into.breakdowns_size()) {
    return Mismatch(absl::StrCat(field, ".breakdowns"), "the count");
  }
  for (int b = 0; b < from.breakdowns_size(); ++b) {
    const std::string where = absl::StrCat(field, ".breakdowns[", b, "]");
    if (from.breakdowns(b).attribute() != into.breakdowns(b).attribute()) {
      return Mismatch(where, "the attribute");
    }
    CK_RETURN_IF_ERROR(MergeKeyed(
        from.breakdowns(b).groups(),
        into.mutable_breakdowns(b)->mutable_groups(),
        [](const v1::GroupSummary& g) { return g.value(); },
        [&](const v1::GroupSummary& a, v1::GroupSummary& b) {
          return MergeFigures(a.figures(), *b.mutable_figures(), where);
        }));
  }
  return absl::OkStatus();
}

absl::Status MergeRows(const Repeated<v1::CohortRowSummary>& from,
                       Repeated<v1::CohortRowSummary>* into,
                       absl::string_view field) {
  return MergeKeyed(
      from, into, [](const v1::CohortRowSummary& r) { return r.cohort(); },
      [&](const v1::CohortRowSummary& a, v1::CohortRowSummary& b) {
        if (a.retained_size() != b.retained_size()) {
          return Mismatch(field,
                          absl::StrCat("the cells of cohort ", a.cohort()));
        }
        int64_t customers = b.customers();
        bool ok = AddTo(&customers, a.customers());
        b.set_customers(customers);
        for (int k = 0; k < a.retained_size() && ok; ++k) {
          int64_t retained = b.retained(k);
          ok = AddTo(&retained, a.retained(k));
          b.set_retained(k, retained);
        }
        return ok ? absl::OkStatus() : Overflow(field);
      });
}

absl::Status MergeCounts(const Repeated<v1::SurvivalCount>& from,
                         Repeated<v1::SurvivalCount>* into,
                         absl::string_view field) {
  return MergeKeyed(
      from, into, [](const v1::SurvivalCount& n) { return n.seconds(); },
      [&](const v1::SurvivalCount& a, v1::SurvivalCount& b) {
        int64_t churned = b.churned(), censored = b.censored();
        if (!AddTo(&churned, a.churned()) || !AddTo(&censored, a.censored())) {
          return Overflow(field);
        }
        b.set_churned(churned);
        b.set_censored(censored);
        return absl::OkStatus();
      });
}

// Every count of a summary (int64 fields but cents) must be >= 0.
absl::Status CheckCounts(const google::protobuf::Message& m,
                         const std::string& path) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string name =
        absl::StrCat(path, path.empty() ? "" : ".", f->name());
    if (f->name() == "request") continue;  // checked as a request
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          CK_RETURN_IF_ERROR(CheckCounts(r->GetRepeatedMessage(m, f, i),
                                         absl::StrCat(name, "[", i, "]")));
        }
      } else {
        CK_RETURN_IF_ERROR(CheckCounts(r->GetMessage(m, f), name));
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 &&
               !absl::EndsWith(f->name(), "_cents")) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        const int64_t v =
            f->is_repeated() ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f);
        if (v < 0) {
          return FieldError(
              f->is_repeated() ? absl::StrCat(name, "[", i, "]") : name,
              absl::StrCat("must be >= 0, got ", v));
        }
      }
    }
  }
  return absl::OkStatus();
}

// Merges `from` (summaries[index]) into `into`.
absl::Status MergeInto(const v1::ReportSummary& from, v1::ReportSummary& into,
                       size_t index) {
  const std::string field = absl::StrCat("summaries[", index, "]");
  {
    std::string difference;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&difference);
    if (!differ.Compare(into.request(), from.request())) {
      const std::vector<absl::string_view> lines =
          absl::StrSplit(difference, '\n');
      return FieldError(
          field, absl::StrCat("made with another request than summaries[0] "
                              "(",
                              lines.empty() ? "" : lines[0],
                              "); summarize every part with one request "
                              "resolved for the whole data set"));
    }
  }
  CK_RETURN_IF_ERROR(MergeExtent(from.extent(), *into.mutable_extent(),
                                 absl::StrCat(field, ".extent")));
  if (from.has_period() != into.has_period()) {
    return Mismatch(absl::StrCat(field, ".period"), "the presence");
  }
  if (from.has_period()) {
    CK_RETURN_IF_ERROR(MergePeriod(from.period(), *into.mutable_period(),
                                   absl::StrCat(field, ".period")));
  }
  if (from.trend_size() != into.trend_size()) {
    return Mismatch(absl::StrCat(field, ".trend"), "the number of months");
  }
  for (int i = 0; i < from.trend_size(); ++i) {
    CK_RETURN_IF_ERROR(MergePeriod(from.trend(i), *into.mutable_trend(i),
                                   absl::StrCat(field, ".trend[", i, "]")));
  }
  if (from.has_cohorts() != into.has_cohorts() ||
      from.cohorts().attribute() != into.cohorts().attribute()) {
    return Mismatch(absl::StrCat(field, ".cohorts"), "the table");
  }
  const std::string cohorts = absl::StrCat(field, ".cohorts");
  CK_RETURN_IF_ERROR(MergeRows(
      from.cohorts().rows(), into.mutable_cohorts()->mutable_rows(), cohorts));
  CK_RETURN_IF_ERROR(MergeKeyed(
      from.cohorts().groups(), into.mutable_cohorts()->mutable_groups(),
      [](const v1::CohortGroupSummary& g) { return g.value(); },
      [&](const v1::CohortGroupSummary& a, v1::CohortGroupSummary& b) {
        return MergeRows(a.rows(), b.mutable_rows(), cohorts);
      }));
  if (!from.has_cohorts()) into.clear_cohorts();
  if (from.has_survival() != into.has_survival() ||
      from.survival().breakdowns_size() != into.survival().breakdowns_size()) {
    return Mismatch(absl::StrCat(field, ".survival"), "the curves");
  }
  const std::string survival = absl::StrCat(field, ".survival");
  CK_RETURN_IF_ERROR(MergeCounts(from.survival().overall(),
                                 into.mutable_survival()->mutable_overall(),
                                 survival));
  for (int b = 0; b < from.survival().breakdowns_size(); ++b) {
    const v1::SurvivalBreakdownSummary& a = from.survival().breakdowns(b);
    v1::SurvivalBreakdownSummary* to =
        into.mutable_survival()->mutable_breakdowns(b);
    if (a.attribute() != to->attribute()) {
      return Mismatch(absl::StrCat(survival, ".breakdowns[", b, "]"),
                      "the attribute");
    }
    CK_RETURN_IF_ERROR(MergeKeyed(
        a.groups(), to->mutable_groups(),
        [](const v1::SurvivalGroupSummary& g) { return g.value(); },
        [&](const v1::SurvivalGroupSummary& x, v1::SurvivalGroupSummary& y) {
          return MergeCounts(x.counts(), y.mutable_counts(), survival);
        }));
  }
  if (!from.has_survival()) into.clear_survival();
  return absl::OkStatus();
}

// ---- Rendering ---------------------------------------------------------

v1::ChurnFigures RenderFigures(const v1::FiguresSummary& s) {
  v1::ChurnFigures f;
  f.set_customers_at_start(s.customers_at_start());
  f.set_churned(s.churned());
  f.set_churned_customers(s.churned_customers());
  f.set_reactivated(s.reactivated());
  if (s.customers_at_start() > 0) {
    const double rate = 100.0 * static_cast<double>(s.churned_from_start()) /
                        static_cast<double>(s.customers_at_start());
    f.set_churn_rate(rate);
    f.set_retention_rate(100.0 - rate);
  }
  f.set_revenue_at_start(FromCents(s.revenue_at_start_cents()));
  f.set_revenue_lost(FromCents(s.revenue_lost_cents()));
  if (s.revenue_at_start_cents() > 0) {
    f.set_revenue_churn_rate(100.0 * f.revenue_lost() / f.revenue_at_start());
  }
  f.set_new_customers(s.new_customers());
  f.set_customers_at_end(s.customers_at_end());
  auto add = [&](const v1::ChurnTally& t, Repeated<v1::ChurnShare>* out) {
    v1::ChurnShare* share = out->Add();
    share->set_key(t.key());
    share->set_customers(t.customers());
    share->set_share(s.churned() > 0
                         ? 100.0 * static_cast<double>(t.customers()) /
                               static_cast<double>(s.churned())
                         : 0);
    share->set_revenue_lost(FromCents(t.revenue_cents()));
  };
  // Types and stages in their natural order; reasons largest first, then
  // by key.
  auto in_order = [&](const Repeated<v1::ChurnTally>& tallies,
                      const std::vector<std::string>& keys,
                      Repeated<v1::ChurnShare>* out) {
    for (const std::string& key : keys) {
      for (const v1::ChurnTally& t : tallies) {
        if (t.key() == key && t.customers() > 0) add(t, out);
      }
    }
  };
  in_order(s.by_type(),
           {v1::ChurnType_Name(v1::ACTIVE), v1::ChurnType_Name(v1::PASSIVE),
            v1::ChurnType_Name(v1::HIDDEN)},
           f.mutable_by_type());
  std::vector<const v1::ChurnTally*> reasons;
  for (const v1::ChurnTally& t : s.by_reason()) reasons.push_back(&t);
  std::stable_sort(
      reasons.begin(), reasons.end(), [](const auto* a, const auto* b) {
        return a->customers() > b->customers() ||
               (a->customers() == b->customers() && a->key() < b->key());
      });
  for (const v1::ChurnTally* t : reasons) add(*t, f.mutable_by_reason());
  in_order(s.by_stage(), {std::begin(kStageNames), std::end(kStageNames)},
           f.mutable_by_stage());
  return f;
}

v1::PeriodChurn RenderPeriod(const v1::PeriodSummary& s) {
  v1::PeriodChurn out;
  out.set_start(s.start());
  out.set_end(s.end());
  *out.mutable_overall() = RenderFigures(s.overall());
  for (const v1::BreakdownSummary& b : s.breakdowns()) {
    v1::Breakdown* breakdown = out.add_breakdowns();
    breakdown->set_attribute(b.attribute());
    for (const v1::GroupSummary& g : b.groups()) {
      v1::GroupFigures* group = breakdown->add_groups();
      group->set_value(g.value());
      *group->mutable_figures() = RenderFigures(g.figures());
    }
  }
  return out;
}

// One table of cohort rows; false when it has no row left (a group table
// is then left out). Rows before `first_cohort` and cells dated at or
// before the first event are dropped: nothing is known then.
absl::StatusOr<bool> RenderCohortTable(
    const Repeated<v1::CohortRowSummary>& rows,
    std::optional<absl::CivilMonth> first_cohort, UnixSeconds first_event,
    v1::CohortTable* table) {
  std::vector<std::pair<absl::CivilMonth, const v1::CohortRowSummary*>> kept;
  for (const v1::CohortRowSummary& row : rows) {
    absl::CivilMonth month;
    if (!absl::ParseCivilTime(row.cohort(), &month)) {
      return FieldError("cohorts.rows.cohort",
                        absl::StrCat("'", row.cohort(), "' is not a month"));
    }
    if (first_cohort.has_value() && month < *first_cohort) continue;
    kept.push_back({month, &row});
  }
  std::sort(kept.begin(), kept.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [month, row] : kept) {
    v1::CohortRow* out = table->add_rows();
    out->set_cohort(absl::FormatCivilTime(month));
    out->set_customers(row->customers());
    for (int k = 0; k < row->retained_size(); ++k) {
      const UnixSeconds t = StartOf(month + k + 1);
      if (first_event != kNoTime && t <= first_event) continue;
      v1::CohortCell* cell = out->add_cells();
      cell->set_month(k);
      cell->set_as_of(FormatTime(t));
      cell->set_retained(row->retained(k));
      cell->set_retention(row->customers() > 0
                              ? 100.0 * static_cast<double>(row->retained(k)) /
                                    static_cast<double>(row->customers())
                              : 0);
    }
  }
  return !kept.empty();
}

absl::Status RenderCohorts(const v1::CohortSummary& s,
                           const v1::CohortOptions& options,
                           UnixSeconds first_event, v1::ChurnReport& report) {
  // The default signups start from the month of the whole data's first
  // event, so every cohort is followed from its start.
  std::optional<absl::CivilMonth> first_cohort;
  if (options.signups().start().empty() && first_event != kNoTime) {
    first_cohort = MonthOf(first_event);
  }
  absl::StatusOr<bool> kept = RenderCohortTable(
      s.rows(), first_cohort, first_event, report.add_cohorts());
  if (!kept.ok()) return kept.status();
  for (const v1::CohortGroupSummary& g : s.groups()) {
    v1::CohortTable table;
    table.set_attribute(s.attribute());
    table.set_value(g.value());
    kept = RenderCohortTable(g.rows(), first_cohort, first_event, &table);
    if (!kept.ok()) return kept.status();
    if (*kept) *report.add_cohorts() = std::move(table);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SurvivalCurve> RenderCurve(
    const Repeated<v1::SurvivalCount>& counts, const Plan& plan) {
  std::vector<Step> steps;
  steps.reserve(counts.size());
  int64_t customers = 0;
  for (const v1::SurvivalCount& n : counts) {
    int64_t leaving = n.churned();
    if (!AddTo(&leaving, n.censored()) || !AddTo(&customers, leaving)) {
      return Overflow("survival");
    }
    steps.push_back({static_cast<double>(n.seconds()) / kSecondsPerDay,
                     n.churned(), leaving});
  }
  std::stable_sort(
      steps.begin(), steps.end(),
      [](const Step& a, const Step& b) { return a.time < b.time; });
  return Estimate(steps, customers, plan.z, plan.horizons);
}

absl::Status RenderSurvival(const v1::SurvivalSummary& s, const Plan& plan,
                            v1::ChurnReport& report) {
  absl::StatusOr<v1::SurvivalCurve> curve = RenderCurve(s.overall(), plan);
  if (!curve.ok()) return curve.status();
  *report.add_survival() = *std::move(curve);
  for (const v1::SurvivalBreakdownSummary& b : s.breakdowns()) {
    for (const v1::SurvivalGroupSummary& g : b.groups()) {
      curve = RenderCurve(g.counts(), plan);
      if (!curve.ok()) return curve.status();
      curve->set_attribute(b.attribute());
      curve->set_value(g.value());
      *report.add_survival() = *std::move(curve);
    }
  }
  return absl::OkStatus();
}

// The attributes.<key> checks of the request against the merged keys.
absl::Status CheckKeys(const v1::ReportRequest& request,
                       const v1::ReportExtent& extent) {
  const std::vector<std::string> keys(extent.attribute_keys().begin(),
                                      extent.attribute_keys().end());
  auto check = [&](const Repeated<std::string>& names,
                   absl::string_view field) -> absl::Status {
    for (int i = 0; i < names.size(); ++i) {
      CK_RETURN_IF_ERROR(
          AttributeReader::CheckKey(names[i], absl::StrCat(field, "[", i, "]"),
                                    keys, extent.customers()));
    }
    return absl::OkStatus();
  };
  CK_RETURN_IF_ERROR(check(request.breakdowns(), "breakdowns"));
  CK_RETURN_IF_ERROR(check(request.survival().group_by(), "survival.group_by"));
  if (request.cohorts().group_by().empty()) return absl::OkStatus();
  return AttributeReader::CheckKey(request.cohorts().group_by(),
                                   "cohorts.group_by", keys,
                                   extent.customers());
}

}  // namespace

v1::ReportExtent ReportExtentOf(const Dataset& dataset) {
  v1::ReportExtent e;
  e.set_customers(static_cast<int64_t>(dataset.num_customers()));
  if (dataset.first_event_time() != kNoTime) {
    e.set_first_event(FormatTime(dataset.first_event_time()));
  }
  if (const UnixSeconds latest = LatestActivity(dataset); latest != kNoTime) {
    e.set_latest_activity(FormatTime(latest));
  }
  for (double v : dataset.customers().annual_value) {
    if (v > 0) {
      e.set_has_annual_value(true);
      break;
    }
  }
  const EventTable& ev = dataset.events();
  for (size_t i = 0; i < ev.kind.size(); ++i) {
    if (!(ev.amount[i] > 0)) continue;
    if (ev.kind[i] == v1::ORDER) e.set_has_orders(true);
    if (ev.kind[i] == v1::PAYMENT && ev.subtype[i] == v1::PAYMENT_PAID) {
      e.set_has_paid_payments(true);
    }
    if (e.has_orders() && e.has_paid_payments()) break;
  }
  absl::flat_hash_set<StringId> ids(dataset.customers().attr_key.begin(),
                                    dataset.customers().attr_key.end());
  std::vector<std::string> keys;
  for (StringId id : ids) keys.emplace_back(dataset.str(id));
  std::sort(keys.begin(), keys.end());
  e.mutable_attribute_keys()->Assign(keys.begin(), keys.end());
  return e;
}

absl::StatusOr<v1::ReportRequest> ResolveReportRequest(
    const v1::ReportRequest& request,
    absl::Span<const v1::ReportExtent> extents) {
  v1::ReportExtent whole;
  for (size_t i = 0; i < extents.size(); ++i) {
    CK_RETURN_IF_ERROR(
        MergeExtent(extents[i], whole, absl::StrCat("extents[", i, "]")));
  }
  return Resolve(request, whole);
}

absl::StatusOr<v1::ReportSummary> SummarizeChurnReport(
    const Dataset& dataset, const v1::ReportRequest& request) {
  v1::ReportSummary summary;
  *summary.mutable_extent() = ReportExtentOf(dataset);
  absl::StatusOr<v1::ReportRequest> resolved =
      Resolve(request, summary.extent());
  if (!resolved.ok()) return resolved.status();
  *summary.mutable_request() = *resolved;
  summary.mutable_request()->clear_threads();  // results do not depend on it
  absl::StatusOr<std::vector<AttributeReader>> breakdowns =
      MakeReaders(dataset, resolved->breakdowns(), "breakdowns");
  if (!breakdowns.ok()) return breakdowns.status();
  absl::StatusOr<std::vector<AttributeReader>> survival_groups = MakeReaders(
      dataset, resolved->survival().group_by(), "survival.group_by");
  if (!survival_groups.ok()) return survival_groups.status();
  std::optional<AttributeReader> cohort_group;
  if (!resolved->cohorts().group_by().empty()) {
    absl::StatusOr<AttributeReader> r = AttributeReader::CreateForPart(
        dataset, resolved->cohorts().group_by(), "cohorts.group_by");
    if (!r.ok()) return r.status();
    cohort_group = *std::move(r);
  }
  absl::StatusOr<Plan> plan = MakePlan(*resolved, Times{});
  if (!plan.ok()) return plan.status();
  if (plan->as_of == kNoTime) return summary;

  absl::StatusOr<ChurnLabeler> labeler = LabelerOf(resolved->definition());
  if (!labeler.ok()) return labeler.status();
  const v1::LifecycleOptions& lifecycle = resolved->lifecycle();
  const StageOf stage_of(
      dataset,
      lifecycle.onboarding_days() == 0 ? 90 : lifecycle.onboarding_days(),
      lifecycle.default_renewal_days() == 0 ? 365
                                            : lifecycle.default_renewal_days());
  absl::StatusOr<ChurnHistory> history =
      labeler->History(dataset, plan->as_of, request.threads());
  if (!history.ok()) return history.status();
  const RevenueOf revenue(dataset, resolved->revenue_source());
  const PeriodInputs in{dataset, *history, stage_of, revenue, *breakdowns};
  absl::StatusOr<v1::PeriodSummary> period =
      SummarizePeriod(in, plan->start, plan->end);
  if (!period.ok()) return period.status();
  *summary.mutable_period() = *std::move(period);
  if (resolved->has_trend()) {
    for (absl::CivilMonth m = MonthOf(plan->trend_start);
         StartOf(m) < plan->trend_end; ++m) {
      period = SummarizePeriod(in, std::max(plan->trend_start, StartOf(m)),
                               std::min(plan->trend_end, StartOf(m + 1)));
      if (!period.ok()) return period.status();
      *summary.add_trend() = *std::move(period);
    }
  }
  if (resolved->has_cohorts()) {
    *summary.mutable_cohorts() = SummarizeCohorts(
        dataset, resolved->cohorts(), cohort_group, *plan, *history);
  }
  if (resolved->has_survival()) {
    *summary.mutable_survival() =
        SummarizeSurvival(dataset, *survival_groups, *plan, *history);
  }
  return summary;
}

absl::StatusOr<v1::ReportSummary> MergeReportSummaries(
    absl::Span<const v1::ReportSummary> summaries) {
  if (summaries.empty()) {
    return absl::InvalidArgumentError("summaries: none given");
  }
  for (size_t i = 0; i < summaries.size(); ++i) {
    CK_RETURN_IF_ERROR(
        CheckCounts(summaries[i], absl::StrCat("summaries[", i, "]")));
  }
  // Start from an empty summary of the same shape, so that even one summary
  // comes out in key order.
  v1::ReportSummary merged = summaries[0];
  merged.clear_extent();
  if (merged.has_period()) {
    merged.mutable_period()->clear_overall();
    for (v1::BreakdownSummary& b :
         *merged.mutable_period()->mutable_breakdowns())
      b.clear_groups();
  }
  for (v1::PeriodSummary& p : *merged.mutable_trend()) {
    p.clear_overall();
    for (v1::BreakdownSummary& b : *p.mutable_breakdowns()) b.clear_groups();
  }
  if (merged.has_cohorts()) {
    merged.mutable_cohorts()->clear_rows();
    merged.mutable_cohorts()->clear_groups();
  }
  if (merged.has_survival()) {
    merged.mutable_survival()->clear_overall();
    for (v1::SurvivalBreakdownSummary& b :
         *merged.mutable_survival()->mutable_breakdowns()) {
      b.clear_groups();
    }
  }
  for (size_t i = 0; i < summaries.size(); ++i) {
    CK_RETURN_IF_ERROR(MergeInto(summaries[i], merged, i));
  }
  return merged;
}

absl::StatusOr<v1::ChurnReport> RenderChurnReport(
    const v1::ReportSummary& summary) {
  CK_RETURN_IF_ERROR(CheckCounts(summary, ""));
  const v1::ReportRequest& request = summary.request();
  const v1::ReportExtent& extent = summary.extent();
  absl::StatusOr<Times> span = TimesOf(extent, "extent");
  if (!span.ok()) return span.status();
  CK_RETURN_IF_ERROR(CheckKeys(request, extent));
  absl::StatusOr<Plan> plan = MakePlan(request, Times{});
  if (!plan.ok()) return plan.status();

  v1::ChurnReport report;
  report.set_customers(extent.customers());
  if (plan->as_of == kNoTime) return report;
  CK_RETURN_IF_ERROR(CheckAfterFirstEvent(span->first, "as_of", plan->as_of));
  CK_RETURN_IF_ERROR(
      CheckAfterFirstEvent(span->first, "period.start", plan->start));
  if (request.has_trend()) {
    CK_RETURN_IF_ERROR(CheckAfterFirstEvent(span->first, "trend.range.start",
                                            plan->trend_start));
  }
  report.set_as_of(FormatTime(plan->as_of));
  report.set_revenue_source(request.revenue_source());
  *report.mutable_period() = RenderPeriod(summary.period());
  for (const v1::PeriodSummary& month : summary.trend()) {
    *report.add_trend() = RenderPeriod(month);
  }
  if (request.has_cohorts()) {
    CK_RETURN_IF_ERROR(RenderCohorts(summary.cohorts(), request.cohorts(),
                                     span->first, report));
  }
  if (request.has_survival()) {
    report.set_confidence(ConfidenceOf(request));
    CK_RETURN_IF_ERROR(RenderSurvival(summary.survival(), *plan, report));
  }
  return report;
}

absl::StatusOr<v1::ChurnReport> BuildChurnReport(
    const Dataset& dataset, const v1::ReportRequest& request) {
  absl::StatusOr<v1::ReportSummary> summary =
      SummarizeChurnReport(dataset, request);
  if (!summary.ok()) return summary.status();
  return RenderChurnReport(*summary);
}

absl::StatusOr<v1::SurvivalCurve> KaplanMeier(
    absl::Span<const double> durations, absl::Span<const uint8_t> churned,
    double confidence, absl::Span<const int32_t> horizons) {
  if (durations.size() != churned.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("churned: ", churned.size(), " flags for ",
                     durations.size(), " durations"));
  }
  if (absl::Status s = CheckConfidence(confidence, "confidence"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckHorizons(horizons, "horizons"); !s.ok()) return s;
  std::vector<Step> steps(durations.size());
  for (size_t i = 0; i < durations.size(); ++i) {
    if (!std::isfinite(durations[i]) || durations[i] < 0) {
      return FieldError(
          absl::StrCat("durations[", i, "]"),
          absl::StrCat("must be finite and >= 0, got ", durations[i]));
    }
    if (churned[i] > 1) {
      return FieldError(absl::StrCat("churned[", i, "]"),
                        absl::StrCat("must be 0 or 1, got ", churned[i]));
    }
    steps[i] = {durations[i], churned[i], 1};
  }
  std::sort(steps.begin(), steps.end(),
            [](const Step& a, const Step& b) { return a.time < b.time; });
  return Estimate(steps, static_cast<int64_t>(steps.size()),
                  -internal::NormalQuantile((1 - confidence) / 2), horizons);
}

}  // namespace churnkit
