#include "churnkit/labels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/casts.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/experiments.h"
#include "internal/attribute.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"
#include "internal/event_filter.h"
#include "internal/parallel.h"
#include "internal/special.h"
#include "internal/time.h"

namespace churnkit {
namespace {

using internal::AttributeReader;
using internal::PathError;

using internal::AnyFilter;
using internal::BoundFilter;
using internal::CompiledFilter;

constexpr int64_t kDay = 86400;
constexpr int64_t kYear = 365 * kDay;

constexpr absl::string_view kActiveRule = "active";

struct Selector {
  std::vector<std::string> industries, tiers;
  double min_annual_value = 0;
  // (attribute name, value), sorted by name.
  std::vector<std::pair<std::string, std::string>> attributes;

  // Readers of `attributes` in one data set; errors name rule `index` of
  // `rules` (the path is built only when there are attributes: this runs
  // per call, one customer at a time).
  absl::StatusOr<std::vector<AttributeReader>> Bind(const Dataset& ds,
                                                    absl::string_view rules,
                                                    size_t index) const {
    std::vector<AttributeReader> readers;
    for (const auto& [name, value] : attributes) {
      absl::StatusOr<AttributeReader> r = AttributeReader::Create(
          ds, name,
          absl::StrCat(rules, "[", index, "].applies_to.attributes[", name,
                       "]"));
      if (!r.ok()) return r.status();
      readers.push_back(*std::move(r));
    }
    return readers;
  }

  bool Matches(const Dataset& ds, CustomerIndex c,
               const std::vector<AttributeReader>& readers) const {
    const CustomerTable& t = ds.customers();
    auto in = [&](const std::vector<std::string>& list, StringId id) {
      if (list.empty()) return true;
      const absl::string_view v = ds.str(id);
      return std::find(list.begin(), list.end(), v) != list.end();
    };
    for (size_t i = 0; i < attributes.size(); ++i) {
      if (ds.str(readers[i].Get(c)) != attributes[i].second) return false;
    }
    return in(industries, t.industry[c]) && in(tiers, t.tier[c]) &&
           (min_annual_value <= 0 || t.annual_value[c] > min_annual_value);
  }
};

absl::StatusOr<Selector> MakeSelector(const v1::CustomerSelector& s,
                                      const std::string& path) {
  Selector out;
  out.industries.assign(s.industries().begin(), s.industries().end());
  out.tiers.assign(s.tiers().begin(), s.tiers().end());
  for (const auto& [name, list] :
       {std::pair{"industries", &out.industries}, {"tiers", &out.tiers}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      if ((*list)[i].empty()) {
        return PathError(absl::StrCat(path, ".", name, "[", i, "]"), "empty");
      }
    }
  }
  if (s.min_annual_value() < 0 || !std::isfinite(s.min_annual_value())) {
    return PathError(path + ".min_annual_value", "must be >= 0");
  }
  out.min_annual_value = s.min_annual_value();
  for (const auto& [name, value] : s.attributes()) {
    out.attributes.emplace_back(name, value);
  }
  std::sort(out.attributes.begin(), out.attributes.end());
  return out;
}

// Whether every customer `b` matches is also matched by `a`.
bool Covers(const Selector& a, const Selector& b) {
  auto subset = [](const std::vector<std::string>& small,
                   const std::vector<std::string>& big) {
    if (big.empty()) return small.empty();
    if (small.empty()) return false;
    for (const std::string& v : small) {
      if (std::find(big.begin(), big.end(), v) == big.end()) return false;
    }
    return true;
  };
  // a's lists must allow all that b's allow: b's list a subset of a's (an
  // empty list allows everything).
  const bool industries =
      a.industries.empty() || subset(b.industries, a.industries);
  const bool tiers = a.tiers.empty() || subset(b.tiers, a.tiers);
  return industries && tiers && a.min_annual_value <= b.min_annual_value &&
         std::includes(b.attributes.begin(), b.attributes.end(),
                       a.attributes.begin(), a.attributes.end());
}

struct PassiveRule {
  std::string name;
  Selector selector;
  std::vector<int> filters;  // any matching
  int64_t window;
};

struct HiddenRule {
  std::string name;
  Selector selector;
  int filter;
  v1::Aggregate measure;  // COUNT, SUM_AMOUNT or SUM_VALUE
  int64_t period, baseline;
  int periods;
  double min_drop, significance, recovery;
  int min_baseline_events;
  bool seasonal;
};

// Evidence of churn over [start, end) (end == kNoTime: still going),
// merged into episodes.
struct Evidence {
  v1::ChurnType type;
  UnixSeconds start, detected, end;
  std::string reason;
  absl::string_view rule;  // points into the labeler's rules
};

// ACTIVE outranks PASSIVE outranks HIDDEN when evidence overlaps.
int Rank(v1::ChurnType type) {
  return type == v1::ACTIVE ? 3 : type == v1::PASSIVE ? 2 : 1;
}

double Measure(v1::Aggregate measure, const EventTable& ev, size_t i) {
  const double x = measure == v1::SUM_AMOUNT  ? ev.amount[i]
                   : measure == v1::SUM_VALUE ? ev.value[i]
                                              : 1.0;
  return std::isfinite(x) && x > 0 ? x : 0.0;
}

// Customers with more events than this do not leave their buffers behind
// in the thread.
constexpr size_t kKeepEvents = size_t{1} << 16;

// The events of [begin, end) that `filter` admits (AnyFilter::Select), in
// a buffer the thread keeps: one Picked at a time per thread.
class Picked {
 public:
  Picked(const AnyFilter& filter, const EventTable& ev, size_t begin,
         size_t end)
      : events_(Buffer()) {
    events_.clear();
    filter.Select(ev, begin, end, &events_);
  }
  Picked(const Picked&) = delete;
  Picked& operator=(const Picked&) = delete;
  ~Picked() {
    if (events_.capacity() > kKeepEvents) Buffer() = {};
  }
  const std::vector<size_t>& events() const { return events_; }

 private:
  static std::vector<size_t>& Buffer() {
    thread_local std::vector<size_t> events;
    return events;
  }
  std::vector<size_t>& events_;
};

// Sums of a customer's matching events over time ranges, by prefix sums.
// One Series at a time per thread: its columns are buffers the thread
// keeps, since allocating a few KB per customer cost more than the walk.
class Series {
 public:
  // The `picked` events, valued by `measure`.
  Series(const EventTable& ev, const Picked& picked, v1::Aggregate measure)
      : time_(Buffers().time), sum_(Buffers().sum), sq_(Buffers().sq) {
    time_.clear();
    sum_.assign(1, 0.0);
    sq_.assign(1, 0.0);
    for (size_t i : picked.events()) {
      const double x = Measure(measure, ev, i);
      time_.push_back(ev.time[i]);
      sum_.push_back(sum_.back() + x);
      sq_.push_back(sq_.back() + x * x);
    }
    // After the last event, a time no bound passes: it ends every advance.
    time_.push_back(std::numeric_limits<UnixSeconds>::max());
  }
  Series(const Series&) = delete;
  Series& operator=(const Series&) = delete;
  ~Series() {
    // A customer of millions of events does not leave its series behind.
    if (time_.capacity() > kKeepEvents) Buffers() = {};
  }
  struct Range {
    double sum = 0, sq = 0;
    int64_t n = 0;
  };
  // The index of the first event at or after `t`, for a bound that only
  // moves forward: `*cursor` (from 0) advances to it, so a sweep over
  // increasing times costs the events once instead of a search per query.
  size_t Advance(size_t* cursor, UnixSeconds t) const {
    size_t i = *cursor;
    // A bound moves by a week, past an event or two: two steps without a
    // branch to mispredict, then a loop that is seldom entered.
    i += time_[i] < t;
    i += time_[i] < t;
    while (time_[i] < t) ++i;
    return *cursor = i;
  }
  // The time of the last event, kNoTime when there is none.
  UnixSeconds last_time() const {
    return time_.size() > 1 ? time_[time_.size() - 2] : kNoTime;
  }
  // Events [a, b) by index.
  Range Between(size_t a, size_t b) const {
    return {sum_[b] - sum_[a], sq_[b] - sq_[a], static_cast<int64_t>(b - a)};
  }

 private:
  struct Columns {
    std::vector<UnixSeconds> time;
    std::vector<double> sum, sq;
  };
  static Columns& Buffers() {
    thread_local Columns columns;
    return columns;
  }

  // The thread's buffers.
  std::vector<UnixSeconds>& time_;
  std::vector<double>& sum_;
  std::vector<double>& sq_;
};

// internal::BinomialCdf, remembered per thread: a rule's checks ask for
// the same few small counts at the same share week after week, and each
// evaluation is a continued fraction.
double RememberedBinomialCdf(int64_t k, int64_t n, double p) {
  struct Entry {
    int64_t k = -1, n = -1;
    double p = 0, cdf = 0;
  };
  thread_local std::array<Entry, 1024> cache;
  const uint64_t h = (static_cast<uint64_t>(k) * 0x9E3779B97F4A7C15u) ^
                     (static_cast<uint64_t>(n) * 0xC2B2AE3D27D4EB4Fu) ^
                     absl::bit_cast<uint64_t>(p);
  Entry& e = cache[(h * 0x94D049BB133111EBu) >> 54];
  if (e.k != k || e.n != n || e.p != p) {
    e = {k, n, p, internal::BinomialCdf(k, n, p)};
  }
  return e.cdf;
}

// One-sided p-value that the recent rate (sum `recent` over `recent_days`)
// is below the baseline rate.
double DeclinePValue(v1::Aggregate measure, const Series::Range& recent,
                     double recent_days, const Series::Range& base,
                     double base_days) {
  if (measure == v1::COUNT) {
    // Given n = x + y events, the recent count is Binomial(n, share of the
    // time) when the rates are equal.
    return RememberedBinomialCdf(recent.n, recent.n + base.n,
                                 recent_days / (recent_days + base_days));
  }
  const double var = recent.sq / (recent_days * recent_days) +
                     base.sq / (base_days * base_days);
  if (var <= 0) return 1;
  return NormalCdf((recent.sum / recent_days - base.sum / base_days) /
                   std::sqrt(var));
}

}  // namespace

struct ChurnLabeler::Impl {
  v1::ChurnDefinition def;
  std::vector<CompiledFilter> filters;
  std::vector<int> active;        // filter ids
  std::vector<int> reactivation;  // filter ids
  std::vector<PassiveRule> passive;
  std::vector<HiddenRule> hidden;
  int64_t hidden_step = 7 * kDay;

  // The definition resolved against one data set.
  struct Bound {
    AnyFilter active, reactivation;
    std::vector<AnyFilter> passive_activity, hidden_activity;  // per rule
    std::vector<std::vector<AttributeReader>> passive, hidden;
  };
  absl::StatusOr<Bound> Bind(const Dataset& ds) const;

  // Customer c's episodes from events before `known_at`; its latest
  // qualifying activity under the applicable passive rule in *last.
  std::vector<ChurnEpisode> Walk(const Dataset& ds, CustomerIndex c,
                                 UnixSeconds known_at, const Bound& bound,
                                 UnixSeconds* last) const;
  void Hidden(const HiddenRule& rule, const Dataset& ds, size_t begin,
              size_t end, UnixSeconds from, UnixSeconds known_at,
              const AnyFilter& filter, std::vector<Evidence>& out) const;
};

void ChurnLabeler::Impl::Hidden(const HiddenRule& rule, const Dataset& ds,
                                size_t begin, size_t end, UnixSeconds from,
                                UnixSeconds known_at, const AnyFilter& filter,
                                std::vector<Evidence>& out) const {
  const EventTable& ev = ds.events();
  const Series series(ev, Picked(filter, ev, begin, end), rule.measure);
  const int64_t tested = rule.period * rule.periods;
  const double period_days = static_cast<double>(rule.period) / kDay;
  const double base_days = static_cast<double>(rule.baseline) / kDay;
  // Checks on the calendar grid, from the first whose baseline lies wholly
  // after `from` (the signup, or the data set's first event).
  const UnixSeconds first = from + tested + rule.baseline;
  UnixSeconds d =
      (first / hidden_step + (first % hidden_step > 0)) * hidden_step;
  bool in_episode = false;
  double frozen_rate = 0;  // per day, when the episode began
  // Every window bound is d minus a fixed offset, so it moves forward with
  // d: one cursor per bound. Bounds 0..periods are d - k x period (the
  // baseline ends at bound `periods`); then the baseline's start and the
  // year-earlier bounds.
  const int periods = rule.periods;
  absl::InlinedVector<size_t, 16> cursors(periods + 5, 0);
  size_t* const cursor = cursors.data();
  auto at = [&](int bound, UnixSeconds t) {
    return series.Advance(&cursor[bound], t);
  };
  auto in = [&](int from_bound, UnixSeconds from, int to_bound,
                UnixSeconds to) {
    return series.Between(at(from_bound, from), at(to_bound, to));
  };
  const int kBaseStart = periods + 1, kYearEnd = periods + 2,
            kYearBaseEnd = periods + 3, kYearBaseStart = periods + 4;
  // Once a check's earliest window (the baseline) starts after the last
  // event, every window is empty from then on: no episode can begin (an
  // empty baseline) or end (no recovery), so the checks stop there rather
  // than walk every week up to a far as_of.
  const UnixSeconds last_event = series.last_time();
  for (; d <= known_at; d += hidden_step) {
    if (last_event == kNoTime || d - tested - rule.baseline > last_event) {
      break;
    }
    if (in_episode) {
      const Series::Range latest = in(1, d - rule.period, 0, d);
      if (latest.sum > rule.recovery * frozen_rate * period_days) {
        out.back().end = d;
        in_episode = false;
      }
      continue;
    }
    const UnixSeconds base_end = d - tested;
    const Series::Range base =
        in(kBaseStart, base_end - rule.baseline, periods, base_end);
    if (base.n < rule.min_baseline_events || base.sum <= 0) continue;
    const double base_rate = base.sum / base_days;
    // The customer's own season: how the same weeks compared with the
    // baseline before them a year earlier (a school's summer), when that
    // year was observed with enough events; 1 otherwise.
    double season = 1;
    if (rule.seasonal && base_end - rule.baseline - kYear >= from) {
      const Series::Range then =
          in(kYearBaseEnd, base_end - kYear, kYearEnd, d - kYear);
      const Series::Range then_base =
          in(kYearBaseStart, base_end - rule.baseline - kYear, kYearBaseEnd,
             base_end - kYear);
      if (then_base.n >= rule.min_baseline_events && then_base.sum > 0) {
        season = std::clamp((then.sum / (period_days * rule.periods)) /
                                (then_base.sum / base_days),
                            0.25, 4.0);
      }
    }
    bool declined = true;
    for (int j = 0; j < rule.periods && declined; ++j) {
      const Series::Range p =
          in(j + 1, d - (j + 1) * rule.period, j, d - j * rule.period);
      declined =
          p.sum <= (1 - rule.min_drop) * base_rate * season * period_days;
    }
    if (!declined) continue;
    // The recent periods weigh `season` times their length against the
    // baseline: the rate expected of them.
    const Series::Range recent = in(periods, base_end, 0, d);
    if (DeclinePValue(rule.measure, recent, period_days * rule.periods * season,
                      base, base_days) >= rule.significance) {
      continue;
    }
    out.push_back({v1::HIDDEN, base_end, d, kNoTime, "", rule.name});
    in_episode = true;
    frozen_rate = base_rate;
  }
}

absl::StatusOr<ChurnLabeler::Impl::Bound> ChurnLabeler::Impl::Bind(
    const Dataset& ds) const {
  Bound b;
  const std::vector<BoundFilter> bound = internal::BindFilters(filters, ds);
  b.active = AnyFilter(bound, active);
  b.reactivation = AnyFilter(bound, reactivation);
  for (const PassiveRule& rule : passive) {
    b.passive_activity.emplace_back(bound, rule.filters);
  }
  for (const HiddenRule& rule : hidden) {
    b.hidden_activity.emplace_back(bound, absl::MakeConstSpan(&rule.filter, 1));
  }
  for (size_t i = 0; i < passive.size(); ++i) {
    absl::StatusOr<std::vector<AttributeReader>> r =
        passive[i].selector.Bind(ds, "passive", i);
    if (!r.ok()) return r.status();
    b.passive.push_back(*std::move(r));
  }
  for (size_t i = 0; i < hidden.size(); ++i) {
    absl::StatusOr<std::vector<AttributeReader>> r =
        hidden[i].selector.Bind(ds, "hidden", i);
    if (!r.ok()) return r.status();
    b.hidden.push_back(*std::move(r));
  }
  return b;
}

std::vector<ChurnEpisode> ChurnLabeler::Impl::Walk(const Dataset& ds,
                                                   CustomerIndex c,
                                                   UnixSeconds known_at,
                                                   const Bound& bound,
                                                   UnixSeconds* last) const {
  *last = kNoTime;
  const EventTable& ev = ds.events();
  const UnixSeconds signup = ds.customers().signup_time[c];
  if (signup != kNoTime && signup >= known_at) return {};
  const size_t begin = ds.event_begin(c);
  const size_t end = ds.EventAtOrAfter(c, known_at);
  std::vector<Evidence> evidence;

  // Active churn, until a reactivation event: the events between two
  // active ones are read only while churn is open.
  {
    bool open = false;
    size_t next = begin;  // the first event not read yet
    auto reactivate = [&](size_t until) {
      for (size_t i = next; open && i < until; ++i) {
        if (ev.time[i] > evidence.back().start &&
            bound.reactivation.Match(ev, i)) {
          evidence.back().end = ev.time[i];
          open = false;
        }
      }
    };
    const Picked active(bound.active, ev, begin, end);
    for (size_t i : active.events()) {
      reactivate(i);
      if (!open) {
        evidence.push_back(
            {v1::ACTIVE, ev.time[i], ev.time[i], kNoTime, "", kActiveRule});
        open = true;
      }
      // Only a cancellation's key is a reason (a non-renewal's key is the
      // contract id); a non-renewal followed by a cancellation takes the
      // cancellation's reason.
      if (ev.kind[i] == v1::CANCELLATION && evidence.back().reason.empty()) {
        evidence.back().reason = std::string(ds.str(ev.key[i]));
      }
      next = i + 1;
    }
    reactivate(end);
  }

  // Observation starts at the signup, or at the data set's first event for
  // customers signed up before it (or of unknown signup): silence before
  // that is missing history, not inactivity.
  const UnixSeconds observed = signup == kNoTime
                                   ? ds.first_event_time()
                                   : std::max(signup, ds.first_event_time());

  // Passive churn: every silence of the window or longer.
  for (size_t r = 0; r < passive.size(); ++r) {
    const PassiveRule& rule = passive[r];
    if (!rule.selector.Matches(ds, c, bound.passive[r])) continue;
    UnixSeconds prev = signup == kNoTime ? kNoTime : observed;
    const Picked activity(bound.passive_activity[r], ev, begin, end);
    for (size_t i : activity.events()) {
      const UnixSeconds t = ev.time[i];
      if (prev != kNoTime && t - prev >= rule.window) {
        evidence.push_back(
            {v1::PASSIVE, prev, prev + rule.window, t, "", rule.name});
      }
      prev = prev == kNoTime ? t : std::max(prev, t);
      *last = t;
    }
    if (prev != kNoTime && known_at - prev >= rule.window) {
      evidence.push_back(
          {v1::PASSIVE, prev, prev + rule.window, kNoTime, "", rule.name});
    }
    break;  // the first applicable rule decides
  }

  for (size_t r = 0; r < hidden.size(); ++r) {
    const HiddenRule& rule = hidden[r];
    if (observed == kNoTime || !rule.selector.Matches(ds, c, bound.hidden[r])) {
      continue;
    }
    Hidden(rule, ds, begin, end, observed, known_at, bound.hidden_activity[r],
           evidence);
  }

  // Overlapping evidence is one episode. It begins where the evidence that
  // was complete first began (a cancellation before the silence that led up
  // to it was long enough is churn from the cancellation) and takes the
  // strongest type.
  std::stable_sort(
      evidence.begin(), evidence.end(),
      [](const Evidence& a, const Evidence& b) { return a.start < b.start; });
  std::vector<ChurnEpisode> episodes;
  const Evidence* strongest = nullptr;
  for (const Evidence& e : evidence) {
    ChurnEpisode* cur = episodes.empty() ? nullptr : &episodes.back();
    if (cur != nullptr && (cur->end == kNoTime || e.start < cur->end)) {
      if (e.detected < cur->detected) {
        cur->detected = e.detected;
        cur->start = e.start;
      }
      cur->end = cur->end == kNoTime || e.end == kNoTime
                     ? kNoTime
                     : std::max(cur->end, e.end);
      if (Rank(e.type) > Rank(strongest->type)) strongest = &e;
    } else {
      ChurnEpisode episode;
      episode.start = e.start;
      episode.detected = e.detected;
      episode.end = e.end;
      episodes.push_back(std::move(episode));
      strongest = &e;
    }
    ChurnEpisode& out = episodes.back();
    out.type = strongest->type;
    out.reason = strongest->reason;
    out.rule = std::string(strongest->rule);
  }
  if (signup != kNoTime) {
    for (ChurnEpisode& e : episodes) e.start = std::max(e.start, signup);
  }
  return episodes;
}

const ChurnEpisode* ChurnHistory::At(CustomerIndex c, UnixSeconds t) const {
  const absl::Span<const ChurnEpisode> list = episodes(c);
  for (size_t i = list.size(); i > 0; --i) {
    const ChurnEpisode& e = list[i - 1];
    if (e.start >= t) continue;
    return e.end == kNoTime || e.end >= t ? &e : nullptr;
  }
  return nullptr;
}

bool ExistedAt(const Dataset& dataset, CustomerIndex c, UnixSeconds t) {
  const UnixSeconds signup = dataset.customers().signup_time[c];
  if (signup != kNoTime) return signup < t;
  const size_t begin = dataset.event_begin(c);
  return begin == dataset.event_end(c) || dataset.events().time[begin] < t;
}

ChurnLabeler::ChurnLabeler(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
ChurnLabeler::ChurnLabeler(ChurnLabeler&&) noexcept = default;
ChurnLabeler& ChurnLabeler::operator=(ChurnLabeler&&) noexcept = default;
ChurnLabeler::~ChurnLabeler() = default;

const v1::ChurnDefinition& ChurnLabeler::definition() const {
  return impl_->def;
}

std::vector<std::string> ChurnLabeler::UnmatchedSelectors(
    const Dataset& dataset) const {
  const CustomerTable& t = dataset.customers();
  auto present = [&](const std::vector<StringId>& column,
                     const std::string& name) {
    for (StringId id : column) {
      if (dataset.str(id) == name) return true;
    }
    return false;
  };
  std::vector<std::string> out;
  auto check = [&](const Selector& s, const std::string& path) {
    for (size_t i = 0; i < s.industries.size(); ++i) {
      if (!present(t.industry, s.industries[i])) {
        out.push_back(absl::StrCat(path, ".applies_to.industries[", i,
                                   "]: no customer has industry '",
                                   s.industries[i], "'"));
      }
    }
    for (size_t i = 0; i < s.tiers.size(); ++i) {
      if (!present(t.tier, s.tiers[i])) {
        out.push_back(absl::StrCat(path, ".applies_to.tiers[", i,
                                   "]: no customer has tier '", s.tiers[i],
                                   "'"));
      }
    }
  };
  for (size_t r = 0; r < impl_->passive.size(); ++r) {
    check(impl_->passive[r].selector, absl::StrCat("passive[", r, "]"));
  }
  for (size_t r = 0; r < impl_->hidden.size(); ++r) {
    check(impl_->hidden[r].selector, absl::StrCat("hidden[", r, "]"));
  }
  return out;
}

absl::StatusOr<ChurnLabeler> ChurnLabeler::Create(
    const v1::ChurnDefinition& def) {
  auto impl = std::make_unique<Impl>();
  impl->def = def;
  auto add_filter = [&](const v1::EventFilter& f,
                        const std::string& path) -> absl::StatusOr<int> {
    absl::StatusOr<CompiledFilter> c = internal::CompileFilter(f, path);
    if (!c.ok()) return c.status();
    impl->filters.push_back(std::move(*c));
    return static_cast<int>(impl->filters.size() - 1);
  };
  for (int i = 0; i < def.active_size(); ++i) {
    absl::StatusOr<int> id =
        add_filter(def.active(i), absl::StrCat("active[", i, "]"));
    if (!id.ok()) return id.status();
    impl->active.push_back(*id);
  }
  for (int i = 0; i < def.passive_size(); ++i) {
    const v1::PassiveRule& r = def.passive(i);
    const std::string path = absl::StrCat("passive[", i, "]");
    if (r.inactive_days() <= 0) {
      return PathError(path + ".inactive_days", "must be > 0");
    }
    absl::StatusOr<Selector> selector =
        MakeSelector(r.applies_to(), path + ".applies_to");
    if (!selector.ok()) return selector.status();
    // The first applicable rule decides, so a rule after one that covers
    // it would never apply: a config mistake, not a preference.
    for (int j = 0; j < i; ++j) {
      if (Covers(impl->passive[j].selector, *selector)) {
        return PathError(
            path, absl::StrCat("never applies: passive[", j, "] ('",
                               impl->passive[j].name,
                               "') matches every customer it would; list "
                               "specific rules first"));
      }
    }
    if (r.activity().empty()) {
      return PathError(path + ".activity", "missing: no qualifying activity");
    }
    std::vector<int> ids;
    for (int k = 0; k < r.activity_size(); ++k) {
      absl::StatusOr<int> id =
          add_filter(r.activity(k), absl::StrCat(path, ".activity[", k, "]"));
      if (!id.ok()) return id.status();
      ids.push_back(*id);
    }
    impl->passive.push_back({r.name().empty() ? path : r.name(),
                             *std::move(selector), std::move(ids),
                             int64_t{r.inactive_days()} * kDay});
  }
  for (int i = 0; i < def.hidden_size(); ++i) {
    const v1::HiddenRule& r = def.hidden(i);
    const std::string path = absl::StrCat("hidden[", i, "]");
    if (r.measure() != v1::COUNT && r.measure() != v1::SUM_AMOUNT &&
        r.measure() != v1::SUM_VALUE) {
      return PathError(path + ".measure",
                       "must be COUNT, SUM_AMOUNT or SUM_VALUE");
    }
    if (r.recent_days() <= 0)
      return PathError(path + ".recent_days", "must be > 0");
    if (r.baseline_days() <= 0) {
      return PathError(path + ".baseline_days", "must be > 0");
    }
    if (!(r.min_drop() > 0 && r.min_drop() < 1)) {
      return PathError(path + ".min_drop", "must be in (0, 1)");
    }
    if (r.min_baseline_events() < 0) {
      return PathError(path + ".min_baseline_events", "must be >= 0");
    }
    if (r.periods() < 0) return PathError(path + ".periods", "must be >= 0");
    if (!(r.significance() >= 0 && r.significance() < 1)) {
      return PathError(
          path + ".significance",
          absl::StrCat("must be in (0, 1), got ", r.significance()));
    }
    if (!(r.recovery() >= 0 && r.recovery() <= 1)) {
      return PathError(path + ".recovery",
                       absl::StrCat("must be in (0, 1], got ", r.recovery()));
    }
    absl::StatusOr<Selector> selector =
        MakeSelector(r.applies_to(), path + ".applies_to");
    if (!selector.ok()) return selector.status();
    absl::StatusOr<int> id = add_filter(r.activity(), path + ".activity");
    if (!id.ok()) return id.status();
    impl->hidden.push_back(
        {r.name().empty() ? path : r.name(), *std::move(selector), *id,
         r.measure(), int64_t{r.recent_days()} * kDay,
         int64_t{r.baseline_days()} * kDay, r.periods() == 0 ? 2 : r.periods(),
         r.min_drop(), r.significance() == 0 ? 0.01 : r.significance(),
         r.recovery() == 0 ? 1 - r.min_drop() / 2 : r.recovery(),
         r.min_baseline_events() == 0 ? 3 : r.min_baseline_events(),
         r.seasonal()});
  }
  if (def.reactivation().empty()) {
    v1::EventFilter contract;
    contract.add_kinds(v1::CONTRACT);
    for (v1::EventSubtype st :
         {v1::CONTRACT_SIGNED, v1::CONTRACT_RENEWED, v1::CONTRACT_UPGRADED}) {
      contract.add_subtypes(st);
    }
    v1::EventFilter order;
    order.add_kinds(v1::ORDER);
    for (const v1::EventFilter* r : {&contract, &order}) {
      absl::StatusOr<int> id = add_filter(*r, "reactivation (default)");
      if (!id.ok()) return id.status();
      impl->reactivation.push_back(*id);
    }
  }
  for (int i = 0; i < def.reactivation_size(); ++i) {
    absl::StatusOr<int> id =
        add_filter(def.reactivation(i), absl::StrCat("reactivation[", i, "]"));
    if (!id.ok()) return id.status();
    impl->reactivation.push_back(*id);
  }
  if (def.hidden_check_days() < 0) {
    return PathError("hidden_check_days", "must be >= 0");
  }
  if (def.hidden_check_days() > 0) {
    impl->hidden_step = int64_t{def.hidden_check_days()} * kDay;
  }
  return ChurnLabeler(std::move(impl));
}

absl::StatusOr<ChurnHistory> ChurnLabeler::History(const Dataset& dataset,
                                                   UnixSeconds known_at,
                                                   int threads) const {
  if (absl::Status s = internal::CheckAsOfAfterData(dataset, known_at);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Impl::Bound> bound = impl_->Bind(dataset);
  if (!bound.ok()) return bound.status();
  const size_t n = dataset.num_customers();
  std::vector<std::vector<ChurnEpisode>> per_customer(n);
  std::vector<UnixSeconds> last(n, kNoTime);
  internal::ParallelFor(n, threads, [&](size_t from, size_t to) {
    for (size_t c = from; c < to; ++c) {
      per_customer[c] = impl_->Walk(dataset, static_cast<CustomerIndex>(c),
                                    known_at, *bound, &last[c]);
    }
  });
  ChurnHistory history;
  history.known_at_ = known_at;
  history.last_activity_ = std::move(last);
  history.offsets_.reserve(n + 1);
  for (std::vector<ChurnEpisode>& list : per_customer) {
    for (ChurnEpisode& e : list) history.episodes_.push_back(std::move(e));
    history.offsets_.push_back(static_cast<uint32_t>(history.episodes_.size()));
  }
  return history;
}

namespace {

// Customer c's state at as_of <= history.known_at().
ChurnLabel LabelFromHistory(const Dataset& dataset, const ChurnHistory& history,
                            CustomerIndex c, UnixSeconds as_of) {
  ChurnLabel label;
  label.existed = ExistedAt(dataset, c, as_of);
  if (!label.existed) return label;
  label.last_activity = history.last_activity(c);
  for (const ChurnEpisode& e : history.episodes(c)) {
    if (e.end != kNoTime && e.end < as_of) ++label.reactivations;
  }
  const ChurnEpisode* e = history.At(c, as_of);
  if (e == nullptr) return label;
  label.churned = true;
  label.type = e->type;
  label.churn_time = e->start;
  label.detected_time = e->detected;
  label.reason = e->reason;
  label.rule = e->rule;
  return label;
}

}  // namespace

std::vector<ChurnLabel> ChurnHistory::Labels(const Dataset& dataset,
                                             UnixSeconds t) const {
  std::vector<ChurnLabel> out(num_customers());
  for (CustomerIndex c = 0; c < out.size(); ++c) {
    out[c] = LabelFromHistory(dataset, *this, c, t);
  }
  return out;
}

absl::StatusOr<std::vector<ChurnLabel>> ChurnLabeler::Label(
    const Dataset& dataset, UnixSeconds as_of, int threads) const {
  absl::StatusOr<ChurnHistory> history = History(dataset, as_of, threads);
  if (!history.ok()) return history.status();
  return history->Labels(dataset, as_of);
}

absl::StatusOr<std::vector<ChurnLabel>> ChurnLabeler::LabelAt(
    const Dataset& dataset, absl::Span<const CustomerIndex> customers,
    absl::Span<const UnixSeconds> as_of, int threads) const {
  if (customers.size() != as_of.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("customers and as_of differ in length: ", customers.size(),
                     " vs ", as_of.size()));
  }
  for (size_t i = 0; i < customers.size(); ++i) {
    if (customers[i] >= dataset.num_customers()) {
      return absl::InvalidArgumentError(
          absl::StrCat("customers[", i, "]: index ", customers[i],
                       " out of range; there are ", dataset.num_customers()));
    }
    if (absl::Status s = internal::CheckAsOfAfterData(dataset, as_of[i]);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("as_of[", i, "]: ", s.message()));
    }
  }
  absl::StatusOr<Impl::Bound> bound = impl_->Bind(dataset);
  if (!bound.ok()) return bound.status();
  std::vector<ChurnLabel> out(customers.size());
  internal::ParallelFor(out.size(), threads, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      // A one-customer history known at its own date.
      ChurnHistory h;
      h.known_at_ = as_of[i];
      h.offsets_.assign(customers[i] + 1, 0);
      h.last_activity_.assign(customers[i] + 1, kNoTime);
      h.episodes_ = impl_->Walk(dataset, customers[i], as_of[i], *bound,
                                &h.last_activity_[customers[i]]);
      h.offsets_.push_back(static_cast<uint32_t>(h.episodes_.size()));
      out[i] = LabelFromHistory(dataset, h, customers[i], as_of[i]);
    }
  });
  return out;
}

namespace {

void SetTime(UnixSeconds t, google::protobuf::Timestamp* out) {
  if (t != kNoTime) out->set_seconds(t);
}

}  // namespace

v1::LabelSet ToLabelSet(const Dataset& dataset,
                        absl::Span<const ChurnLabel> labels, UnixSeconds as_of,
                        const ChurnHistory* history) {
  v1::LabelSet out;
  out.mutable_as_of()->set_seconds(as_of);
  for (size_t c = 0; c < labels.size() && c < dataset.num_customers(); ++c) {
    const ChurnLabel& l = labels[c];
    if (!l.existed) continue;
    v1::CustomerLabel* m = out.add_labels();
    m->set_customer_id(
        std::string(dataset.customer_id(static_cast<CustomerIndex>(c))));
    m->set_churned(l.churned);
    m->set_type(l.type);
    if (l.churn_time != kNoTime) SetTime(l.churn_time, m->mutable_churn_time());
    m->set_reason(l.reason);
    m->set_rule(l.rule);
    if (l.last_activity != kNoTime) {
      SetTime(l.last_activity, m->mutable_last_activity());
    }
    if (l.detected_time != kNoTime) {
      SetTime(l.detected_time, m->mutable_detected());
    }
    m->set_reactivations(l.reactivations);
    if (history == nullptr) continue;
    for (const ChurnEpisode& e :
         history->episodes(static_cast<CustomerIndex>(c))) {
      if (e.start >= as_of) continue;
      v1::ChurnEpisode* p = m->add_episodes();
      p->set_type(e.type);
      SetTime(e.start, p->mutable_start());
      SetTime(e.detected, p->mutable_detected());
      if (e.end != kNoTime && e.end < as_of) SetTime(e.end, p->mutable_end());
      p->set_reason(e.reason);
      p->set_rule(e.rule);
    }
  }
  return out;
}

absl::StatusOr<v1::ChurnDefinition> DefaultChurnDefinition() {
  v1::ChurnDefinition def;
  if (absl::Status s = internal::ParseShippedConfig(
          internal::kDefaultLabelsTextproto, "configs/labels/default.textproto",
          &def);
      !s.ok()) {
    return s;
  }
  return def;
}

absl::StatusOr<TrainingPanel> BuildTrainingPanel(
    const Dataset& dataset, const FeatureEngine& features,
    const ChurnLabeler& labeler, absl::Span<const UnixSeconds> as_of_dates,
    int horizon_days, const ComputeOptions& options, PanelLabel label) {
  if (as_of_dates.empty()) {
    return absl::InvalidArgumentError("as_of_dates: empty");
  }
  if (horizon_days <= 0) {
    return absl::InvalidArgumentError("horizon_days: must be > 0");
  }
  for (size_t i = 1; i < as_of_dates.size(); ++i) {
    if (as_of_dates[i] <= as_of_dates[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("as_of_dates[", i, "]: not after the date before it"));
    }
  }
  const int64_t horizon = int64_t{horizon_days} * kDay;
  const UnixSeconds last_event = dataset.last_event_time();
  if (last_event == kNoTime) {
    return absl::InvalidArgumentError(
        "dataset: no events, so no churn can be labelled");
  }
  // The data must cover every horizon: a label past the last event would
  // call everyone retained.
  const UnixSeconds known_at = internal::NextMidnight(last_event);
  for (size_t i = 0; i < as_of_dates.size(); ++i) {
    if (as_of_dates[i] + horizon > known_at) {
      return absl::InvalidArgumentError(absl::StrCat(
          "as_of_dates[", i, "]: ", FormatTime(as_of_dates[i]), " + ",
          horizon_days, " days ends after the data set's last event (",
          FormatTime(last_event), "); the last date allowed is ",
          FormatTime(known_at - horizon)));
    }
  }
  absl::StatusOr<ChurnHistory> history =
      labeler.History(dataset, known_at, options.threads);
  if (!history.ok()) return history.status();
  TrainingPanel panel;
  panel.features.columns = features.names();
  for (UnixSeconds t : as_of_dates) {
    const UnixSeconds end = t + horizon;
    std::optional<ChurnHistory> then;  // as known at the horizon's end
    if (label == PanelLabel::kChurnedAtEnd) {
      absl::StatusOr<ChurnHistory> h =
          labeler.History(dataset, end, options.threads);
      if (!h.ok()) return h.status();
      then = *std::move(h);
    }
    std::vector<CustomerIndex> rows;
    for (CustomerIndex c = 0; c < dataset.num_customers(); ++c) {
      if (ExistedAt(dataset, c, t) && history->At(c, t) == nullptr) {
        rows.push_back(c);
      }
    }
    absl::StatusOr<FeatureMatrix> m =
        features.ComputeFor(dataset, rows, t, options);
    if (!m.ok()) return m.status();
    FeatureMatrix& f = panel.features;
    f.customer_ids.insert(f.customer_ids.end(), m->customer_ids.begin(),
                          m->customer_ids.end());
    f.as_of.insert(f.as_of.end(), m->as_of.begin(), m->as_of.end());
    f.values.insert(f.values.end(), m->values.begin(), m->values.end());
    for (CustomerIndex c : rows) {
      const ChurnEpisode* positive = nullptr;
      if (label == PanelLabel::kChurnedAtEnd) {
        positive = then->At(c, end);
      } else {
        for (const ChurnEpisode& e : history->episodes(c)) {
          if (e.start >= t && e.start < end) {
            positive = &e;
            break;
          }
        }
      }
      panel.labels.push_back(positive != nullptr ? 1 : 0);
      panel.churn_types.push_back(
          positive != nullptr ? positive->type : v1::CHURN_TYPE_UNSPECIFIED);
    }
  }
  return panel;
}

}  // namespace churnkit
