#include "churnkit/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"
#include "internal/event_filter.h"
#include "internal/parallel.h"

namespace churnkit {
namespace {

using internal::PathError;

using internal::BoundFilter;
using internal::CompiledFilter;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kDay = 86400;

// ---- Compiled form -------------------------------------------------------

enum class OpType {
  kWindow,
  kDaysSince,
  kTrend,
  kBaseline,
  kInterval,
  kRepeatedKeys,
  kContactsLeft,
  kRenewalSilence,
  kAttribute,
  kDerived
};

struct Op {
  OpType type;
  int filter = -1;
  v1::Aggregate aggregate = v1::COUNT;
  int64_t window = 0;         // seconds
  int64_t offset = 0;         // seconds
  int64_t second_window = 0;  // baseline / silence / lookback, seconds
  int periods = 0;
  double min_drop = 0;
  v1::Trend::Mode trend_mode = v1::Trend::CUMULATIVE;
  int min_count = 0;
  bool flag = false;  // first / closed_only / decision makers only
  v1::Attribute attribute;
  v1::Derived::Op derived_op = v1::Derived::OP_UNSPECIFIED;
  std::vector<int> inputs;
  double constant = 0;
};

// Per-thread scratch, reused across customers (no allocation in the loop
// once warmed up).
struct Scratch {
  std::vector<StringId> ids;
  std::vector<double> window_values;
};

// ---- Evaluation ----------------------------------------------------------

struct CustomerView {
  const Dataset* ds;
  CustomerIndex c;
  UnixSeconds as_of;
  size_t begin;  // first event of the customer
  size_t end;    // one past the last event before as_of

  // First event index at or after time t, within [begin, end).
  size_t LowerBound(UnixSeconds t) const {
    return ds->EventAtOrAfter(c, t, end);
  }
};

double Aggregate(const CustomerView& v, const BoundFilter& f, v1::Aggregate agg,
                 size_t lo, size_t hi, Scratch* scratch) {
  const EventTable& ev = v.ds->events();
  double sum = 0, best = kNaN, last = kNaN;
  int64_t n = 0;
  if (agg == v1::DISTINCT_KEYS) scratch->ids.clear();
  for (size_t i = lo; i < hi; ++i) {
    if (!f.Match(ev, i)) continue;
    ++n;
    switch (agg) {
      case v1::SUM_AMOUNT:
      case v1::MEAN_AMOUNT:
        sum += ev.amount[i];
        break;
      case v1::SUM_VALUE:
      case v1::MEAN_VALUE:
        sum += ev.value[i];
        break;
      case v1::MAX_AMOUNT:
        best = std::isnan(best) ? ev.amount[i] : std::max(best, ev.amount[i]);
        break;
      case v1::MAX_VALUE:
        best = std::isnan(best) ? ev.value[i] : std::max(best, ev.value[i]);
        break;
      case v1::MIN_VALUE:
        best = std::isnan(best) ? ev.value[i] : std::min(best, ev.value[i]);
        break;
      case v1::LAST_VALUE:
        last = ev.value[i];
        break;
      case v1::DISTINCT_KEYS:
        if (ev.key[i] != 0) scratch->ids.push_back(ev.key[i]);
        break;
      default:
        break;
    }
  }
  switch (agg) {
    case v1::COUNT:
      return static_cast<double>(n);
    case v1::SUM_AMOUNT:
    case v1::SUM_VALUE:
      return sum;
    case v1::MEAN_AMOUNT:
    case v1::MEAN_VALUE:
      return n == 0 ? kNaN : sum / n;
    case v1::MAX_AMOUNT:
    case v1::MAX_VALUE:
    case v1::MIN_VALUE:
      return best;
    case v1::LAST_VALUE:
      return last;
    case v1::DISTINCT_KEYS: {
      auto& ids = scratch->ids;
      std::sort(ids.begin(), ids.end());
      return static_cast<double>(std::unique(ids.begin(), ids.end()) -
                                 ids.begin());
    }
    default:
      return kNaN;
  }
}

// Aggregate over [as_of - end_ago - length, as_of - end_ago).
double WindowValue(const CustomerView& v, const BoundFilter& f,
                   v1::Aggregate agg, int64_t length, int64_t end_ago,
                   Scratch* scratch) {
  const size_t hi = v.LowerBound(v.as_of - end_ago);
  const size_t lo = v.LowerBound(v.as_of - end_ago - length);
  return Aggregate(v, f, agg, lo, hi, scratch);
}

bool IsOpenContract(const ContractTable& k, size_t i, UnixSeconds t) {
  return k.start_time[i] <= t && t < k.end_time[i];
}

double EvalAttribute(const CustomerView& v, const v1::Attribute& a) {
  const Dataset& ds = *v.ds;
  const CustomerTable& ct = ds.customers();
  const CustomerIndex c = v.c;
  auto is = [&](StringId id) { return ds.str(id) == a.equals() ? 1.0 : 0.0; };
  const ContractTable& k = ds.contracts();
  const size_t kb = k.offsets[c], ke = k.offsets[c + 1];
  // The open contract that started last (contracts are sorted by start).
  auto open_contract = [&]() -> std::optional<size_t> {
    for (size_t i = ke; i > kb; --i) {
      if (IsOpenContract(k, i - 1, v.as_of)) return i - 1;
    }
    return std::nullopt;
  };
  switch (a.field()) {
    case v1::Attribute::ANNUAL_VALUE:
      return ct.annual_value[c];
    case v1::Attribute::TENURE_DAYS:
      return ct.signup_time[c] == kNoTime
                 ? kNaN
                 : static_cast<double>(v.as_of - ct.signup_time[c]) / kDay;
    case v1::Attribute::DAYS_TO_RENEWAL: {
      double best = kNaN;
      for (size_t i = kb; i < ke; ++i) {
        if (k.start_time[i] >= v.as_of || k.renewal_time[i] < v.as_of) continue;
        const double d =
            static_cast<double>(k.renewal_time[i] - v.as_of) / kDay;
        if (std::isnan(best) || d < best) best = d;
      }
      return best;
    }
    case v1::Attribute::CONTRACT_VALUE: {
      std::optional<size_t> i = open_contract();
      return i ? k.value[*i] : kNaN;
    }
    case v1::Attribute::CONTRACT_DAYS: {
      std::optional<size_t> i = open_contract();
      return i ? static_cast<double>(k.end_time[*i] - k.start_time[*i]) / kDay
               : kNaN;
    }
    case v1::Attribute::CONTRACT_LENGTH_CHANGE: {
      std::optional<size_t> i = open_contract();
      if (!i || *i == kb) return kNaN;
      const double prev = k.end_time[*i - 1] - k.start_time[*i - 1];
      const double cur = k.end_time[*i] - k.start_time[*i];
      return prev <= 0 ? kNaN : cur / prev - 1;
    }
    case v1::Attribute::TIER_IS:
      return is(ct.tier[c]);
    case v1::Attribute::INDUSTRY_IS:
      return is(ct.industry[c]);
    case v1::Attribute::REGION_IS:
      return is(ct.region[c]);
    case v1::Attribute::SIZE_IS:
      return is(ct.size[c]);
    case v1::Attribute::PRODUCT_IS:
      return is(ct.product[c]);
    case v1::Attribute::NUMERIC_ATTRIBUTE:
    case v1::Attribute::ATTRIBUTE_IS:
      for (uint32_t i = ct.attr_offsets[c]; i < ct.attr_offsets[c + 1]; ++i) {
        if (ds.str(ct.attr_key[i]) != a.key()) continue;
        const absl::string_view text = ds.str(ct.attr_value[i]);
        if (a.field() == v1::Attribute::ATTRIBUTE_IS) {
          return text == a.equals() ? 1.0 : 0.0;
        }
        double x;
        return absl::SimpleAtod(text, &x) ? x : kNaN;
      }
      return a.field() == v1::Attribute::ATTRIBUTE_IS ? 0.0 : kNaN;
    case v1::Attribute::CONTACT_COUNT: {
      const ContactTable& p = ds.contacts();
      double n = 0;
      for (size_t i = p.offsets[c]; i < p.offsets[c + 1]; ++i) {
        const bool added =
            p.added_time[i] == kNoTime || p.added_time[i] < v.as_of;
        const bool present =
            p.left_time[i] == kNoTime || p.left_time[i] >= v.as_of;
        n += added && present;
      }
      return n;
    }
    default:
      return kNaN;
  }
}

double EvalDerived(const Op& op, const double* row) {
  const double a = row[op.inputs[0]];
  const double b = op.inputs.size() > 1 ? row[op.inputs[1]] : op.constant;
  auto truthy = [](double x) { return !std::isnan(x) && x != 0; };
  switch (op.derived_op) {
    case v1::Derived::RATIO:
      return b == 0 ? kNaN : a / b;
    case v1::Derived::DIFFERENCE:
      return a - b;
    case v1::Derived::SUM:
      return a + b;
    case v1::Derived::PRODUCT:
      return a * b;
    case v1::Derived::GREATER:
      return a > b ? 1 : 0;
    case v1::Derived::LESS:
      return a < b ? 1 : 0;
    case v1::Derived::ALL:
    case v1::Derived::ANY:
    case v1::Derived::COUNT_NONZERO: {
      int n = 0;
      for (int i : op.inputs) n += truthy(row[i]);
      if (op.derived_op == v1::Derived::COUNT_NONZERO) return n;
      if (op.derived_op == v1::Derived::ANY) return n > 0 ? 1 : 0;
      return n == static_cast<int>(op.inputs.size()) ? 1 : 0;
    }
    default:
      return kNaN;
  }
}

}  // namespace

// ---- Engine ----------------------------------------------------------------

struct FeatureEngine::Impl {
  v1::FeatureSet config;
  std::vector<std::string> names;
  std::vector<CompiledFilter> filters;
  std::vector<Op> ops;             // per feature, in declaration order
  std::vector<int> derived_order;  // derived features, inputs first

  double Eval(const Op& op, const CustomerView& v,
              const std::vector<BoundFilter>& filters, Scratch* s) const;
  void ComputeRow(const Dataset& ds, CustomerIndex c, UnixSeconds as_of,
                  const std::vector<BoundFilter>& filters, Scratch* s,
                  double* row) const;
};

double FeatureEngine::Impl::Eval(const Op& op, const CustomerView& v,
                                 const std::vector<BoundFilter>& filters,
                                 Scratch* s) const {
  const EventTable& ev = v.ds->events();
  const BoundFilter* f = op.filter >= 0 ? &filters[op.filter] : nullptr;
  switch (op.type) {
    case OpType::kWindow:
      return WindowValue(v, *f, op.aggregate, op.window, op.offset, s);
    case OpType::kDaysSince: {
      if (op.flag) {
        for (size_t i = v.begin; i < v.end; ++i) {
          if (f->Match(ev, i)) {
            return static_cast<double>(v.as_of - ev.time[i]) / kDay;
          }
        }
      } else {
        for (size_t i = v.end; i > v.begin; --i) {
          if (f->Match(ev, i - 1)) {
            return static_cast<double>(v.as_of - ev.time[i - 1]) / kDay;
          }
        }
      }
      return kNaN;
    }
    case OpType::kTrend: {
      // Windows oldest (k = periods) to latest (k = 0).
      double prev = WindowValue(v, *f, op.aggregate, op.window,
                                op.periods * op.window, s);
      const double reference = prev;
      bool each = true;
      for (int k = op.periods - 1; k >= 0; --k) {
        const double cur =
            WindowValue(v, *f, op.aggregate, op.window, k * op.window, s);
        if (!(cur < prev && cur <= (1 - op.min_drop) * prev)) each = false;
        prev = cur;
      }
      switch (op.trend_mode) {
        case v1::Trend::EACH_PERIOD:
          return each ? 1 : 0;
        case v1::Trend::DROP:
          return reference == 0 || std::isnan(reference) ? kNaN
                                                         : 1 - prev / reference;
        default:
          return prev < reference && prev <= (1 - op.min_drop) * reference ? 1
                                                                           : 0;
      }
    }
    case OpType::kBaseline: {
      const double recent =
          WindowValue(v, *f, op.aggregate, op.window, 0, s) / op.window;
      const double base =
          WindowValue(v, *f, op.aggregate, op.second_window, op.window, s) /
          op.second_window;
      return base == 0 ? kNaN : recent / base - 1;
    }
    case OpType::kInterval: {
      const size_t lo = v.LowerBound(v.as_of - op.second_window);
      int64_t n = 0;
      UnixSeconds first = 0, last = 0, before_last = 0;
      for (size_t i = lo; i < v.end; ++i) {
        if (!f->Match(ev, i)) continue;
        if (n == 0) first = ev.time[i];
        before_last = last;
        last = ev.time[i];
        ++n;
      }
      if (n < op.min_count) return kNaN;
      double latest, earlier;
      if (op.flag) {  // closed intervals only
        if (n < 3) return kNaN;
        latest = static_cast<double>(last - before_last);
        earlier = static_cast<double>(before_last - first) / (n - 2);
      } else {
        if (n < 2) return kNaN;
        latest = static_cast<double>(v.as_of - last);
        earlier = static_cast<double>(last - first) / (n - 1);
      }
      return earlier == 0 ? kNaN : latest / earlier - 1;
    }
    case OpType::kRepeatedKeys: {
      const size_t lo = v.LowerBound(v.as_of - op.window);
      s->ids.clear();
      for (size_t i = lo; i < v.end; ++i) {
        if (ev.key[i] != 0 && f->Match(ev, i)) s->ids.push_back(ev.key[i]);
      }
      std::sort(s->ids.begin(), s->ids.end());
      int repeated = 0;
      for (size_t i = 0; i < s->ids.size();) {
        size_t j = i;
        while (j < s->ids.size() && s->ids[j] == s->ids[i]) ++j;
        repeated += static_cast<int>(j - i) >= op.min_count;
        i = j;
      }
      return repeated;
    }
    case OpType::kContactsLeft: {
      const Dataset& ds = *v.ds;
      const ContactTable& p = ds.contacts();
      const UnixSeconds lo_t = v.as_of - op.window;
      s->ids.clear();
      for (size_t i = p.offsets[v.c]; i < p.offsets[v.c + 1]; ++i) {
        if (p.left_time[i] == kNoTime || p.left_time[i] < lo_t ||
            p.left_time[i] >= v.as_of) {
          continue;
        }
        if (op.flag && !p.decision_maker[i]) continue;
        s->ids.push_back(p.id[i]);
      }
      int without_id = 0;  // CONTACT_LEFT events naming no contact
      for (size_t i = v.LowerBound(lo_t); i < v.end; ++i) {
        if (ev.kind[i] != v1::CONTACT_CHANGE ||
            ev.subtype[i] != v1::CONTACT_LEFT) {
          continue;
        }
        if (op.flag && !(ev.flags[i] & kFlagDecisionMaker)) continue;
        if (ev.key[i] == 0) {
          ++without_id;
        } else {
          s->ids.push_back(ev.key[i]);
        }
      }
      std::sort(s->ids.begin(), s->ids.end());
      return static_cast<double>(
          without_id +
          (std::unique(s->ids.begin(), s->ids.end()) - s->ids.begin()));
    }
    case OpType::kRenewalSilence: {
      const ContractTable& k = v.ds->contracts();
      bool open = false, renewal_due = false;
      for (size_t i = k.offsets[v.c]; i < k.offsets[v.c + 1]; ++i) {
        if (!IsOpenContract(k, i, v.as_of)) continue;
        open = true;
        if (k.renewal_time[i] >= v.as_of &&
            k.renewal_time[i] < v.as_of + op.window) {
          renewal_due = true;
        }
      }
      if (!open) return kNaN;
      if (!renewal_due) return 0;
      const size_t lo = v.LowerBound(v.as_of - op.second_window);
      for (size_t i = lo; i < v.end; ++i) {
        if (f->Match(ev, i)) return 0;
      }
      return 1;
    }
    case OpType::kAttribute:
      return EvalAttribute(v, op.attribute);
    case OpType::kDerived:
      return kNaN;  // evaluated after the primaries, see ComputeRow
  }
  return kNaN;
}

void FeatureEngine::Impl::ComputeRow(const Dataset& ds, CustomerIndex c,
                                     UnixSeconds as_of,
                                     const std::vector<BoundFilter>& filters,
                                     Scratch* s, double* row) const {
  CustomerView v{&ds, c, as_of, ds.event_begin(c), ds.event_end(c)};
  v.end = v.LowerBound(as_of);
  for (size_t j = 0; j < ops.size(); ++j) {
    if (ops[j].type != OpType::kDerived) row[j] = Eval(ops[j], v, filters, s);
  }
  for (int j : derived_order) row[j] = EvalDerived(ops[j], row);
}

namespace {

// Validation helpers: every error names its config path.
absl::Status CheckPositive(int64_t v, absl::string_view path) {
  if (v <= 0) return PathError(path, absl::StrCat("must be > 0 (is ", v, ")"));
  return absl::OkStatus();
}

absl::Status CheckAggregate(v1::Aggregate a, absl::string_view path) {
  if (a == v1::AGGREGATE_UNSPECIFIED || !v1::Aggregate_IsValid(a)) {
    return PathError(path, absl::StrCat("unknown or missing aggregate ", a));
  }
  return absl::OkStatus();
}

bool ValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

FeatureEngine::FeatureEngine(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
FeatureEngine::FeatureEngine(FeatureEngine&&) noexcept = default;
FeatureEngine& FeatureEngine::operator=(FeatureEngine&&) noexcept = default;
FeatureEngine::~FeatureEngine() = default;

const std::vector<std::string>& FeatureEngine::names() const {
  return impl_->names;
}
const v1::FeatureSet& FeatureEngine::config() const { return impl_->config; }

absl::StatusOr<FeatureEngine> FeatureEngine::Create(
    const v1::FeatureSet& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  absl::flat_hash_map<std::string, int> index;
  for (int j = 0; j < config.features_size(); ++j) {
    const v1::FeatureSpec& spec = config.features(j);
    const std::string path = absl::StrCat("features[", j, "]");
    if (!ValidName(spec.name())) {
      return PathError(
          absl::StrCat(path, ".name"),
          absl::StrCat("'", spec.name(), "' is not a name of [a-z0-9_]+"));
    }
    if (!index.emplace(spec.name(), j).second) {
      return PathError(absl::StrCat(path, ".name"),
                       absl::StrCat("duplicate feature '", spec.name(), "'"));
    }
    impl->names.push_back(spec.name());
  }
  for (int j = 0; j < config.features_size(); ++j) {
    const v1::FeatureSpec& spec = config.features(j);
    if (spec.change_feature().empty()) continue;
    const std::string path = absl::StrCat("features[", j, "].change_feature");
    if (spec.change_feature() == spec.name()) {
      return PathError(
          path, absl::StrCat("'", spec.name(), "' names the feature itself"));
    }
    if (!index.contains(spec.change_feature())) {
      return PathError(path, absl::StrCat("no feature '", spec.change_feature(),
                                          "' in the set"));
    }
  }

  auto add_filter = [&](const v1::EventFilter& f,
                        const std::string& path) -> absl::StatusOr<int> {
    absl::StatusOr<CompiledFilter> compiled = internal::CompileFilter(f, path);
    if (!compiled.ok()) return compiled.status();
    impl->filters.push_back(std::move(*compiled));
    return static_cast<int>(impl->filters.size() - 1);
  };

  for (int j = 0; j < config.features_size(); ++j) {
    const v1::FeatureSpec& spec = config.features(j);
    const std::string path = absl::StrCat("features[", j, "]");
    Op op;
    absl::Status s;
    auto filter = [&](const v1::EventFilter& f, const std::string& p) {
      absl::StatusOr<int> id = add_filter(f, p);
      if (!id.ok()) {
        s = id.status();
        return false;
      }
      op.filter = *id;
      return true;
    };
    switch (spec.op_case()) {
      case v1::FeatureSpec::kWindow: {
        const auto& w = spec.window();
        const std::string p = path + ".window";
        op.type = OpType::kWindow;
        op.aggregate = w.aggregate();
        op.window = int64_t{w.window_days()} * kDay;
        op.offset = int64_t{w.offset_days()} * kDay;
        if (!filter(w.filter(), p + ".filter")) return s;
        if (s = CheckAggregate(w.aggregate(), p + ".aggregate"); !s.ok())
          return s;
        if (s = CheckPositive(w.window_days(), p + ".window_days"); !s.ok())
          return s;
        if (w.offset_days() < 0)
          return PathError(p + ".offset_days", "must be >= 0");
        break;
      }
      case v1::FeatureSpec::kDaysSince:
        op.type = OpType::kDaysSince;
        op.flag = spec.days_since().first();
        if (!filter(spec.days_since().filter(), path + ".days_since.filter")) {
          return s;
        }
        break;
      case v1::FeatureSpec::kTrend: {
        const auto& t = spec.trend();
        const std::string p = path + ".trend";
        op.type = OpType::kTrend;
        op.aggregate = t.aggregate();
        op.window = int64_t{t.period_days()} * kDay;
        op.periods = t.periods();
        op.min_drop = t.min_drop();
        op.trend_mode = t.mode() == v1::Trend::MODE_UNSPECIFIED
                            ? v1::Trend::CUMULATIVE
                            : t.mode();
        if (!filter(t.filter(), p + ".filter")) return s;
        if (s = CheckAggregate(t.aggregate(), p + ".aggregate"); !s.ok())
          return s;
        if (s = CheckPositive(t.period_days(), p + ".period_days"); !s.ok())
          return s;
        if (s = CheckPositive(t.periods(), p + ".periods"); !s.ok()) return s;
        if (!(t.min_drop() >= 0 && t.min_drop() < 1)) {
          return PathError(p + ".min_drop", "must be in [0, 1)");
        }
        if (!v1::Trend::Mode_IsValid(t.mode())) {
          return PathError(p + ".mode", "unknown mode");
        }
        break;
      }
      case v1::FeatureSpec::kBaselineChange: {
        const auto& b = spec.baseline_change();
        const std::string p = path + ".baseline_change";
        op.type = OpType::kBaseline;
        op.aggregate = b.aggregate();
        op.window = int64_t{b.recent_days()} * kDay;
        op.second_window = int64_t{b.baseline_days()} * kDay;
        if (!filter(b.filter(), p + ".filter")) return s;
        if (b.aggregate() != v1::COUNT && b.aggregate() != v1::SUM_AMOUNT &&
            b.aggregate() != v1::SUM_VALUE) {
          return PathError(p + ".aggregate",
                           "must be COUNT, SUM_AMOUNT or SUM_VALUE");
        }
        if (s = CheckPositive(b.recent_days(), p + ".recent_days"); !s.ok())
          return s;
        if (s = CheckPositive(b.baseline_days(), p + ".baseline_days");
            !s.ok()) {
          return s;
        }
        break;
      }
      case v1::FeatureSpec::kIntervalChange: {
        const auto& iv = spec.interval_change();
        const std::string p = path + ".interval_change";
        op.type = OpType::kInterval;
        op.second_window = int64_t{iv.lookback_days()} * kDay;
        op.min_count = iv.min_events() == 0 ? 3 : iv.min_events();
        op.flag = iv.closed_only();
        if (!filter(iv.filter(), p + ".filter")) return s;
        if (s = CheckPositive(iv.lookback_days(), p + ".lookback_days");
            !s.ok()) {
          return s;
        }
        if (iv.min_events() < 0)
          return PathError(p + ".min_events", "must be >= 0");
        break;
      }
      case v1::FeatureSpec::kRepeatedKeys: {
        const auto& r = spec.repeated_keys();
        const std::string p = path + ".repeated_keys";
        op.type = OpType::kRepeatedKeys;
        op.window = int64_t{r.window_days()} * kDay;
        op.min_count = r.min_repeats();
        if (!filter(r.filter(), p + ".filter")) return s;
        if (s = CheckPositive(r.window_days(), p + ".window_days"); !s.ok())
          return s;
        if (r.min_repeats() < 2)
          return PathError(p + ".min_repeats", "must be >= 2");
        break;
      }
      case v1::FeatureSpec::kContactsLeft: {
        const auto& c = spec.contacts_left();
        op.type = OpType::kContactsLeft;
        op.window = int64_t{c.window_days()} * kDay;
        op.flag = c.decision_makers_only();
        if (s = CheckPositive(c.window_days(),
                              path + ".contacts_left.window_days");
            !s.ok()) {
          return s;
        }
        break;
      }
      case v1::FeatureSpec::kRenewalSilence: {
        const auto& r = spec.renewal_silence();
        const std::string p = path + ".renewal_silence";
        op.type = OpType::kRenewalSilence;
        op.window = int64_t{r.within_days()} * kDay;
        op.second_window = int64_t{r.silence_days()} * kDay;
        v1::EventFilter contact = r.contact_filter();
        if (contact.kinds_size() == 0 && contact.subtypes_size() == 0 &&
            contact.keys_size() == 0 && contact.flags_size() == 0) {
          contact.add_kinds(v1::INTERACTION);
        }
        if (!filter(contact, p + ".contact_filter")) return s;
        if (s = CheckPositive(r.within_days(), p + ".within_days"); !s.ok())
          return s;
        if (s = CheckPositive(r.silence_days(), p + ".silence_days"); !s.ok()) {
          return s;
        }
        break;
      }
      case v1::FeatureSpec::kAttribute: {
        const auto& a = spec.attribute();
        const std::string p = path + ".attribute";
        op.type = OpType::kAttribute;
        op.attribute = a;
        if (a.field() == v1::Attribute::FIELD_UNSPECIFIED ||
            !v1::Attribute::Field_IsValid(a.field())) {
          return PathError(p + ".field", "unknown or missing field");
        }
        const bool needs_key = a.field() == v1::Attribute::NUMERIC_ATTRIBUTE ||
                               a.field() == v1::Attribute::ATTRIBUTE_IS;
        if (needs_key && a.key().empty())
          return PathError(p + ".key", "required");
        break;
      }
      case v1::FeatureSpec::kDerived: {
        const auto& d = spec.derived();
        const std::string p = path + ".derived";
        op.type = OpType::kDerived;
        op.derived_op = d.op();
        op.constant = d.constant();
        if (d.op() == v1::Derived::OP_UNSPECIFIED ||
            !v1::Derived::Op_IsValid(d.op())) {
          return PathError(p + ".op", "unknown or missing op");
        }
        if (d.inputs_size() == 0) return PathError(p + ".inputs", "empty");
        const bool binary = d.op() < v1::Derived::ALL;
        if (binary && d.inputs_size() > 2) {
          return PathError(p + ".inputs", "takes one or two inputs");
        }
        for (int i = 0; i < d.inputs_size(); ++i) {
          auto it = index.find(d.inputs(i));
          if (it == index.end()) {
            return PathError(
                absl::StrCat(p, ".inputs[", i, "]"),
                absl::StrCat("unknown feature '", d.inputs(i), "'"));
          }
          op.inputs.push_back(it->second);
        }
        break;
      }
      default:
        return PathError(
            path, absl::StrCat("feature '", spec.name(), "' has no operator"));
    }
    impl->ops.push_back(std::move(op));
  }

  // Order derived features so inputs come first; a cycle is an error.
  std::vector<int> state(impl->ops.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<std::pair<int, size_t>> stack;
  for (size_t root = 0; root < impl->ops.size(); ++root) {
    if (impl->ops[root].type != OpType::kDerived || state[root] == 2) continue;
    stack.emplace_back(root, 0);
    state[root] = 1;
    while (!stack.empty()) {
      auto& [j, next] = stack.back();
      const Op& op = impl->ops[j];
      if (next < op.inputs.size()) {
        const int in = op.inputs[next++];
        if (impl->ops[in].type != OpType::kDerived || state[in] == 2) continue;
        if (state[in] == 1) {
          return PathError(
              absl::StrCat("features[", in, "].derived.inputs"),
              absl::StrCat("cycle through '", impl->names[in], "'"));
        }
        state[in] = 1;
        stack.emplace_back(in, 0);
      } else {
        state[j] = 2;
        impl->derived_order.push_back(j);
        stack.pop_back();
      }
    }
  }
  return FeatureEngine(std::move(impl));
}

absl::StatusOr<FeatureMatrix> FeatureEngine::Compute(
    const Dataset& dataset, UnixSeconds as_of,
    const ComputeOptions& options) const {
  std::vector<CustomerIndex> customers;
  if (options.include_future_customers) {
    customers.resize(dataset.num_customers());
    for (CustomerIndex c = 0; c < customers.size(); ++c) customers[c] = c;
  } else {
    customers = CustomersAt(dataset, as_of);
  }
  return ComputeFor(dataset, customers, as_of, options);
}

std::vector<CustomerIndex> CustomersAt(const Dataset& dataset,
                                       UnixSeconds as_of) {
  std::vector<CustomerIndex> customers;
  customers.reserve(dataset.num_customers());
  const auto& signup = dataset.customers().signup_time;
  for (CustomerIndex c = 0; c < dataset.num_customers(); ++c) {
    if (signup[c] == kNoTime || signup[c] < as_of) customers.push_back(c);
  }
  return customers;
}

absl::StatusOr<FeatureMatrix> FeatureEngine::ComputeFor(
    const Dataset& dataset, absl::Span<const CustomerIndex> customers,
    UnixSeconds as_of, const ComputeOptions& options) const {
  FeatureMatrix out;
  if (absl::Status s = ComputeFor(dataset, customers, as_of, options, &out);
      !s.ok()) {
    return s;
  }
  return out;
}

absl::Status FeatureEngine::ComputeFor(
    const Dataset& dataset, absl::Span<const CustomerIndex> customers,
    UnixSeconds as_of, const ComputeOptions& options,
    FeatureMatrix* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("out: null");
  if (absl::Status s = internal::CheckAsOfAfterData(dataset, as_of); !s.ok()) {
    return s;
  }
  if (options.threads < 0) {
    return absl::InvalidArgumentError("options.threads: must be >= 0");
  }
  for (size_t i = 0; i < customers.size(); ++i) {
    if (customers[i] >= dataset.num_customers()) {
      return absl::OutOfRangeError(
          absl::StrCat("customers[", i, "]: index ", customers[i],
                       " >= number of customers ", dataset.num_customers()));
    }
  }
  const Impl& m = *impl_;
  // Each thread keeps its last binding: one customer at a time is a few
  // microseconds of work, and a fresh binding per call was a large
  // allocation (which also made malloc consolidate its free lists).
  // Workers reach it through `filters`, not by its thread-local name.
  thread_local std::vector<BoundFilter> bound;
  internal::BindFilters(m.filters, dataset, &bound);
  const std::vector<BoundFilter>& filters = bound;

  // Assigned element by element, so strings keep their capacity.
  out->columns = m.names;
  const size_t rows = customers.size(), cols = m.names.size();
  out->customer_ids.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const absl::string_view id = dataset.customer_id(customers[r]);
    out->customer_ids[r].assign(id.data(), id.size());
  }
  out->as_of.assign(rows, as_of);
  out->values.assign(rows * cols, 0.0);

  internal::ParallelFor(rows, options.threads, [&](size_t from, size_t to) {
    Scratch scratch;
    for (size_t r = from; r < to; ++r) {
      m.ComputeRow(dataset, customers[r], as_of, filters, &scratch,
                   out->values.data() + r * cols);
    }
  });
  return absl::OkStatus();
}

std::optional<size_t> FeatureMatrix::ColumnIndex(absl::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  return std::nullopt;
}

absl::StatusOr<v1::FeatureSet> DefaultFeatureSet() {
  v1::FeatureSet set;
  if (absl::Status s = internal::ParseShippedConfig(
          internal::kDefaultFeaturesTextproto,
          "configs/features/default.textproto", &set);
      !s.ok()) {
    return s;
  }
  return set;
}

}  // namespace churnkit
