#include "internal/template.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "churnkit/health.h"
#include "churnkit/rules.h"

namespace churnkit::internal {

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("n/a");
    return;
  }
  // std::to_chars with a precision prints as printf's %.0f / %.2f would,
  // without printf's format parsing and locale.
  char buf[400];  // %.2f of the largest double fits
  const bool whole = v == std::floor(v) && std::fabs(v) < 1e15;
  const std::to_chars_result r = std::to_chars(
      buf, buf + sizeof(buf), v, std::chars_format::fixed, whole ? 0 : 2);
  out->append(buf, r.ptr);
}

absl::StatusOr<Template> Template::Compile(
    absl::string_view text, const std::vector<std::string>& columns,
    const std::string& path) {
  static const std::pair<const char*, Kind> kNames[] = {
      {"customer.id", Kind::kCustomerId},
      {"customer.name", Kind::kCustomerName},
      {"customer.tier", Kind::kTier},
      {"customer.industry", Kind::kIndustry},
      {"customer.region", Kind::kRegion},
      {"customer.owner", Kind::kOwner},
      {"score", Kind::kScore},
      {"colour", Kind::kColour},
      {"rule", Kind::kRule},
      {"level", Kind::kLevel},
  };
  Template t;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '{') {
      literal.push_back(text[i++]);
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unclosed '{' at offset ", i));
    }
    const absl::string_view name = text.substr(i + 1, close - i - 1);
    Part part{Kind::kFeature, "", -1};
    bool known = false;
    for (const auto& [n, kind] : kNames) {
      if (name == n) {
        part.kind = kind;
        known = true;
      }
    }
    if (!known) {
      for (size_t c = 0; c < columns.size(); ++c) {
        if (columns[c] == name) {
          part.column = static_cast<int>(c);
          known = true;
        }
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": unknown placeholder {", name,
          "} (customer.id, customer.name, customer.tier, customer.industry, "
          "customer.region, customer.owner, score, colour, rule, level, or a "
          "feature name)"));
    }
    if (!literal.empty()) {
      t.parts_.push_back({Kind::kLiteral, std::move(literal), -1});
      literal.clear();
    }
    t.parts_.push_back(std::move(part));
    i = close + 1;
  }
  if (!literal.empty()) t.parts_.push_back({Kind::kLiteral, literal, -1});
  return t;
}

void Template::Render(const TemplateContext& ctx, std::string* out_ptr) const {
  std::string& out = *out_ptr;
  const Dataset& ds = *ctx.dataset;
  const CustomerTable& t = ds.customers();
  const CustomerIndex c = ctx.customer;
  for (const Part& p : parts_) {
    switch (p.kind) {
      case Kind::kLiteral:
        out += p.literal;
        break;
      case Kind::kCustomerId:
        absl::StrAppend(&out, ds.customer_id(c));
        break;
      case Kind::kCustomerName: {
        const absl::string_view name = ds.str(t.name[c]);
        absl::StrAppend(&out, name.empty() ? ds.customer_id(c) : name);
        break;
      }
      case Kind::kTier:
        absl::StrAppend(&out, ds.str(t.tier[c]));
        break;
      case Kind::kIndustry:
        absl::StrAppend(&out, ds.str(t.industry[c]));
        break;
      case Kind::kRegion:
        absl::StrAppend(&out, ds.str(t.region[c]));
        break;
      case Kind::kOwner:
        absl::StrAppend(&out, ds.str(t.owner_id[c]));
        break;
      case Kind::kScore:
        AppendValue(&out, ctx.score);
        break;
      case Kind::kColour:
        out += ColourName(ctx.colour);
        break;
      case Kind::kRule:
        absl::StrAppend(&out, ctx.rule);
        break;
      case Kind::kLevel:
        out += v1::Level_Name(ctx.level);
        break;
      case Kind::kFeature:
        AppendValue(&out, ctx.row[p.column]);
        break;
    }
  }
}

absl::StatusOr<TaskMaker> TaskMaker::Compile(
    const v1::TaskTemplate& t, const std::vector<std::string>& columns,
    const std::string& path) {
  auto error = [&](absl::string_view field, absl::string_view message) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".", field, ": ", message));
  };
  if (t.type().empty()) return error("type", "empty");
  if (t.due_in_days() < 0) return error("due_in_days", "must be >= 0");
  if (!v1::Assignee_IsValid(t.assignee())) {
    return error("assignee", "unknown assignee");
  }
  if (!v1::Priority_IsValid(t.priority())) {
    return error("priority", "unknown priority");
  }
  absl::StatusOr<Template> title =
      Template::Compile(t.title(), columns, path + ".title");
  if (!title.ok()) return title.status();
  TaskMaker m;
  m.config_ = t;
  m.title_ = *std::move(title);
  return m;
}

void TaskMaker::Make(const TemplateContext& ctx, UnixSeconds due,
                     absl::string_view source, bool raise_priority,
                     v1::Task* task) const {
  MakeFields(due, source, raise_priority, task);
  WriteText(ctx, task);
}

void TaskMaker::MakeFields(UnixSeconds due, absl::string_view source,
                           bool raise_priority, v1::Task* task) const {
  task->set_type(config_.type());
  task->set_assignee(config_.assignee() == v1::ASSIGNEE_UNSPECIFIED
                         ? v1::OWNER
                         : config_.assignee());
  task->mutable_due()->set_seconds(due);
  v1::Priority priority = config_.priority() == v1::PRIORITY_UNSPECIFIED
                              ? v1::NORMAL
                              : config_.priority();
  if (raise_priority && priority < v1::URGENT) {
    priority = static_cast<v1::Priority>(priority + 1);
  }
  task->set_priority(priority);
  task->set_source(source.data(), source.size());
}

void TaskMaker::WriteText(const TemplateContext& ctx, v1::Task* task) const {
  title_.Render(ctx, task->mutable_title());
  task->set_assignee_id(
      AssigneeId(*ctx.dataset, ctx.customer, task->assignee()));
}

}  // namespace churnkit::internal
