// Message templates of rules and care plans ("{customer.name} has had no
// follow-up for {days_since_interaction} days"), compiled once.
#ifndef CHURNKIT_SRC_INTERNAL_TEMPLATE_H_
#define CHURNKIT_SRC_INTERNAL_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/health.pb.h"

namespace churnkit::internal {

// What a template can refer to for one customer.
struct TemplateContext {
  const Dataset* dataset = nullptr;
  CustomerIndex customer = 0;
  absl::Span<const double> row;  // feature values, matrix column order
  double score = 0;
  v1::Colour colour = v1::COLOUR_UNSPECIFIED;
  absl::string_view rule;
  v1::Level level = v1::LEVEL_UNSPECIFIED;
};

class Template {
 public:
  // Placeholders: {customer.id}, {customer.name}, {customer.tier},
  // {customer.industry}, {customer.region}, {customer.owner}, {score},
  // {colour}, {rule}, {level}, and any name in `columns`. An unknown
  // placeholder or an unclosed brace is an error naming `path`.
  static absl::StatusOr<Template> Compile(
      absl::string_view text, const std::vector<std::string>& columns,
      const std::string& path);
  Template() = default;

  // Appends the text for `context` to `out` (a message's field, filled in
  // place). Feature values print as integers when whole, else with two
  // decimals; a missing (NaN) value prints as "n/a".
  void Render(const TemplateContext& context, std::string* out) const;

 private:
  enum class Kind {
    kLiteral,
    kCustomerId,
    kCustomerName,
    kTier,
    kIndustry,
    kRegion,
    kOwner,
    kScore,
    kColour,
    kRule,
    kLevel,
    kFeature
  };
  struct Part {
    Kind kind;
    std::string literal;
    int column = -1;
  };
  std::vector<Part> parts_;
};

// A task template compiled for one column layout; shared by warning rules
// and care plans.
class TaskMaker {
 public:
  // Validates type (non-empty), due_in_days >= 0, assignee, priority and
  // the title's placeholders; errors name `path`.
  static absl::StatusOr<TaskMaker> Compile(
      const v1::TaskTemplate& task, const std::vector<std::string>& columns,
      const std::string& path);
  TaskMaker() = default;

  // Fills `task` (empty, e.g. just added to an arena's message) with the
  // task for one customer, due at `due`, created by `source`; with
  // `raise_priority` (an escalated alert) one priority level higher.
  void Make(const TemplateContext& context, UnixSeconds due,
            absl::string_view source, bool raise_priority,
            v1::Task* task) const;
  // Make in two steps: the fields without text, then the text (title and
  // assignee_id) for a task that is kept.
  void MakeFields(UnixSeconds due, absl::string_view source,
                  bool raise_priority, v1::Task* task) const;
  void WriteText(const TemplateContext& context, v1::Task* task) const;
  int due_in_days() const { return config_.due_in_days(); }
  const std::string& type() const { return config_.type(); }

 private:
  v1::TaskTemplate config_;
  Template title_;
};

// Appends a number as templates print it.
void AppendValue(std::string* out, double value);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_TEMPLATE_H_
