#include "internal/event_filter.h"

#include "absl/strings/str_cat.h"
#include "internal/config_util.h"

namespace churnkit::internal {
namespace {}  // namespace

absl::StatusOr<CompiledFilter> CompileFilter(const v1::EventFilter& f,
                                             const std::string& path) {
  CompiledFilter out;
  for (int i = 0; i < f.kinds_size(); ++i) {
    const int k = f.kinds(i);
    if (k <= 0 || !v1::EventKind_IsValid(k) || k >= 32) {
      return PathError(absl::StrCat(path, ".kinds[", i, "]"),
                       absl::StrCat("unknown event kind ", k));
    }
    out.kind_mask |= 1u << k;
  }
  for (int i = 0; i < f.subtypes_size(); ++i) {
    const int s = f.subtypes(i);
    if (s <= 0 || !v1::EventSubtype_IsValid(s)) {
      return PathError(absl::StrCat(path, ".subtypes[", i, "]"),
                       absl::StrCat("unknown event subtype ", s));
    }
    if (out.kind_mask != 0 && !(out.kind_mask & (1u << (s / 100)))) {
      return PathError(absl::StrCat(path, ".subtypes[", i, "]"),
                       absl::StrCat(v1::EventSubtype_Name(s),
                                    " belongs to none of the filter's kinds"));
    }
    out.subtypes.push_back(static_cast<uint16_t>(s));
  }
  for (const std::string& k : f.keys()) out.keys.push_back(k);
  for (int i = 0; i < f.flags_size(); ++i) {
    switch (f.flags(i)) {
      case v1::COMPLAINT:
        out.flags |= kFlagComplaint;
        break;
      case v1::STOCKOUT:
        out.flags |= kFlagStockout;
        break;
      case v1::DECISION_MAKER_FLAG:
        out.flags |= kFlagDecisionMaker;
        break;
      case v1::NEGATIVE_FEEDBACK:
        out.flags |= kFlagNegativeFeedback;
        break;
      case v1::CREDIT_USED:
        out.flags |= kFlagCreditUsed;
        break;
      default:
        return PathError(absl::StrCat(path, ".flags[", i, "]"),
                         absl::StrCat("unknown flag ", f.flags(i)));
    }
  }
  return out;
}

void BoundFilter::Bind(const CompiledFilter& f, const Dataset& dataset) {
  kind_mask_ = f.kind_mask;
  subtypes_ = &f.subtypes;
  has_keys_ = !f.keys.empty();
  flags_ = f.flags;
  keys_.clear();
  for (const std::string& k : f.keys) {
    if (std::optional<StringId> id = dataset.strings().Find(k)) {
      keys_.push_back(*id);
    }
  }
  std::sort(keys_.begin(), keys_.end());
}

AnyFilter::AnyFilter(const std::vector<BoundFilter>& bound,
                     absl::Span<const int> ids) {
  for (int id : ids) {
    const BoundFilter& f = bound[id];
    kinds_ |= f.kinds();
    if (f.kinds_only()) {
      kinds_only_ |= f.kinds();
    } else {
      rest_.push_back(f);
    }
  }
}

void AnyFilter::Select(const EventTable& ev, size_t begin, size_t end,
                       std::vector<size_t>* out) const {
  const size_t at = out->size();
  out->resize(at + (end - begin));
  size_t* const first = out->data() + at;
  size_t n = 0;
  const uint32_t checked = kinds_ & ~kinds_only_;  // kinds rest_ decides
  const uint8_t* const kind = ev.kind.data();
  for (size_t i = begin; i < end; ++i) {
    const uint32_t bit = 1u << kind[i];
    bool match = (kinds_only_ & bit) != 0;
    if (checked & bit) [[unlikely]] {
      match = Match(ev, i);
    }
    first[n] = i;
    n += match;
  }
  out->resize(at + n);
}

absl::Status CheckAsOfAfterData(const Dataset& dataset, UnixSeconds as_of) {
  if (as_of == kNoTime) return absl::InvalidArgumentError("as_of: not set");
  if (dataset.num_events() > 0 && as_of <= dataset.first_event_time()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "as_of: ", FormatTime(as_of), " is not after the first event of the ",
        "data set (", FormatTime(dataset.first_event_time()),
        "); nothing is known before it"));
  }
  return absl::OkStatus();
}

std::vector<BoundFilter> BindFilters(const std::vector<CompiledFilter>& filters,
                                     const Dataset& dataset) {
  std::vector<BoundFilter> out;
  BindFilters(filters, dataset, &out);
  return out;
}

void BindFilters(const std::vector<CompiledFilter>& filters,
                 const Dataset& dataset, std::vector<BoundFilter>* out) {
  out->resize(filters.size());
  for (size_t i = 0; i < filters.size(); ++i) {
    (*out)[i].Bind(filters[i], dataset);
  }
}

}  // namespace churnkit::internal
