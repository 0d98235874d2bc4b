// churnkit/careplan.h: care plans — schedules that produce the follow-up
// tasks due in a date range: lifecycle (T+7 training, T+30 survey and call,
// contract midpoint review, renewal -60 / -30), cadence by colour and by
// tier, periodic reviews and win-back after churn (domain.md §6).
//
// Config: churnkit.v1.CarePlan (proto/churnkit/v1/health.proto); shipped
// default configs/careplans/default.textproto.
#ifndef CHURNKIT_CAREPLAN_H_
#define CHURNKIT_CAREPLAN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/labels.h"
#include "churnkit/v1/health.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace churnkit {

// One customer as the care plan sees it.
struct CareInput {
  const Dataset* dataset = nullptr;
  CustomerIndex customer = 0;
  absl::Span<const double> row;  // feature values, matrix column order
  double score = 0;
  v1::Colour colour = v1::COLOUR_UNSPECIFIED;
  const ChurnLabel* label = nullptr;  // churn state at `as_of`
  UnixSeconds as_of = kNoTime;        // what is known: events before it
};

// A validated CarePlan. Immutable and thread-safe.
class CarePlanner {
 public:
  // Validates anchors, every_days > 0 for RECURRING (and 0 otherwise),
  // satisfied_window_days >= 0, filters and task templates. Errors name
  // the path, e.g. "schedules[4].every_days: must be > 0".
  static absl::StatusOr<CarePlanner> Create(
      const v1::CarePlan& plan, const std::vector<std::string>& columns);
  CarePlanner(CarePlanner&&) noexcept;
  CarePlanner& operator=(CarePlanner&&) noexcept;
  ~CarePlanner();

  // Tasks due in [from, to) for one customer. Churned customers get only
  // CHURN-anchored (win-back) tasks, others never those. A task is skipped
  // when an event matching the schedule's `satisfied_by` happened in
  // [due - satisfied_window_days, due), as far as known at as_of.
  std::vector<v1::Task> Plan(const CareInput& input, UnixSeconds from,
                             UnixSeconds to) const;
  // The same tasks appended to `out` (on its arena, if it has one).
  void Plan(const CareInput& input, UnixSeconds from, UnixSeconds to,
            google::protobuf::RepeatedPtrField<v1::Task>* out) const;

 private:
  struct Impl;
  explicit CarePlanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The shipped care plan (configs/careplans/default.textproto).
absl::StatusOr<v1::CarePlan> DefaultCarePlan();

}  // namespace churnkit

#endif  // CHURNKIT_CAREPLAN_H_
