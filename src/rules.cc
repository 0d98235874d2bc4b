#include "churnkit/rules.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"
#include "internal/template.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr int64_t kDay = 86400;

std::string HistoryKey(absl::string_view customer, absl::string_view rule) {
  return absl::StrCat(customer.size(), ":", customer, rule);
}

struct Cond {
  enum Type { kCompare, kAll, kAny, kAtLeast, kNot, kHealthBelow } type;
  int column = -1;
  int other = -1;
  v1::Comparison::Op op = v1::Comparison::OP_UNSPECIFIED;
  double value = 0;
  int k = 0;
  std::vector<Cond> children;

  bool Eval(absl::Span<const double> row, double score) const {
    switch (type) {
      case kCompare: {
        const double x = row[column];
        if (op == v1::Comparison::IS_MISSING) return std::isnan(x);
        if (op == v1::Comparison::NOT_MISSING) return !std::isnan(x);
        const double y = other >= 0 ? row[other] : value;
        if (std::isnan(x) || std::isnan(y)) return false;
        switch (op) {
          case v1::Comparison::LT:
            return x < y;
          case v1::Comparison::LE:
            return x <= y;
          case v1::Comparison::GT:
            return x > y;
          case v1::Comparison::GE:
            return x >= y;
          case v1::Comparison::EQ:
            return x == y;
          default:
            return x != y;  // NE
        }
      }
      case kAll:
        for (const Cond& c : children) {
          if (!c.Eval(row, score)) return false;
        }
        return true;
      case kAny:
        for (const Cond& c : children) {
          if (c.Eval(row, score)) return true;
        }
        return false;
      case kAtLeast: {
        int n = 0;
        for (const Cond& c : children) n += c.Eval(row, score);
        return n >= k;
      }
      case kNot:
        return !children[0].Eval(row, score);
      case kHealthBelow:
        return score < value;
    }
    return false;
  }
};

absl::StatusOr<int> Column(const std::string& feature,
                           const std::vector<std::string>& columns,
                           const std::string& path) {
  auto it = std::find(columns.begin(), columns.end(), feature);
  if (it == columns.end()) {
    return PathError(path, absl::StrCat("unknown feature '", feature, "'"));
  }
  return static_cast<int>(it - columns.begin());
}

absl::StatusOr<Cond> CompileCondition(const v1::Condition& c,
                                      const std::vector<std::string>& columns,
                                      const std::string& path, int depth) {
  if (depth > 32) return PathError(path, "nested more than 32 levels");
  Cond out;
  auto children =
      [&](const google::protobuf::RepeatedPtrField<v1::Condition>& list,
          const std::string& p) -> absl::Status {
    if (list.empty()) return PathError(p, "empty");
    for (int i = 0; i < list.size(); ++i) {
      absl::StatusOr<Cond> child = CompileCondition(
          list[i], columns, absl::StrCat(p, "[", i, "]"), depth + 1);
      if (!child.ok()) return child.status();
      out.children.push_back(*std::move(child));
    }
    return absl::OkStatus();
  };
  switch (c.condition_case()) {
    case v1::Condition::kCompare: {
      const v1::Comparison& cmp = c.compare();
      out.type = Cond::kCompare;
      out.op = cmp.op();
      out.value = cmp.value();
      if (cmp.op() == v1::Comparison::OP_UNSPECIFIED ||
          !v1::Comparison::Op_IsValid(cmp.op())) {
        return PathError(path + ".compare.op", "unknown or missing op");
      }
      if (!std::isfinite(cmp.value())) {
        return PathError(path + ".compare.value", "must be finite");
      }
      absl::StatusOr<int> col =
          Column(cmp.feature(), columns, path + ".compare.feature");
      if (!col.ok()) return col.status();
      out.column = *col;
      if (!cmp.other_feature().empty()) {
        absl::StatusOr<int> other = Column(cmp.other_feature(), columns,
                                           path + ".compare.other_feature");
        if (!other.ok()) return other.status();
        out.other = *other;
      }
      return out;
    }
    case v1::Condition::kAll:
      out.type = Cond::kAll;
      if (absl::Status s =
              children(c.all().conditions(), path + ".all.conditions");
          !s.ok()) {
        return s;
      }
      return out;
    case v1::Condition::kAny:
      out.type = Cond::kAny;
      if (absl::Status s =
              children(c.any().conditions(), path + ".any.conditions");
          !s.ok()) {
        return s;
      }
      return out;
    case v1::Condition::kAtLeast:
      out.type = Cond::kAtLeast;
      out.k = c.at_least().k();
      if (absl::Status s = children(c.at_least().conditions(),
                                    path + ".at_least.conditions");
          !s.ok()) {
        return s;
      }
      if (out.k < 1 || out.k > static_cast<int>(out.children.size())) {
        return PathError(path + ".at_least.k",
                         absl::StrCat("must be in 1..", out.children.size(),
                                      " (is ", out.k, ")"));
      }
      return out;
    case v1::Condition::kNegate: {
      out.type = Cond::kNot;
      absl::StatusOr<Cond> child =
          CompileCondition(c.negate(), columns, path + ".negate", depth + 1);
      if (!child.ok()) return child.status();
      out.children.push_back(*std::move(child));
      return out;
    }
    case v1::Condition::kHealthBelow:
      out.type = Cond::kHealthBelow;
      out.value = c.health_below();
      if (!std::isfinite(out.value)) {
        return PathError(path + ".health_below", "must be finite");
      }
      return out;
    default:
      return PathError(path, "no condition set");
  }
}

struct CompiledRule {
  std::string name;
  v1::Level level;
  Cond when;
  // Usually one or two entries: a linear scan beats hashing.
  std::vector<std::string> tiers, industries;
  std::vector<int> colours;
  internal::Template alert;
  std::vector<internal::TaskMaker> tasks;
  int64_t cooldown, escalate_after;
};

}  // namespace

AlertHistoryIndex::AlertHistoryIndex(const v1::AlertHistory& history) {
  for (const v1::AlertHistory::Entry& e : history.entries()) {
    entries_[HistoryKey(e.customer_id(), e.rule())] = e;
  }
}

const v1::AlertHistory::Entry* AlertHistoryIndex::Find(
    absl::string_view customer, absl::string_view rule) const {
  auto it = entries_.find(HistoryKey(customer, rule));
  return it == entries_.end() ? nullptr : &it->second;
}

std::string AssigneeId(const Dataset& ds, CustomerIndex c,
                       v1::Assignee assignee) {
  const StringId owner = ds.customers().owner_id[c];
  switch (assignee) {
    case v1::OWNER:
    case v1::ASSIGNEE_UNSPECIFIED:
      return std::string(ds.str(owner));
    case v1::OWNER_MANAGER: {
      const OwnerTable& o = ds.owners();
      for (size_t i = 0; i < o.id.size(); ++i) {
        if (o.id[i] == owner) return std::string(ds.str(o.manager_id[i]));
      }
      return "";
    }
    default:
      return "";
  }
}

struct RuleEngine::Impl {
  v1::RuleSet config;
  std::vector<CompiledRule> rules;
  absl::flat_hash_map<std::string, size_t> by_name;  // index in `rules`
};

RuleEngine::RuleEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleEngine::RuleEngine(RuleEngine&&) noexcept = default;
RuleEngine& RuleEngine::operator=(RuleEngine&&) noexcept = default;
RuleEngine::~RuleEngine() = default;
const v1::RuleSet& RuleEngine::rules() const { return impl_->config; }

absl::StatusOr<RuleEngine> RuleEngine::Create(
    const v1::RuleSet& config, const std::vector<std::string>& columns) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  absl::flat_hash_set<std::string> names;
  for (int r = 0; r < config.rules_size(); ++r) {
    const v1::Rule& rule = config.rules(r);
    const std::string path = absl::StrCat("rules[", r, "]");
    CompiledRule out;
    out.name = rule.name();
    if (rule.name().empty()) return PathError(path + ".name", "empty");
    if (!names.insert(rule.name()).second) {
      return PathError(path + ".name",
                       absl::StrCat("duplicate rule '", rule.name(), "'"));
    }
    if (rule.level() < v1::L1 || rule.level() > v1::L3) {
      return PathError(
          path + ".level",
          absl::StrCat("must be L1, L2 or L3 (is ", rule.level(), ")"));
    }
    out.level = rule.level();
    absl::StatusOr<Cond> when =
        CompileCondition(rule.when(), columns, path + ".when", 0);
    if (!when.ok()) return when.status();
    out.when = *std::move(when);
    out.tiers.assign(rule.applies_to().tiers().begin(),
                     rule.applies_to().tiers().end());
    out.industries.assign(rule.applies_to().industries().begin(),
                          rule.applies_to().industries().end());
    for (int c : rule.applies_to().colours()) {
      if (c <= 0 || !v1::Colour_IsValid(c)) {
        return PathError(path + ".applies_to.colours", "unknown colour");
      }
      out.colours.push_back(c);
    }
    absl::StatusOr<internal::Template> alert =
        internal::Template::Compile(rule.alert(), columns, path + ".alert");
    if (!alert.ok()) return alert.status();
    out.alert = *std::move(alert);
    for (int t = 0; t < rule.tasks_size(); ++t) {
      absl::StatusOr<internal::TaskMaker> task = internal::TaskMaker::Compile(
          rule.tasks(t), columns, absl::StrCat(path, ".tasks[", t, "]"));
      if (!task.ok()) return task.status();
      out.tasks.push_back(*std::move(task));
    }
    if (rule.alert().empty() && out.tasks.empty()) {
      return PathError(path, "neither an alert nor a task");
    }
    if (rule.cooldown_days() < 0) {
      return PathError(path + ".cooldown_days", "must be >= 0");
    }
    if (rule.escalate_after_days() < 0) {
      return PathError(path + ".escalate_after_days", "must be >= 0");
    }
    out.cooldown = int64_t{rule.cooldown_days()} * kDay;
    out.escalate_after = int64_t{rule.escalate_after_days()} * kDay;
    impl->by_name[out.name] = impl->rules.size();
    impl->rules.push_back(std::move(out));
  }
  return RuleEngine(std::move(impl));
}

RuleOutcome RuleEngine::Evaluate(const RuleInput& in,
                                 const AlertHistoryIndex* history) const {
  RuleOutcome out;
  Evaluate(in, history, &out);
  return out;
}

void RuleEngine::Evaluate(const RuleInput& in, const AlertHistoryIndex* history,
                          RuleOutcome* out_ptr, bool task_text) const {
  RuleOutcome& out = *out_ptr;
  const Dataset& ds = *in.dataset;
  const CustomerTable& ct = ds.customers();
  const absl::string_view customer = ds.customer_id(in.customer);
  for (const CompiledRule& rule : impl_->rules) {
    auto listed = [](const std::vector<std::string>& list,
                     absl::string_view v) {
      return list.empty() ||
             std::find(list.begin(), list.end(), v) != list.end();
    };
    if (!listed(rule.tiers, ds.str(ct.tier[in.customer])) ||
        !listed(rule.industries, ds.str(ct.industry[in.customer]))) {
      continue;
    }
    if (!rule.colours.empty() &&
        std::find(rule.colours.begin(), rule.colours.end(), in.colour) ==
            rule.colours.end()) {
      continue;
    }
    const v1::AlertHistory::Entry* before =
        history == nullptr ? nullptr : history->Find(customer, rule.name);
    const bool open = before != nullptr && !before->resolved();
    const bool holds = rule.when.Eval(in.row, in.score);
    if (!holds) {
      if (open) {  // the anomaly cleared
        v1::AlertHistory::Entry& e = *out.history.Add();
        e = *before;
        e.set_resolved(true);
      }
      continue;
    }
    UnixSeconds first = in.as_of;
    if (open) {
      first = before->first_fired().seconds();
      if (in.as_of - before->last_fired().seconds() < rule.cooldown) {
        continue;  // cooling down: the entry stays as it is
      }
    }
    v1::Level level = rule.level;
    const bool escalated = open && rule.escalate_after > 0 &&
                           in.as_of - first >= rule.escalate_after &&
                           level < v1::L3;
    if (escalated) level = static_cast<v1::Level>(level + 1);

    internal::TemplateContext ctx{&ds,       in.customer, in.row, in.score,
                                  in.colour, rule.name,   level};
    // Every firing is an alert, so the assessment can consolidate them
    // per customer; a rule without a template has no message.
    v1::Alert* a = out.alerts.Add();
    a->set_rule(rule.name);
    a->set_level(level);
    rule.alert.Render(ctx, a->mutable_message());
    a->mutable_first_fired()->set_seconds(first);
    a->set_escalated(escalated);
    for (const internal::TaskMaker& t : rule.tasks) {
      v1::Task* task = out.tasks.Add();
      t.MakeFields(in.as_of + int64_t{t.due_in_days()} * kDay, rule.name,
                   escalated, task);
      if (task_text) t.WriteText(ctx, task);
    }
    v1::AlertHistory::Entry* e = out.history.Add();
    e->set_customer_id(customer.data(), customer.size());
    e->set_rule(rule.name);
    e->mutable_first_fired()->set_seconds(first);
    e->mutable_last_fired()->set_seconds(in.as_of);
  }
}

absl::Status RuleEngine::WriteTaskText(const RuleInput& in, v1::Level level,
                                       v1::Task* task) const {
  const auto it = impl_->by_name.find(task->source());
  if (it != impl_->by_name.end()) {
    const CompiledRule& rule = impl_->rules[it->second];
    for (const internal::TaskMaker& t : rule.tasks) {
      if (t.type() != task->type()) continue;
      t.WriteText({in.dataset, in.customer, in.row, in.score, in.colour,
                   rule.name, level},
                  task);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("task: no rule '", task->source(),
                   "' makes a task of type '", task->type(), "'"));
}

absl::StatusOr<v1::RuleSet> DefaultRuleSet() {
  v1::RuleSet rules;
  if (absl::Status s = internal::ParseShippedConfig(
          internal::kDefaultRulesTextproto, "configs/rules/default.textproto",
          &rules);
      !s.ok()) {
    return s;
  }
  return rules;
}

}  // namespace churnkit
