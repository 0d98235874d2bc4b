// Reading a customer attribute by name ("tier", "industry", "region",
// "size", "owner", "product" or "attributes.<key>"), shared by the modules
// that group customers (report breakdowns and curves, segment CLV groups).
#ifndef CHURNKIT_SRC_INTERNAL_ATTRIBUTE_H_
#define CHURNKIT_SRC_INTERNAL_ATTRIBUTE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
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
  // As Create, but an attributes.<key> that no customer of `ds` has reads
  // as none: for a partition, whose key check belongs to the whole data set
  // (CheckKey on the merged keys).
  static absl::StatusOr<AttributeReader> CreateForPart(const Dataset& ds,
                                                       const std::string& name,
                                                       absl::string_view field);
  // Create's check that some customer has the key of an attributes.<key>
  // `name`, given the data set's distinct keys in byte order (nothing to
  // check when `customers` is 0 or `name` is built in).
  static absl::Status CheckKey(const std::string& name, absl::string_view field,
                               absl::Span<const std::string> sorted_keys,
                               int64_t customers);

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
  std::optional<StringId> key_;  // unset: no customer has the key

  static absl::StatusOr<AttributeReader> Make(const Dataset& ds,
                                              const std::string& name,
                                              absl::string_view field,
                                              bool need_key);
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_ATTRIBUTE_H_
