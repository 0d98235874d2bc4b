#include "churnkit/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "churnkit/labels.h"
#include "internal/attribute.h"
#include "internal/revenue.h"
#include "internal/special.h"
#include "internal/time.h"

namespace churnkit {
namespace {

constexpr int64_t kDay = 86400;
constexpr double kSecondsPerDay = 86400.0;

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
// when `t` is not after the data set's first event.
absl::Status CheckAfterFirstEvent(const Dataset& ds, absl::string_view field,
                                  UnixSeconds t) {
  const UnixSeconds first = ds.first_event_time();
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

absl::StatusOr<std::vector<AttributeReader>> MakeReaders(
    const Dataset& ds,
    const google::protobuf::RepeatedPtrField<std::string>& names,
    absl::string_view field) {
  std::vector<AttributeReader> readers;
  for (int i = 0; i < names.size(); ++i) {
    absl::StatusOr<AttributeReader> r =
        AttributeReader::Create(ds, names[i], absl::StrCat(field, "[", i, "]"));
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

// ---- Revenue -----------------------------------------------------------

// A customer's revenue at a date (ChurnReport.revenue_source): one source
// for the whole data set, so the report can say which.
class RevenueOf {
 public:
  explicit RevenueOf(const Dataset& ds) : ds_(ds) {
    options_.set_window_days(365);
    options_.set_combine(v1::FIRST_AVAILABLE);
    for (double v : ds.customers().annual_value) {
      if (v > 0) {
        source_ = "annual_value";
        options_.add_revenue_sources(v1::REVENUE_ANNUAL_VALUE);
        return;
      }
    }
    const EventTable& ev = ds.events();
    bool orders = false, payments = false;
    for (size_t i = 0; i < ev.kind.size() && !orders; ++i) {
      if (!(ev.amount[i] > 0)) continue;
      orders = ev.kind[i] == v1::ORDER;
      payments = payments || (ev.kind[i] == v1::PAYMENT &&
                              ev.subtype[i] == v1::PAYMENT_PAID);
    }
    source_ = orders ? "orders_365d" : payments ? "payments_365d" : "none";
    if (orders || payments) {
      options_.add_revenue_sources(orders ? v1::REVENUE_ORDERS
                                          : v1::REVENUE_PAYMENTS_PAID);
    }
  }

  const std::string& source() const { return source_; }

  double operator()(CustomerIndex c, UnixSeconds t) const {
    if (options_.revenue_sources().empty()) return 0;
    return internal::RevenueOf(ds_, c, options_, t);
  }

 private:
  const Dataset& ds_;
  v1::ValueOptions options_;
  std::string source_;
};

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
  double revenue = 0;
  void Add(double value) {
    ++customers;
    revenue += value;
  }
};

// The figures of one set of customers over one period, filled customer by
// customer (in index order, so sums do not depend on grouping).
struct Accumulator {
  int64_t at_start = 0, churned = 0, churned_customers = 0,
          churned_from_start = 0, reactivated = 0, new_customers = 0,
          at_end = 0;
  double revenue_at_start = 0, revenue_lost = 0;
  std::array<Tally, 4> by_type;  // indexed by v1::ChurnType
  std::array<Tally, 4> by_stage;
  std::map<std::string, Tally> by_reason;

  v1::ChurnFigures ToProto() const {
    v1::ChurnFigures f;
    f.set_customers_at_start(at_start);
    f.set_churned(churned);
    f.set_churned_customers(churned_customers);
    f.set_reactivated(reactivated);
    if (at_start > 0) {
      const double rate = 100.0 * static_cast<double>(churned_from_start) /
                          static_cast<double>(at_start);
      f.set_churn_rate(rate);
      f.set_retention_rate(100.0 - rate);
    }
    f.set_revenue_at_start(revenue_at_start);
    f.set_revenue_lost(revenue_lost);
    if (revenue_at_start > 0) {
      f.set_revenue_churn_rate(100.0 * revenue_lost / revenue_at_start);
    }
    f.set_new_customers(new_customers);
    f.set_customers_at_end(at_end);
    auto add = [&](const std::string& key, const Tally& t,
                   google::protobuf::RepeatedPtrField<v1::ChurnShare>* out) {
      v1::ChurnShare* s = out->Add();
      s->set_key(key);
      s->set_customers(t.customers);
      s->set_share(100.0 * static_cast<double>(t.customers) /
                   static_cast<double>(churned));
      s->set_revenue_lost(t.revenue);
    };
    for (int type : {v1::ACTIVE, v1::PASSIVE, v1::HIDDEN}) {
      if (by_type[type].customers > 0) {
        add(v1::ChurnType_Name(type), by_type[type], f.mutable_by_type());
      }
    }
    std::vector<const std::pair<const std::string, Tally>*> reasons;
    for (const auto& entry : by_reason) reasons.push_back(&entry);
    std::stable_sort(reasons.begin(), reasons.end(),
                     [](const auto* a, const auto* b) {
                       return a->second.customers > b->second.customers;
                     });
    for (const auto* r : reasons)
      add(r->first, r->second, f.mutable_by_reason());
    for (int stage = 0; stage < 4; ++stage) {
      if (by_stage[stage].customers > 0) {
        add(kStageNames[stage], by_stage[stage], f.mutable_by_stage());
      }
    }
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

v1::PeriodChurn ComputePeriod(const PeriodInputs& in, UnixSeconds start,
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
    const double value = in_base ? in.revenue(c, start) : 0;
    int64_t churned = 0, reactivated = 0;
    for (const ChurnEpisode& e : in.history.episodes(c)) {
      churned += e.start >= start && e.start < end;
      reactivated += e.end != kNoTime && e.end >= start && e.end < end;
    }
    auto add = [&](Accumulator& a) {
      if (in_base) {
        ++a.at_start;
        a.revenue_at_start += value;
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
        const double lost = in.revenue(c, e.start);
        a.revenue_lost += lost;
        a.by_type[e.type].Add(lost);
        a.by_stage[in.stage_of(c, e.start)].Add(lost);
        const bool known = e.type == v1::ACTIVE && !e.reason.empty();
        a.by_reason[known ? e.reason : "unknown"].Add(lost);
      }
    };
    add(overall);
    for (size_t b = 0; b < in.breakdowns.size(); ++b) {
      add(groups[b][in.breakdowns[b].Get(c)]);
    }
  }
  v1::PeriodChurn out;
  out.set_start(FormatTime(start));
  out.set_end(FormatTime(end));
  *out.mutable_overall() = overall.ToProto();
  for (size_t b = 0; b < in.breakdowns.size(); ++b) {
    v1::Breakdown* breakdown = out.add_breakdowns();
    breakdown->set_attribute(in.breakdowns[b].name());
    std::vector<std::pair<absl::string_view, const Accumulator*>> sorted;
    for (const auto& [id, acc] : groups[b])
      sorted.push_back({ds.str(id), &acc});
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& [value, acc] : sorted) {
      v1::GroupFigures* g = breakdown->add_groups();
      g->set_value(std::string(value));
      *g->mutable_figures() = acc->ToProto();
    }
  }
  return out;
}

// ---- Kaplan–Meier ------------------------------------------------------

struct Observation {
  double time;
  bool event;
};

// The curve of already validated observations.
v1::SurvivalCurve Estimate(std::vector<Observation> obs, double z,
                           absl::Span<const int32_t> horizons) {
  std::sort(obs.begin(), obs.end(),
            [](const Observation& a, const Observation& b) {
              return a.time < b.time;
            });
  v1::SurvivalCurve curve;
  curve.set_customers(static_cast<int64_t>(obs.size()));
  double s = 1, greenwood = 0;
  int64_t at_risk = static_cast<int64_t>(obs.size());
  for (size_t i = 0; i < obs.size();) {
    const double t = obs[i].time;
    int64_t events = 0, leaving = 0;
    for (; i < obs.size() && obs[i].time == t; ++i) {
      events += obs[i].event;
      ++leaving;
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
  const double longest = obs.empty() ? 0 : obs.back().time;
  for (int32_t h : horizons) {
    if (obs.empty() || h > longest) continue;
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

// ---- The request, resolved ---------------------------------------------

struct Plan {
  UnixSeconds as_of = kNoTime;
  UnixSeconds start = kNoTime, end = kNoTime;  // the period
  UnixSeconds trend_start = kNoTime, trend_end = kNoTime;
  std::optional<UnixSeconds> signups_start, signups_end;
  double z = 0;
  std::vector<int32_t> horizons;
};

// Checks that [start, end) is a range ending at or before as_of and
// starting after the first event.
absl::Status CheckRange(const Dataset& ds, absl::string_view field,
                        UnixSeconds start, UnixSeconds end, UnixSeconds as_of) {
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
  return CheckAfterFirstEvent(ds, absl::StrCat(field, ".start"), start);
}

// The latest event or signup; kNoTime when there is none.
UnixSeconds LatestActivity(const Dataset& ds) {
  UnixSeconds latest = ds.last_event_time();
  for (UnixSeconds signup : ds.customers().signup_time) {
    latest = std::max(latest, signup);
  }
  return latest;
}

// Resolves dates and defaults. Returns a plan with as_of == kNoTime when
// there is no date at all (an empty data set and no dates requested).
absl::StatusOr<Plan> MakePlan(const Dataset& ds,
                              const v1::ReportRequest& request,
                              const v1::ChurnDefinition& definition) {
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
  const double confidence = request.survival().confidence() == 0
                                ? 0.95
                                : request.survival().confidence();
  if (absl::Status s = CheckConfidence(confidence, "survival.confidence");
      !s.ok()) {
    return s;
  }
  plan.z = -internal::NormalQuantile((1 - confidence) / 2);
  plan.horizons.assign(request.survival().horizons_days().begin(),
                       request.survival().horizons_days().end());
  if (absl::Status s = CheckHorizons(plan.horizons, "survival.horizons_days");
      !s.ok()) {
    return s;
  }
  if (plan.horizons.empty()) plan.horizons = {90, 180, 365};

  if (as_of->has_value()) {
    plan.as_of = **as_of;
  } else if (end->has_value()) {
    plan.as_of = **end;
  } else if (const UnixSeconds latest = LatestActivity(ds); latest != kNoTime) {
    plan.as_of = internal::NextMidnight(latest);
  } else {
    return plan;  // nothing to date the report by
  }
  if (absl::Status s = CheckAfterFirstEvent(ds, "as_of", plan.as_of); !s.ok()) {
    return s;
  }
  plan.end = end->value_or(plan.as_of);
  if (start->has_value()) {
    plan.start = **start;
  } else {
    plan.start = YearBefore(plan.end);
    // Before the first event + the longest inactivity window, silence
    // cannot be told from missing history: start no earlier than that.
    if (ds.first_event_time() != kNoTime) {
      int64_t window_days = 0;
      for (const v1::PassiveRule& rule : definition.passive()) {
        window_days = std::max<int64_t>(window_days, rule.inactive_days());
      }
      plan.start = std::max(
          plan.start,
          internal::NextMidnight(ds.first_event_time() + window_days * kDay));
    }
  }
  if (absl::Status s =
          CheckRange(ds, "period", plan.start, plan.end, plan.as_of);
      !s.ok()) {
    return s;
  }
  plan.trend_start = trend_start->value_or(plan.start);
  plan.trend_end = trend_end->value_or(plan.end);
  if (request.has_trend()) {
    if (absl::Status s = CheckRange(ds, "trend.range", plan.trend_start,
                                    plan.trend_end, plan.as_of);
        !s.ok()) {
      return s;
    }
  }
  return plan;
}

// ---- Sections ----------------------------------------------------------

void AddTrend(const PeriodInputs& in, const Plan& plan,
              v1::ChurnReport& report) {
  for (absl::CivilMonth m = MonthOf(plan.trend_start);
       StartOf(m) < plan.trend_end; ++m) {
    const UnixSeconds from = std::max(plan.trend_start, StartOf(m));
    const UnixSeconds to = std::min(plan.trend_end, StartOf(m + 1));
    *report.add_trend() = ComputePeriod(in, from, to);
  }
}

void AddCohorts(const Dataset& ds, const v1::CohortOptions& options,
                const std::optional<AttributeReader>& group_by,
                const Plan& plan, const ChurnHistory& history,
                v1::ChurnReport& report) {
  const CustomerTable& ct = ds.customers();
  const UnixSeconds first_event = ds.first_event_time();
  // Cell k of cohort month M is as of the start of month M + k + 1; it
  // exists when that date is at or before as_of (and k < max_months).
  // Dates at or before the first event are left out: nothing is known then.
  auto known = [&](UnixSeconds t) {
    return first_event == kNoTime || t > first_event;
  };
  struct Row {
    int64_t customers = 0;
    std::vector<int64_t> retained;  // per cell
  };
  // Rows by signup month; a member points at its row.
  using Table = std::map<absl::CivilMonth, Row>;
  struct Member {
    CustomerIndex customer;
    absl::CivilMonth cohort;
    Row* row;
  };

  // By default, cohorts from the month of the first event: earlier ones
  // could not be followed from their start.
  const UnixSeconds signups_start = plan.signups_start.value_or(
      first_event == kNoTime ? std::numeric_limits<UnixSeconds>::min()
                             : StartOf(MonthOf(first_event)));
  std::vector<CustomerIndex> customers;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const UnixSeconds signup = ct.signup_time[c];
    if (signup == kNoTime || signup >= plan.as_of) continue;
    if (signup < signups_start) continue;
    if (plan.signups_end.has_value() && signup >= *plan.signups_end) continue;
    customers.push_back(c);
  }
  // Table 0 holds every customer, then one table per group value.
  std::vector<std::pair<StringId, std::vector<CustomerIndex>>> groups = {
      {0, customers}};
  if (group_by.has_value()) {
    for (auto& g : GroupBy(ds, *group_by, customers)) {
      groups.push_back(std::move(g));
    }
  }
  const int max_months = options.max_months();
  std::vector<Table> tables(groups.size());
  std::vector<Member> members;
  absl::CivilMonth first_cohort = absl::CivilMonth::max();
  for (size_t g = 0; g < groups.size(); ++g) {
    for (CustomerIndex c : groups[g].second) {
      const absl::CivilMonth m = MonthOf(ct.signup_time[c]);
      first_cohort = std::min(first_cohort, m);
      Row& row = tables[g][m];
      if (row.customers++ == 0) {
        int64_t cells = 0;
        while (StartOf(m + cells + 1) <= plan.as_of &&
               (max_months == 0 || cells < max_months)) {
          ++cells;
        }
        row.retained.resize(cells);
      }
      members.push_back({c, m, &row});
    }
  }
  if (!customers.empty()) {
    for (absl::CivilMonth date = first_cohort + 1; StartOf(date) <= plan.as_of;
         ++date) {
      const UnixSeconds t = StartOf(date);
      if (!known(t)) continue;
      for (const Member& m : members) {
        const int64_t k = date - m.cohort - 1;
        if (k < 0 || k >= static_cast<int64_t>(m.row->retained.size())) {
          continue;
        }
        if (history.At(m.customer, t) == nullptr) ++m.row->retained[k];
      }
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    v1::CohortTable* table = report.add_cohorts();
    if (g > 0) {
      table->set_attribute(group_by->name());
      table->set_value(std::string(ds.str(groups[g].first)));
    }
    for (const auto& [month, row] : tables[g]) {
      v1::CohortRow* out = table->add_rows();
      out->set_cohort(absl::FormatCivilTime(month));
      out->set_customers(row.customers);
      for (size_t k = 0; k < row.retained.size(); ++k) {
        const UnixSeconds t = StartOf(month + static_cast<int64_t>(k) + 1);
        if (!known(t)) continue;
        v1::CohortCell* cell = out->add_cells();
        cell->set_month(static_cast<int32_t>(k));
        cell->set_as_of(FormatTime(t));
        cell->set_retained(row.retained[k]);
        cell->set_retention(100.0 * static_cast<double>(row.retained[k]) /
                            static_cast<double>(row.customers));
      }
    }
  }
}

// Time from signup to the first churn, censored at as_of.
void AddSurvival(const Dataset& ds,
                 const std::vector<AttributeReader>& group_by, const Plan& plan,
                 const ChurnHistory& history, v1::ChurnReport& report) {
  const CustomerTable& ct = ds.customers();
  std::vector<CustomerIndex> members;
  std::vector<Observation> obs(ds.num_customers());
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const UnixSeconds signup = ct.signup_time[c];
    if (signup == kNoTime || signup >= plan.as_of) continue;
    const absl::Span<const ChurnEpisode> episodes = history.episodes(c);
    const bool churned = !episodes.empty() && episodes[0].start < plan.as_of;
    const UnixSeconds until = churned ? episodes[0].start : plan.as_of;
    obs[c] = {static_cast<double>(std::max<UnixSeconds>(0, until - signup)) /
                  kSecondsPerDay,
              churned};
    members.push_back(c);
  }
  auto curve = [&](const std::vector<CustomerIndex>& subset) {
    std::vector<Observation> sample;
    sample.reserve(subset.size());
    for (CustomerIndex c : subset) sample.push_back(obs[c]);
    return Estimate(std::move(sample), plan.z, plan.horizons);
  };
  *report.add_survival() = curve(members);
  for (const AttributeReader& reader : group_by) {
    for (const auto& [value, subset] : GroupBy(ds, reader, members)) {
      v1::SurvivalCurve* c = report.add_survival();
      *c = curve(subset);
      c->set_attribute(reader.name());
      c->set_value(std::string(ds.str(value)));
    }
  }
}

}  // namespace

absl::StatusOr<v1::ChurnReport> BuildChurnReport(
    const Dataset& dataset, const v1::ReportRequest& request) {
  absl::StatusOr<v1::ChurnDefinition> definition = request.definition();
  if (!request.has_definition()) definition = DefaultChurnDefinition();
  if (!definition.ok()) return definition.status();
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(*definition);
  if (!labeler.ok()) {
    // The labeler's messages start with the config path, e.g. "passive[0]".
    return absl::Status(
        labeler.status().code(),
        absl::StrCat("definition.", labeler.status().message()));
  }
  absl::StatusOr<std::vector<AttributeReader>> breakdowns =
      MakeReaders(dataset, request.breakdowns(), "breakdowns");
  if (!breakdowns.ok()) return breakdowns.status();
  absl::StatusOr<std::vector<AttributeReader>> survival_groups =
      MakeReaders(dataset, request.survival().group_by(), "survival.group_by");
  if (!survival_groups.ok()) return survival_groups.status();
  std::optional<AttributeReader> cohort_group;
  if (!request.cohorts().group_by().empty()) {
    absl::StatusOr<AttributeReader> r = AttributeReader::Create(
        dataset, request.cohorts().group_by(), "cohorts.group_by");
    if (!r.ok()) return r.status();
    cohort_group = *std::move(r);
  }
  const v1::LifecycleOptions& lifecycle = request.lifecycle();
  if (lifecycle.onboarding_days() < 0) {
    return FieldError("lifecycle.onboarding_days", "must be >= 0");
  }
  if (lifecycle.default_renewal_days() < 0) {
    return FieldError("lifecycle.default_renewal_days", "must be >= 0");
  }
  absl::StatusOr<Plan> plan = MakePlan(dataset, request, *definition);
  if (!plan.ok()) return plan.status();

  v1::ChurnReport report;
  report.set_customers(static_cast<int64_t>(dataset.num_customers()));
  if (plan->as_of == kNoTime) return report;
  report.set_as_of(FormatTime(plan->as_of));

  const StageOf stage_of(
      dataset,
      lifecycle.onboarding_days() == 0 ? 90 : lifecycle.onboarding_days(),
      lifecycle.default_renewal_days() == 0 ? 365
                                            : lifecycle.default_renewal_days());
  absl::StatusOr<ChurnHistory> history =
      labeler->History(dataset, plan->as_of, request.threads());
  if (!history.ok()) return history.status();
  const RevenueOf revenue(dataset);
  report.set_revenue_source(revenue.source());
  const PeriodInputs in{dataset, *history, stage_of, revenue, *breakdowns};
  *report.mutable_period() = ComputePeriod(in, plan->start, plan->end);
  if (request.has_trend()) AddTrend(in, *plan, report);
  if (request.has_cohorts()) {
    AddCohorts(dataset, request.cohorts(), cohort_group, *plan, *history,
               report);
  }
  if (request.has_survival()) {
    report.set_confidence(request.survival().confidence() == 0
                              ? 0.95
                              : request.survival().confidence());
    AddSurvival(dataset, *survival_groups, *plan, *history, report);
  }
  return report;
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
  std::vector<Observation> obs(durations.size());
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
    obs[i] = {durations[i], churned[i] == 1};
  }
  return Estimate(std::move(obs),
                  -internal::NormalQuantile((1 - confidence) / 2), horizons);
}

}  // namespace churnkit
