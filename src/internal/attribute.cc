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

}  // namespace

absl::StatusOr<AttributeReader> AttributeReader::Create(
    const Dataset& ds, const std::string& name, absl::string_view field) {
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
  constexpr absl::string_view kPrefix = "attributes.";
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
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown attribute '", name,
                   "': no customer has the attribute '", key, "'"));
}

}  // namespace churnkit::internal
