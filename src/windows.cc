#include "churnkit/windows.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "churnkit/labels.h"
#include "internal/attribute.h"
#include "internal/config_util.h"
#include "internal/event_filter.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr int64_t kDay = 86400;
constexpr int32_t kMaxDays = 3650;

// A stretch without qualifying activity.
struct Spell {
  UnixSeconds start;
  int64_t length;  // seconds
  bool closed;     // ended with an activity before as_of
};

// The request with its defaults filled in and checked.
absl::StatusOr<v1::WindowsRequest> Complete(const v1::WindowsRequest& in) {
  v1::WindowsRequest r = in;
  if (r.as_of().empty()) return PathError("as_of", "required");
  if (r.activity().empty()) {
    absl::StatusOr<v1::ChurnDefinition> shipped = DefaultChurnDefinition();
    if (!shipped.ok()) return shipped.status();
    if (shipped->passive().empty()) {
      return absl::InternalError("the shipped definition has no passive rule");
    }
    *r.mutable_activity() =
        shipped->passive(shipped->passive_size() - 1).activity();
  }
  // 0 is unset (the default); only negative values are errors.
  for (auto [name, value] : {std::pair{"step_days", r.step_days()},
                             {"max_days", r.max_days()},
                             {"horizon_days", r.horizon_days()},
                             {"min_spells", r.min_spells()}}) {
    if (value < 0) {
      return PathError(name, absl::StrCat("must be > 0, got ", value));
    }
  }
  if (r.step_days() == 0) r.set_step_days(7);
  if (r.max_days() == 0) r.set_max_days(365);
  if (r.horizon_days() == 0) r.set_horizon_days(180);
  if (r.min_spells() == 0) r.set_min_spells(100);
  // Bounds the grid (max_days / step_days points).
  if (r.max_days() > kMaxDays) {
    return PathError("max_days", absl::StrCat("must be at most ", kMaxDays,
                                              ", got ", r.max_days()));
  }
  if (r.step_days() > r.max_days()) {
    return PathError("step_days",
                     absl::StrCat(r.step_days(), " is more than max_days (",
                                  r.max_days(), ")"));
  }
  if (r.max_return() == 0) r.set_max_return(0.05);
  if (!(r.max_return() > 0 && r.max_return() < 1)) {
    return PathError("max_return",
                     absl::StrCat("must be in (0, 1), got ", r.max_return()));
  }
  return r;
}

// Every spell of customer c before as_of, appended to *out.
void AddSpells(const Dataset& ds, CustomerIndex c, UnixSeconds as_of,
               const std::vector<internal::BoundFilter>& activity,
               std::vector<Spell>* out) {
  const EventTable& ev = ds.events();
  // The passive rules count from the signup when there is no activity yet,
  // so the wait for the first activity is a spell too; but only when the
  // log covers it: a signup before the data's first event would make the
  // log's start look like a long silence.
  const UnixSeconds signup = ds.customers().signup_time[c];
  UnixSeconds prev = signup >= ds.first_event_time() ? signup : kNoTime;
  for (size_t e = ds.event_begin(c); e < ds.event_end(c); ++e) {
    if (ev.time[e] >= as_of) break;
    if (std::none_of(
            activity.begin(), activity.end(),
            [&](const internal::BoundFilter& f) { return f.Match(ev, e); })) {
      continue;
    }
    if (prev != kNoTime && ev.time[e] >= prev) {
      out->push_back({prev, ev.time[e] - prev, true});
    }
    prev = std::max(prev, ev.time[e]);
  }
  if (prev != kNoTime) out->push_back({prev, as_of - prev, false});
}

// Nearest-rank quantile q of sorted, non-empty `days`.
double Quantile(const std::vector<double>& days, double q) {
  const size_t rank = static_cast<size_t>(std::ceil(q * days.size()));
  return days[std::max<size_t>(rank, 1) - 1];
}

// The figures of a segment whose spells are `parts` (the overall segment
// reads every value's list, not a copy of them all).
v1::SegmentWindows Analyze(absl::Span<const absl::Span<const Spell>> parts,
                           const v1::WindowsRequest& r, UnixSeconds as_of) {
  v1::SegmentWindows s;
  std::vector<double> closed;
  for (absl::Span<const Spell> spells : parts) {
    s.set_spells(s.spells() + static_cast<int64_t>(spells.size()));
    for (const Spell& sp : spells) {
      if (sp.closed) {
        closed.push_back(static_cast<double>(sp.length) / kDay);
      } else {
        s.set_open_spells(s.open_spells() + 1);
      }
    }
  }
  if (!closed.empty()) {
    std::sort(closed.begin(), closed.end());
    s.set_median_gap_days(Quantile(closed, 0.5));
    s.set_p90_gap_days(Quantile(closed, 0.9));
    s.set_p99_gap_days(Quantile(closed, 0.99));
  }
  const int64_t horizon = int64_t{r.horizon_days()} * kDay;
  int64_t most_followed = 0;
  const v1::ReturnPoint* lowest = nullptr;
  for (int32_t days = r.step_days(); days <= r.max_days();
       days += r.step_days()) {
    const int64_t n = int64_t{days} * kDay;
    v1::ReturnPoint* p = s.add_points();
    p->set_days(days);
    for (absl::Span<const Spell> spells : parts) {
      for (const Spell& sp : spells) {
        if (sp.length < n) continue;
        p->set_reached(p->reached() + 1);
        // Judged only when the horizon after day N is all in the data.
        if (sp.start + n + horizon > as_of) continue;
        p->set_followed(p->followed() + 1);
        if (sp.closed && sp.length < n + horizon) {
          p->set_returned(p->returned() + 1);
        }
      }
    }
    if (p->followed() == 0) continue;
    p->set_return_probability(static_cast<double>(p->returned()) /
                              p->followed());
    most_followed = std::max(most_followed, p->followed());
    if (p->followed() < r.min_spells()) continue;
    if (lowest == nullptr ||
        p->return_probability() < lowest->return_probability()) {
      lowest = p;
    }
    if (s.suggested_days() == 0 && p->return_probability() <= r.max_return()) {
      s.set_suggested_days(days);
      s.set_suggested_followed(p->followed());
      s.set_suggested_return_probability(p->return_probability());
    }
  }
  if (s.suggested_days() != 0) return s;
  if (lowest == nullptr) {
    s.set_no_suggestion(absl::StrCat("too few spells: at most ", most_followed,
                                     " followed at any gap length, ",
                                     r.min_spells(), " needed"));
  } else {
    s.set_no_suggestion(absl::StrFormat(
        "returns stay above %g%% up to %d days (lowest %.1f%% at %d days)",
        100 * r.max_return(), r.max_days(), 100 * lowest->return_probability(),
        lowest->days()));
  }
  return s;
}

// The passive rule of a segment's suggested window.
void AddRule(const v1::WindowsRequest& r, const v1::SegmentWindows& s,
             v1::ChurnDefinition* def) {
  v1::PassiveRule* rule = def->add_passive();
  const std::string& by = r.by();
  const std::string& value = s.value();
  if (s.overall()) {
    rule->set_name(absl::StrCat("overall_", s.suggested_days(), "d_inactive"));
  } else {
    rule->set_name(absl::StrCat(by, "_", value.empty() ? "none" : value, "_",
                                s.suggested_days(), "d_inactive"));
    // Industries and tiers lists reject an empty value.
    if (by == "industry" && !value.empty()) {
      rule->mutable_applies_to()->add_industries(value);
    } else if (by == "tier" && !value.empty()) {
      rule->mutable_applies_to()->add_tiers(value);
    } else {
      (*rule->mutable_applies_to()->mutable_attributes())[by] = value;
    }
  }
  *rule->mutable_activity() = r.activity();
  rule->set_inactive_days(s.suggested_days());
}

}  // namespace

absl::StatusOr<v1::WindowsResult> SuggestWindows(
    const Dataset& dataset, const v1::WindowsRequest& request) {
  absl::StatusOr<v1::WindowsRequest> r = Complete(request);
  if (!r.ok()) return r.status();
  absl::StatusOr<UnixSeconds> as_of = ParseTime(r->as_of());
  if (!as_of.ok()) return PathError("as_of", as_of.status().message());
  if (absl::Status s = internal::CheckAsOfAfterData(dataset, *as_of); !s.ok()) {
    return s;
  }
  std::vector<internal::CompiledFilter> compiled;
  for (int i = 0; i < r->activity_size(); ++i) {
    absl::StatusOr<internal::CompiledFilter> f = internal::CompileFilter(
        r->activity(i), absl::StrCat("activity[", i, "]"));
    if (!f.ok()) return f.status();
    compiled.push_back(*std::move(f));
  }
  const std::vector<internal::BoundFilter> activity =
      internal::BindFilters(compiled, dataset);
  std::optional<internal::AttributeReader> reader;
  if (!r->by().empty()) {
    absl::StatusOr<internal::AttributeReader> a =
        internal::AttributeReader::Create(dataset, r->by(), "by");
    if (!a.ok()) return a.status();
    reader = *std::move(a);
  }

  // Spells and customers per attribute value (one group without `by`),
  // ordered by the value's text.
  struct Group {
    int64_t customers = 0;
    std::vector<Spell> spells;
  };
  std::map<std::string, Group> groups;
  int64_t customers = 0;
  for (CustomerIndex c = 0; c < dataset.num_customers(); ++c) {
    if (!ExistedAt(dataset, c, *as_of)) continue;
    ++customers;
    Group& g =
        groups[reader.has_value() ? std::string(dataset.str(reader->Get(c)))
                                  : std::string()];
    ++g.customers;
    AddSpells(dataset, c, *as_of, activity, &g.spells);
  }
  std::vector<absl::Span<const Spell>> all;
  for (const auto& [value, g] : groups) all.push_back(g.spells);

  v1::WindowsResult result;
  result.set_as_of(FormatTime(*as_of));
  result.set_by(r->by());
  v1::SegmentWindows* overall = result.add_segments();
  *overall = Analyze(all, *r, *as_of);
  overall->set_overall(true);
  overall->set_customers(customers);
  if (reader.has_value()) {
    for (const auto& [value, g] : groups) {
      v1::SegmentWindows* s = result.add_segments();
      *s = Analyze({absl::MakeConstSpan(g.spells)}, *r, *as_of);
      s->set_value(value);
      s->set_customers(g.customers);
    }
  }

  absl::StatusOr<v1::ChurnDefinition> def = DefaultChurnDefinition();
  if (!def.ok()) return def.status();
  def->clear_passive();
  // Specific rules first: the first rule that applies wins.
  for (int i = 1; i < result.segments_size(); ++i) {
    if (result.segments(i).suggested_days() > 0) {
      AddRule(*r, result.segments(i), &*def);
    }
  }
  if (overall->suggested_days() > 0) AddRule(*r, *overall, &*def);
  *result.mutable_definition() = *std::move(def);
  *result.mutable_request() = *std::move(r);
  return result;
}

}  // namespace churnkit
