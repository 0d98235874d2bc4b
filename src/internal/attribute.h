// Reading a customer attribute by name ("tier", "industry", "region",
// "size", "owner", "product" or "attributes.<key>"), shared by the modules
// that group customers (report breakdowns and curves, segment CLV groups).
#ifndef CHURNKIT_SRC_INTERNAL_ATTRIBUTE_H_
#define CHURNKIT_SRC_INTERNAL_ATTRIBUTE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "churnkit/dataset.h"

namespace churnkit::internal {

// Reads one customer attribute, by name, as a dictionary id (0 = none).
class AttributeReader {
 public:
  // Errors (InvalidArgument) name `field` (e.g. "breakdowns[1]"): an
  // unknown name, or attributes.<key> that no customer has (allowed in an
  // empty data set).
  static absl::StatusOr<AttributeReader> Create(const Dataset& ds,
                                                const std::string& name,
                                                absl::string_view field);

  const std::string& name() const { return name_; }

  StringId Get(CustomerIndex c) const {
    if (column_ != nullptr) return (*column_)[c];
    if (!key_.has_value()) return 0;
    for (uint32_t i = attributes_->attr_offsets[c];
         i < attributes_->attr_offsets[c + 1]; ++i) {
      if (attributes_->attr_key[i] == *key_) return attributes_->attr_value[i];
    }
    return 0;
  }

 private:
  std::string name_;
  const std::vector<StringId>* column_ = nullptr;  // a built-in attribute
  const CustomerTable* attributes_ = nullptr;      // or attributes.<key>
  std::optional<StringId> key_;  // unset only in an empty data set
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_ATTRIBUTE_H_
