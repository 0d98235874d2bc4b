// EventFilter compiled once from config and bound to a data set's
// dictionary, shared by every module that selects events (features, labels).
#ifndef CHURNKIT_SRC_INTERNAL_EVENT_FILTER_H_
#define CHURNKIT_SRC_INTERNAL_EVENT_FILTER_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/features.pb.h"

namespace churnkit::internal {

// A validated filter, independent of any data set.
struct CompiledFilter {
  uint32_t kind_mask = 0;  // bit per EventKind; 0 = any
  std::vector<uint16_t> subtypes;
  std::vector<std::string> keys;
  uint8_t flags = 0;
};

// Validates `filter`; errors name `path` (e.g. "features[2].window.filter").
absl::StatusOr<CompiledFilter> CompileFilter(const v1::EventFilter& filter,
                                             const std::string& path);

// A filter resolved against one data set's dictionary.
class BoundFilter {
 public:
  BoundFilter() = default;
  BoundFilter(const CompiledFilter& filter, const Dataset& dataset) {
    Bind(filter, dataset);
  }

  // Binds to `dataset`, reusing the key list's storage.
  void Bind(const CompiledFilter& filter, const Dataset& dataset);

  // The kinds this filter admits, a bit per EventKind (all bits: any).
  uint32_t kinds() const { return kind_mask_ == 0 ? ~0u : kind_mask_; }
  // Whether the kind alone decides (no subtype, flag or key condition).
  bool kinds_only() const {
    return subtypes_->empty() && flags_ == 0 && !has_keys_;
  }

  bool Match(const EventTable& ev, size_t i) const {
    if (kind_mask_ != 0 && !(kind_mask_ & (1u << ev.kind[i]))) return false;
    if (!subtypes_->empty() && std::find(subtypes_->begin(), subtypes_->end(),
                                         ev.subtype[i]) == subtypes_->end()) {
      return false;
    }
    if ((ev.flags[i] & flags_) != flags_) return false;
    if (has_keys_ &&
        !std::binary_search(keys_.begin(), keys_.end(), ev.key[i])) {
      return false;
    }
    return true;
  }

 private:
  uint32_t kind_mask_ = 0;
  const std::vector<uint16_t>* subtypes_ = nullptr;
  std::vector<StringId> keys_;  // sorted
  bool has_keys_ = false;
  uint8_t flags_ = 0;
};

// Whether any of several bound filters matches, the event's kind tested
// first against all of them at once: most events are settled by their kind
// alone, without a call per filter.
class AnyFilter {
 public:
  AnyFilter() = default;
  // Filters `ids` of `bound`, copied.
  AnyFilter(const std::vector<BoundFilter>& bound, absl::Span<const int> ids);

  bool Match(const EventTable& ev, size_t i) const {
    const uint32_t kind = 1u << ev.kind[i];
    if (!(kinds_ & kind)) return false;
    if (kinds_only_ & kind) return true;
    for (const BoundFilter& f : rest_) {
      if (f.Match(ev, i)) return true;
    }
    return false;
  }

  // The events of [begin, end) that Match admits, appended to `out` in
  // order. Without a branch per event on its kind: event kinds come mixed,
  // and a mispredicted branch per event and pass cost more than the match.
  void Select(const EventTable& ev, size_t begin, size_t end,
              std::vector<size_t>* out) const;

 private:
  uint32_t kinds_ = 0;       // admitted by any filter
  uint32_t kinds_only_ = 0;  // admitted by a filter on kinds alone
  std::vector<BoundFilter> rest_;
};

// InvalidArgument when `as_of` is not after the data set's first event:
// nothing is known before it, so absence of activity would be misread.
// Data sets without events pass.
absl::Status CheckAsOfAfterData(const Dataset& dataset, UnixSeconds as_of);

// Binds each compiled filter to `dataset`.
std::vector<BoundFilter> BindFilters(const std::vector<CompiledFilter>& filters,
                                     const Dataset& dataset);
// The same into *out, reusing its storage: for callers that bind once per
// customer (a few microseconds of work) and keep the binding per thread.
void BindFilters(const std::vector<CompiledFilter>& filters,
                 const Dataset& dataset, std::vector<BoundFilter>* out);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_EVENT_FILTER_H_
