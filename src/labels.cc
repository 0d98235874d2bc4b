#include "churnkit/labels.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"
#include "internal/event_filter.h"
#include "internal/parallel.h"

namespace churnkit {
namespace {

using internal::PathError;

using internal::BoundFilter;
using internal::CompiledFilter;

constexpr int64_t kDay = 86400;

struct Selector {
  std::vector<std::string> industries, tiers;
  double min_annual_value = 0;

  bool Matches(const Dataset& ds, CustomerIndex c) const {
    const CustomerTable& t = ds.customers();
    auto in = [&](const std::vector<std::string>& list, StringId id) {
      if (list.empty()) return true;
      const absl::string_view v = ds.str(id);
      return std::find(list.begin(), list.end(), v) != list.end();
    };
    return in(industries, t.industry[c]) && in(tiers, t.tier[c]) &&
           (min_annual_value <= 0 || t.annual_value[c] > min_annual_value);
  }
};

Selector MakeSelector(const v1::CustomerSelector& s) {
  Selector out;
  out.industries.assign(s.industries().begin(), s.industries().end());
  out.tiers.assign(s.tiers().begin(), s.tiers().end());
  out.min_annual_value = s.min_annual_value();
  return out;
}

struct PassiveRule {
  std::string name;
  Selector selector;
  int filter;
  int64_t window;
};

struct HiddenRule {
  std::string name;
  Selector selector;
  int filter;
  bool spend;  // SUM_AMOUNT, else COUNT
  int64_t recent, baseline;
  double min_drop;
  int min_baseline_events;
};

}  // namespace

struct ChurnLabeler::Impl {
  v1::ChurnDefinition def;
  std::vector<CompiledFilter> filters;
  std::vector<int> active;  // filter ids
  std::vector<PassiveRule> passive;
  std::vector<HiddenRule> hidden;

  ChurnLabel LabelOne(const Dataset& ds, CustomerIndex c, UnixSeconds as_of,
                      const std::vector<BoundFilter>& f) const;
};

ChurnLabel ChurnLabeler::Impl::LabelOne(
    const Dataset& ds, CustomerIndex c, UnixSeconds as_of,
    const std::vector<BoundFilter>& f) const {
  ChurnLabel label;
  const EventTable& ev = ds.events();
  const UnixSeconds signup = ds.customers().signup_time[c];
  if (signup != kNoTime && signup >= as_of) return label;
  const size_t begin = ds.event_begin(c);
  const size_t end =
      std::lower_bound(ev.time.begin() + begin,
                       ev.time.begin() + ds.event_end(c), as_of) -
      ev.time.begin();

  for (size_t i = begin; i < end; ++i) {
    for (int a : active) {
      if (f[a].Match(ev, i)) {
        label.churned = true;
        label.type = v1::ACTIVE;
        label.churn_time = ev.time[i];
        // Only a cancellation's key is a reason (a non-renewal's key is
        // the contract id); a non-renewal followed by a cancellation takes
        // the cancellation's reason.
        for (size_t j = i; j < end && label.reason.empty(); ++j) {
          if (ev.kind[j] == v1::CANCELLATION) {
            label.reason = std::string(ds.str(ev.key[j]));
          }
        }
        label.rule = "active";
        return label;
      }
    }
  }
  for (const PassiveRule& rule : passive) {
    if (!rule.selector.Matches(ds, c)) continue;
    UnixSeconds last = kNoTime;
    for (size_t i = end; i > begin; --i) {
      if (f[rule.filter].Match(ev, i - 1)) {
        last = ev.time[i - 1];
        break;
      }
    }
    label.last_activity = last;
    const UnixSeconds from = last != kNoTime ? last : signup;
    if (from != kNoTime && as_of - from >= rule.window) {
      label.churned = true;
      label.type = v1::PASSIVE;
      label.churn_time = from + rule.window;
      label.rule = rule.name;
      return label;
    }
    break;  // the first applicable rule decides
  }
  for (const HiddenRule& rule : hidden) {
    if (!rule.selector.Matches(ds, c)) continue;
    const auto lower = [&](UnixSeconds t) {
      return std::lower_bound(ev.time.begin() + begin, ev.time.begin() + end,
                              t) -
             ev.time.begin();
    };
    const size_t mid = lower(as_of - rule.recent);
    const size_t lo = lower(as_of - rule.recent - rule.baseline);
    double recent = 0, base = 0;
    int base_events = 0;
    for (size_t i = lo; i < end; ++i) {
      if (!f[rule.filter].Match(ev, i)) continue;
      const double x = rule.spend ? ev.amount[i] : 1.0;
      if (i < mid) {
        base += x;
        ++base_events;
      } else {
        recent += x;
      }
    }
    if (base_events < rule.min_baseline_events || base <= 0) continue;
    const double recent_rate = recent / rule.recent;
    const double base_rate = base / rule.baseline;
    if (recent_rate <= (1 - rule.min_drop) * base_rate) {
      label.churned = true;
      label.type = v1::HIDDEN;
      label.churn_time = as_of;
      label.rule = rule.name;
      return label;
    }
  }
  return label;
}

ChurnLabeler::ChurnLabeler(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
ChurnLabeler::ChurnLabeler(ChurnLabeler&&) noexcept = default;
ChurnLabeler& ChurnLabeler::operator=(ChurnLabeler&&) noexcept = default;
ChurnLabeler::~ChurnLabeler() = default;

const v1::ChurnDefinition& ChurnLabeler::definition() const {
  return impl_->def;
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
    if (r.applies_to().min_annual_value() < 0) {
      return PathError(path + ".applies_to.min_annual_value", "must be >= 0");
    }
    absl::StatusOr<int> id = add_filter(r.activity(), path + ".activity");
    if (!id.ok()) return id.status();
    impl->passive.push_back({r.name().empty() ? path : r.name(),
                             MakeSelector(r.applies_to()), *id,
                             int64_t{r.inactive_days()} * kDay});
  }
  for (int i = 0; i < def.hidden_size(); ++i) {
    const v1::HiddenRule& r = def.hidden(i);
    const std::string path = absl::StrCat("hidden[", i, "]");
    if (r.measure() != v1::COUNT && r.measure() != v1::SUM_AMOUNT) {
      return PathError(path + ".measure", "must be COUNT or SUM_AMOUNT");
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
    absl::StatusOr<int> id = add_filter(r.activity(), path + ".activity");
    if (!id.ok()) return id.status();
    impl->hidden.push_back(
        {r.name().empty() ? path : r.name(), MakeSelector(r.applies_to()), *id,
         r.measure() == v1::SUM_AMOUNT, int64_t{r.recent_days()} * kDay,
         int64_t{r.baseline_days()} * kDay, r.min_drop(),
         r.min_baseline_events() == 0 ? 3 : r.min_baseline_events()});
  }
  return ChurnLabeler(std::move(impl));
}

absl::StatusOr<std::vector<ChurnLabel>> ChurnLabeler::Label(
    const Dataset& dataset, UnixSeconds as_of, int threads) const {
  if (absl::Status s = internal::CheckAsOfAfterData(dataset, as_of); !s.ok()) {
    return s;
  }
  const std::vector<BoundFilter> filters =
      internal::BindFilters(impl_->filters, dataset);
  std::vector<ChurnLabel> out(dataset.num_customers());
  internal::ParallelFor(out.size(), threads, [&](size_t from, size_t to) {
    for (size_t c = from; c < to; ++c) {
      out[c] = impl_->LabelOne(dataset, static_cast<CustomerIndex>(c), as_of,
                               filters);
    }
  });
  return out;
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
  const std::vector<BoundFilter> filters =
      internal::BindFilters(impl_->filters, dataset);
  std::vector<ChurnLabel> out(customers.size());
  internal::ParallelFor(out.size(), threads, [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      out[i] = impl_->LabelOne(dataset, customers[i], as_of[i], filters);
    }
  });
  return out;
}

v1::LabelSet ToLabelSet(const Dataset& dataset,
                        absl::Span<const ChurnLabel> labels,
                        UnixSeconds as_of) {
  v1::LabelSet out;
  out.mutable_as_of()->set_seconds(as_of);
  for (size_t c = 0; c < labels.size() && c < dataset.num_customers(); ++c) {
    const ChurnLabel& l = labels[c];
    v1::CustomerLabel* m = out.add_labels();
    m->set_customer_id(
        std::string(dataset.customer_id(static_cast<CustomerIndex>(c))));
    m->set_churned(l.churned);
    m->set_type(l.type);
    if (l.churn_time != kNoTime)
      m->mutable_churn_time()->set_seconds(l.churn_time);
    m->set_reason(l.reason);
    m->set_rule(l.rule);
    if (l.last_activity != kNoTime) {
      m->mutable_last_activity()->set_seconds(l.last_activity);
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
    int horizon_days, const ComputeOptions& options) {
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
  TrainingPanel panel;
  panel.features.columns = features.names();
  for (UnixSeconds t : as_of_dates) {
    absl::StatusOr<std::vector<ChurnLabel>> now =
        labeler.Label(dataset, t, options.threads);
    if (!now.ok()) return now.status();
    const UnixSeconds end = t + int64_t{horizon_days} * kDay;
    absl::StatusOr<std::vector<ChurnLabel>> later =
        labeler.Label(dataset, end, options.threads);
    if (!later.ok()) return later.status();
    std::vector<CustomerIndex> rows;
    for (CustomerIndex c : CustomersAt(dataset, t)) {
      if (!(*now)[c].churned) rows.push_back(c);
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
      const ChurnLabel& l = (*later)[c];
      const bool positive =
          l.churned && l.churn_time >= t && l.churn_time <= end;
      panel.labels.push_back(positive ? 1 : 0);
      panel.churn_types.push_back(positive ? l.type
                                           : v1::CHURN_TYPE_UNSPECIFIED);
    }
  }
  return panel;
}

}  // namespace churnkit
