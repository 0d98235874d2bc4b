#include "internal/attribute.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace churnkit::internal {
namespace {

constexpr absl::string_view kAttributeHelp =
    "expected tier, industry, region, size, owner, product or "
    "attributes.<key>";

constexpr absl::string_view kPrefix = "attributes.";

absl::Status MissingKey(absl::string_view field, absl::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": unknown attribute '", name,
      "': no customer has the attribute '", name.substr(kPrefix.size()), "'"));
}

}  // namespace

absl::StatusOr<AttributeReader> AttributeReader::Create(
    const Dataset& ds, const std::string& name, absl::string_view field) {
  return Make(ds, name, field, /*need_key=*/true);
}

absl::StatusOr<AttributeReader> AttributeReader::CreateForPart(
    const Dataset& ds, const std::string& name, absl::string_view field) {
  return Make(ds, name, field, /*need_key=*/false);
}

absl::Status AttributeReader::CheckKey(
    const std::string& name, absl::string_view field,
    absl::Span<const std::string> sorted_keys, int64_t customers) {
  if (customers == 0 || !absl::StartsWith(name, kPrefix)) {
    return absl::OkStatus();
  }
  const std::string key = name.substr(kPrefix.size());
  if (std::binary_search(sorted_keys.begin(), sorted_keys.end(), key)) {
    return absl::OkStatus();
  }
  return MissingKey(field, name);
}

absl::StatusOr<AttributeReader> AttributeReader::Make(const Dataset& ds,
                                                      const std::string& name,
                                                      absl::string_view field,
                                                      bool need_key) {
  AttributeReader r;
  r.name_ = name;
  const CustomerTable& t = ds.customers();
  const std::pair<absl::string_view, const std::vector<StringId>*> builtins[] =
      {{"tier", &t.tier}, {"industry", &t.industry}, {"region", &t.region},
       {"size", &t.size}, {"owner", &t.owner_id},    {"product", &t.product}};
  for (const auto& [builtin, column] : builtins) {
    if (name == builtin) {
      r.column_ = column;
      return r;
    }
  }
  if (!absl::StartsWith(name, kPrefix) || name.size() == kPrefix.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": unknown attribute '", name, "'; ", kAttributeHelp));
  }
  r.attributes_ = &t;
  if (ds.num_customers() == 0) return r;
  const absl::string_view key = absl::string_view(name).substr(kPrefix.size());
  const std::optional<StringId> id = ds.strings().Find(key);
  if (id.has_value() && std::find(t.attr_key.begin(), t.attr_key.end(), *id) !=
                            t.attr_key.end()) {
    r.key_ = *id;
    return r;
  }
  if (!need_key) return r;
  return MissingKey(field, name);
}

}  // namespace churnkit::internal
