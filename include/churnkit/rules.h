// churnkit/rules.h: tiered warning rules (L1 / L2 / L3) that turn feature
// values and the health score into alerts and tasks, with cool-downs and
// escalation over a sequence of assessments.
//
// Rules are config (churnkit.v1.RuleSet in proto/churnkit/v1/health.proto);
// the shipped default (configs/rules/default.textproto) holds every
// automation rule of domain.md §5. Most hosts use the Assessor
// (churnkit/assess.h), which runs rules together with health scores and
// care plans.
#ifndef CHURNKIT_RULES_H_
#define CHURNKIT_RULES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/health.pb.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace churnkit {

// One customer as the rules see it.
struct RuleInput {
  const Dataset* dataset = nullptr;
  CustomerIndex customer = 0;
  absl::Span<const double> row;  // feature values, matrix column order
  double score = 0;              // health total
  v1::Colour colour = v1::COLOUR_UNSPECIFIED;
  UnixSeconds as_of = kNoTime;
};

// Earlier firings by (customer id, rule name), from a v1::AlertHistory.
class AlertHistoryIndex {
 public:
  explicit AlertHistoryIndex(const v1::AlertHistory& history);
  AlertHistoryIndex() = default;
  const v1::AlertHistory::Entry* Find(absl::string_view customer,
                                      absl::string_view rule) const;

 private:
  absl::flat_hash_map<std::string, v1::AlertHistory::Entry> entries_;
};

// The outcome of the rules for one customer. Its messages live on `arena`
// when one is given (the Assessor builds a run's messages on one arena, to
// allocate and free them in bulk), else on the heap.
struct RuleOutcome {
  explicit RuleOutcome(google::protobuf::Arena* arena = nullptr)
      : alerts(arena), tasks(arena), history(arena) {}
  // One per rule that fired, in rule order (message empty for a rule
  // without an alert template).
  google::protobuf::RepeatedPtrField<v1::Alert> alerts;
  google::protobuf::RepeatedPtrField<v1::Task> tasks;
  // History entries to record: every rule that held (updated or new) and
  // every earlier open entry whose condition no longer holds (resolved).
  google::protobuf::RepeatedPtrField<v1::AlertHistory::Entry> history;
};

// A validated RuleSet bound to a feature-matrix column layout. Immutable
// and thread-safe.
class RuleEngine {
 public:
  // Validates: unique names, a level L1-L3, a condition, features that
  // are matrix columns, at_least.k within 1..n, templates whose
  // placeholders exist, due_in_days / cooldown_days /
  // escalate_after_days >= 0. Errors name the path, e.g.
  // "rules[3].when.all.conditions[1].compare.feature: unknown feature 'x'".
  static absl::StatusOr<RuleEngine> Create(
      const v1::RuleSet& rules, const std::vector<std::string>& columns);
  RuleEngine(RuleEngine&&) noexcept;
  RuleEngine& operator=(RuleEngine&&) noexcept;
  ~RuleEngine();

  // Evaluates every rule for one customer, one alert per rule (the
  // Assessor consolidates them per customer). A rule that holds raises an
  // alert and its tasks, unless it fired for this customer less than
  // `cooldown_days` ago (per `history`, which may be null); an alert still
  // open `escalate_after_days` after it first fired is raised one level.
  RuleOutcome Evaluate(const RuleInput& input,
                       const AlertHistoryIndex* history) const;
  // The same, appended to `out` (on its arena). With `task_text` false the
  // tasks come without their text (title and assignee_id), which
  // WriteTaskText writes for those kept: for a caller that keeps few (the
  // Assessor, whose owners' capacity routes most alerts elsewhere).
  void Evaluate(const RuleInput& input, const AlertHistoryIndex* history,
                RuleOutcome* out, bool task_text = true) const;
  // Writes the title and assignee_id of `task`, which Evaluate(input, ...,
  // task_text = false) made for its rule (task->source()) firing at
  // `level` (the rule's alert's, escalated or not). Tasks of one rule with
  // the same type get the first such template's text. InvalidArgument for
  // a task no rule of this engine makes.
  absl::Status WriteTaskText(const RuleInput& input, v1::Level level,
                             v1::Task* task) const;

  const v1::RuleSet& rules() const;

 private:
  struct Impl;
  explicit RuleEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The shipped rules (configs/rules/default.textproto).
absl::StatusOr<v1::RuleSet> DefaultRuleSet();

// Resolves who a task goes to: the customer's owner, the owner's manager
// (from the owners table), or "" for roles the host resolves (service
// manager, executive, automation).
std::string AssigneeId(const Dataset& dataset, CustomerIndex customer,
                       v1::Assignee assignee);

}  // namespace churnkit

#endif  // CHURNKIT_RULES_H_
