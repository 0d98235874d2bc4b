#include "churnkit/careplan.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"
#include "internal/event_filter.h"
#include "internal/template.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr int64_t kDay = 86400;

struct CompiledSchedule {
  std::string name;
  v1::Anchor anchor;
  int64_t offset, every;
  absl::flat_hash_set<std::string> tiers, industries;
  std::vector<int> colours;
  internal::TaskMaker task;
  bool has_satisfied;
  internal::CompiledFilter satisfied_by;
  int64_t satisfied_window;
};

}  // namespace

struct CarePlanner::Impl {
  std::vector<CompiledSchedule> schedules;
};

CarePlanner::CarePlanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CarePlanner::CarePlanner(CarePlanner&&) noexcept = default;
CarePlanner& CarePlanner::operator=(CarePlanner&&) noexcept = default;
CarePlanner::~CarePlanner() = default;

absl::StatusOr<CarePlanner> CarePlanner::Create(
    const v1::CarePlan& plan, const std::vector<std::string>& columns) {
  auto impl = std::make_unique<Impl>();
  for (int i = 0; i < plan.schedules_size(); ++i) {
    const v1::Schedule& s = plan.schedules(i);
    const std::string path = absl::StrCat("schedules[", i, "]");
    CompiledSchedule out;
    out.name = s.name().empty() ? path : s.name();
    if (s.anchor() == v1::ANCHOR_UNSPECIFIED ||
        !v1::Anchor_IsValid(s.anchor())) {
      return PathError(path + ".anchor", "unknown or missing anchor");
    }
    out.anchor = s.anchor();
    if (s.anchor() == v1::RECURRING) {
      if (s.every_days() <= 0)
        return PathError(path + ".every_days", "must be > 0");
    } else if (s.every_days() != 0) {
      return PathError(path + ".every_days", "only RECURRING schedules repeat");
    }
    out.offset = int64_t{s.offset_days()} * kDay;
    out.every = int64_t{s.every_days()} * kDay;
    out.tiers.insert(s.applies_to().tiers().begin(),
                     s.applies_to().tiers().end());
    out.industries.insert(s.applies_to().industries().begin(),
                          s.applies_to().industries().end());
    for (int c : s.applies_to().colours()) {
      if (c <= 0 || !v1::Colour_IsValid(c)) {
        return PathError(path + ".applies_to.colours", "unknown colour");
      }
      out.colours.push_back(c);
    }
    absl::StatusOr<internal::TaskMaker> task =
        internal::TaskMaker::Compile(s.task(), columns, path + ".task");
    if (!task.ok()) return task.status();
    out.task = *std::move(task);
    if (s.satisfied_window_days() < 0) {
      return PathError(path + ".satisfied_window_days", "must be >= 0");
    }
    out.has_satisfied = s.has_satisfied_by();
    if (out.has_satisfied) {
      if (s.satisfied_window_days() == 0) {
        return PathError(path + ".satisfied_window_days",
                         "must be > 0 with satisfied_by");
      }
      absl::StatusOr<internal::CompiledFilter> f =
          internal::CompileFilter(s.satisfied_by(), path + ".satisfied_by");
      if (!f.ok()) return f.status();
      out.satisfied_by = *std::move(f);
    }
    out.satisfied_window = int64_t{s.satisfied_window_days()} * kDay;
    impl->schedules.push_back(std::move(out));
  }
  return CarePlanner(std::move(impl));
}

std::vector<v1::Task> CarePlanner::Plan(const CareInput& in, UnixSeconds from,
                                        UnixSeconds to) const {
  google::protobuf::RepeatedPtrField<v1::Task> planned;
  Plan(in, from, to, &planned);
  std::vector<v1::Task> tasks;
  tasks.reserve(planned.size());
  for (v1::Task& task : planned) tasks.push_back(std::move(task));
  return tasks;
}

void CarePlanner::Plan(
    const CareInput& in, UnixSeconds from, UnixSeconds to,
    google::protobuf::RepeatedPtrField<v1::Task>* out) const {
  const Dataset& ds = *in.dataset;
  const CustomerIndex c = in.customer;
  const CustomerTable& ct = ds.customers();
  const ContractTable& k = ds.contracts();
  const EventTable& ev = ds.events();
  const bool churned = in.label != nullptr && in.label->churned;
  const internal::TemplateContext ctx{
      &ds, c, in.row, in.score, in.colour, "", v1::LEVEL_UNSPECIFIED};
  // The end of the events known at as_of, found once a schedule asks.
  std::optional<size_t> known_end;

  for (const CompiledSchedule& s : impl_->schedules) {
    if ((s.anchor == v1::CHURN) != churned) continue;
    if (!s.tiers.empty() && !s.tiers.contains(ds.str(ct.tier[c]))) continue;
    if (!s.industries.empty() &&
        !s.industries.contains(ds.str(ct.industry[c]))) {
      continue;
    }
    if (!s.colours.empty() && std::find(s.colours.begin(), s.colours.end(),
                                        in.colour) == s.colours.end()) {
      continue;
    }
    // Candidate due dates in [from, to).
    absl::InlinedVector<UnixSeconds, 8> due;
    auto consider = [&](UnixSeconds t) {
      if (t != kNoTime && t >= from && t < to) due.push_back(t);
    };
    const UnixSeconds signup = ct.signup_time[c];
    switch (s.anchor) {
      case v1::SIGNUP:
        if (signup != kNoTime) consider(signup + s.offset);
        break;
      case v1::CONTRACT_START:
      case v1::CONTRACT_MIDPOINT:
      case v1::RENEWAL:
        for (size_t i = k.offsets[c]; i < k.offsets[c + 1]; ++i) {
          if (k.start_time[i] >= in.as_of) continue;  // not signed yet
          const UnixSeconds anchor =
              s.anchor == v1::CONTRACT_START ? k.start_time[i]
              : s.anchor == v1::RENEWAL
                  ? k.renewal_time[i]
                  : k.start_time[i] + (k.end_time[i] - k.start_time[i]) / 2;
          consider(anchor + s.offset);
        }
        break;
      case v1::CHURN:
        consider(in.label->churn_time + s.offset);
        break;
      case v1::RECURRING: {
        const UnixSeconds base = signup != kNoTime ? signup : 0;
        const UnixSeconds first = base + s.offset;
        // The first occurrence at or after `from`, k >= 1 periods in.
        int64_t n = from > first ? (from - first + s.every - 1) / s.every : 1;
        n = std::max<int64_t>(n, 1);
        for (UnixSeconds t = first + n * s.every; t < to; t += s.every) {
          consider(t);
        }
        break;
      }
      default:
        break;
    }
    for (UnixSeconds t : due) {
      if (s.has_satisfied) {
        const internal::BoundFilter f(s.satisfied_by, ds);
        const UnixSeconds lo = t - s.satisfied_window;
        const UnixSeconds hi = std::min(t, in.as_of);
        if (!known_end) known_end = ds.EventAtOrAfter(c, in.as_of);
        bool done = false;
        for (size_t i = ds.EventAtOrAfter(c, lo, *known_end);
             i < *known_end && ev.time[i] < hi; ++i) {
          if (f.Match(ev, i)) {
            done = true;
            break;
          }
        }
        if (done) continue;
      }
      s.task.Make(ctx, t, s.name, false, out->Add());
    }
  }
}

absl::StatusOr<v1::CarePlan> DefaultCarePlan() {
  v1::CarePlan plan;
  if (absl::Status s = internal::ParseShippedConfig(
          internal::kDefaultCarePlanTextproto,
          "configs/careplans/default.textproto", &plan);
      !s.ok()) {
    return s;
  }
  return plan;
}

}  // namespace churnkit
