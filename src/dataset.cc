#include "churnkit/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "internal/chunked_column.h"
#include "internal/time.h"
#include "internal/utf8.h"

namespace churnkit {
namespace {

using google::protobuf::Timestamp;

template <typename T>
size_t VectorBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

UnixSeconds FromTimestamp(const Timestamp& t) {
  // An all-zero Timestamp is "unset" in proto3.
  if (t.seconds() == 0 && t.nanos() == 0) return kNoTime;
  return t.seconds();
}

void SetTimestamp(UnixSeconds t, Timestamp* out) {
  if (t != kNoTime) out->set_seconds(t);
}

bool IsValidKind(int32_t kind) {
  return kind != v1::EVENT_KIND_UNSPECIFIED && v1::EventKind_IsValid(kind);
}

// Applies `order` (new position -> old position) to a column.
template <typename T>
void Permute(std::vector<T>& column, const std::vector<uint64_t>& order) {
  std::vector<T> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = column[order[i]];
  column = std::move(out);
}

// Moves row i of every column to position dest[i] - base, in place, so that
// no column is ever copied whole. Swapping each row straight to its place
// would wait on a cache miss per row; instead the rows are first
// partitioned in place by range of destination (a few hundred sequential
// streams), recursively, until a range fits in the cache, where the swaps
// finish it. `dest` is consumed (left as the identity).
template <typename Index, typename... Ts>
void ScatterInPlace(absl::Span<Index> dest, size_t base,
                    absl::Span<Ts>... columns) {
  constexpr size_t kCachedRows = size_t{1} << 17;  // ~5 MB of event columns
  constexpr size_t kMaxParts = 256;
  auto swap_rows = [&](size_t i, size_t j) {
    (std::swap(columns[i], columns[j]), ...);
    std::swap(dest[i], dest[j]);
  };
  const size_t n = dest.size();
  if (n <= kCachedRows) {
    for (size_t i = 0; i < n; ++i) {
      while (dest[i] - base != i) swap_rows(i, dest[i] - base);
    }
    return;
  }
  const size_t at_most =
      std::min(kMaxParts, (n + kCachedRows - 1) / kCachedRows);
  const size_t width = (n + at_most - 1) / at_most;
  const size_t parts = (n + width - 1) / width;
  std::vector<size_t> next(parts);
  for (size_t p = 0; p < parts; ++p) next[p] = p * width;
  for (size_t p = 0; p < parts; ++p) {
    const size_t begin = p * width;
    const size_t end = std::min(n, begin + width);
    while (next[p] < end) {
      const size_t i = next[p];
      const size_t to = dest[i] - base;
      if (to >= begin && to < end) {  // no division for rows already in place
        ++next[p];
      } else {
        swap_rows(i, next[to / width]++);
      }
    }
  }
  for (size_t p = 0; p < parts; ++p) {
    const size_t first = p * width;
    const size_t size = std::min(n - first, width);
    ScatterInPlace(dest.subspan(first, size), base + first,
                   columns.subspan(first, size)...);
  }
}

// Groups rows by owner (customer index) keeping input order, optionally
// sorting each group by `key`; fills `offsets` and returns the order.
template <typename Offset, typename Key>
std::vector<uint64_t> GroupRows(const std::vector<CustomerIndex>& owner,
                                size_t num_customers, const Key* key,
                                std::vector<Offset>* offsets) {
  offsets->assign(num_customers + 1, 0);
  for (CustomerIndex c : owner) ++(*offsets)[c + 1];
  for (size_t c = 0; c < num_customers; ++c) {
    (*offsets)[c + 1] += (*offsets)[c];
  }
  std::vector<Offset> next(offsets->begin(), offsets->end() - 1);
  std::vector<uint64_t> order(owner.size());
  for (size_t i = 0; i < owner.size(); ++i) order[next[owner[i]]++] = i;
  if (key != nullptr) {
    for (size_t c = 0; c < num_customers; ++c) {
      auto first = order.begin() + (*offsets)[c];
      auto last = order.begin() + (*offsets)[c + 1];
      const bool sorted = std::is_sorted(
          first, last,
          [key](uint64_t a, uint64_t b) { return (*key)[a] < (*key)[b]; });
      if (!sorted) {
        std::stable_sort(first, last, [key](uint64_t a, uint64_t b) {
          return (*key)[a] < (*key)[b];
        });
      }
    }
  }
  return order;
}

// Groups rows by owner (customer index) keeping input order, in place:
// writes over each row's owner the position the row moves to, and fills
// `offsets`.
template <typename Index, typename Offset>
void GroupPositionsInPlace(size_t num_customers, std::vector<Index>* rows,
                           std::vector<Offset>* offsets) {
  offsets->assign(num_customers + 1, 0);
  for (Index c : *rows) ++(*offsets)[c + 1];
  for (size_t c = 0; c < num_customers; ++c) {
    (*offsets)[c + 1] += (*offsets)[c];
  }
  std::vector<Offset> next(offsets->begin(), offsets->end() - 1);
  for (Index& row : *rows) row = static_cast<Index>(next[row]++);
}

// The checks of one row under ValidationOptions: the accepted time range,
// or the options' own error. Cheap to make, unlike a DatasetBuilder, so
// that CustomerSlice checks added events without one.
struct RowChecks {
  explicit RowChecks(const v1::ValidationOptions& options);

  // Returns a reason when `t` is set and outside the sane range.
  std::string TimeProblem(UnixSeconds t) const;
  static std::string MoneyProblem(double v);
  // The first problem that makes AddEvent reject `e` as {field, reason},
  // its customer's existence aside (Build resolves customers); an empty
  // field when there is none.
  std::pair<absl::string_view, std::string> EventProblem(
      const EventInput& e) const;
  // The error AddEvent returns for `e` under STRICT, or OK.
  absl::Status CheckEvent(const EventInput& e, RowRef where) const;

  absl::Status config_status;
  UnixSeconds min_time = 0;
  UnixSeconds max_time = 0;
};

}  // namespace

// ---- Time ---------------------------------------------------------------

std::string FormatTime(UnixSeconds t) { return internal::FormatUnixTime(t); }

absl::StatusOr<UnixSeconds> ParseTime(absl::string_view text) {
  UnixSeconds t;
  if (!internal::ParseUnixTime(text, &t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a valid date or time"));
  }
  return t;
}

// ---- StringPool -----------------------------------------------------------

size_t StringPool::Hash::operator()(StringId id) const {
  const uint64_t b = storage->offsets[id];
  return absl::HashOf(absl::string_view(storage->bytes.data() + b,
                                        storage->offsets[id + 1] - b));
}
size_t StringPool::Hash::operator()(absl::string_view s) const {
  return absl::HashOf(s);
}
bool StringPool::Eq::operator()(StringId a, absl::string_view b) const {
  const uint64_t s = storage->offsets[a];
  return absl::string_view(storage->bytes.data() + s,
                           storage->offsets[a + 1] - s) == b;
}

StringPool::Storage::Storage(std::shared_ptr<const Storage> extended)
    : base(std::move(extended)), offsets{0}, index(0, Hash{this}, Eq{this}) {
  if (base != nullptr) {
    base_size =
        static_cast<StringId>(base->base_size + base->offsets.size() - 1);
  }
}

std::optional<StringId> StringPool::Storage::Find(absl::string_view s) const {
  if (base != nullptr) {
    // Strings the base added after this pool was made are not this pool's.
    std::optional<StringId> id = base->Find(s);
    if (id.has_value() && *id < base_size) return id;
  }
  auto it = index.find(s);
  if (it == index.end()) return std::nullopt;
  return base_size + *it;
}

StringPool::StringPool(std::shared_ptr<const Storage> base)
    : storage_(std::make_shared<Storage>(std::move(base))) {}

StringPool::StringPool() : StringPool(nullptr) { Intern(""); }

StringPool StringPool::Extend() const { return StringPool(storage_); }

StringId StringPool::Intern(absl::string_view s) {
  if (std::optional<StringId> id = Find(s)) return *id;
  Storage& m = *storage_;
  const StringId i = static_cast<StringId>(m.offsets.size() - 1);
  m.bytes.append(s.data(), s.size());
  m.offsets.push_back(m.bytes.size());
  m.index.insert(i);
  return m.base_size + i;
}

size_t StringPool::MemoryUsage() const {
  const Storage& m = *storage_;
  return m.bytes.capacity() + VectorBytes(m.offsets) +
         m.index.capacity() * (sizeof(StringId) + 1);
}

void StringPool::ShrinkToFit() {
  storage_->bytes.shrink_to_fit();
  storage_->offsets.shrink_to_fit();
}

// ---- Dataset --------------------------------------------------------------

Dataset::Dataset() { events_.offsets.push_back(0); }

void Dataset::Clear() {
  auto clear = [](auto&... columns) { (columns.clear(), ...); };
  CustomerTable& c = customers_;
  clear(c.id, c.name, c.industry, c.size, c.region, c.tier, c.owner_id,
        c.product, c.signup_time, c.annual_value, c.attr_offsets, c.attr_key,
        c.attr_value);
  EventTable& e = events_;
  clear(e.offsets, e.kind, e.subtype, e.time, e.amount, e.value, e.key, e.group,
        e.flags);
  e.offsets.push_back(0);
  ContactTable& k = contacts_;
  clear(k.offsets, k.id, k.name, k.role, k.decision_maker, k.added_time,
        k.left_time);
  ContractTable& t = contracts_;
  clear(t.offsets, t.id, t.product, t.start_time, t.end_time, t.renewal_time,
        t.value);
  OwnerTable& o = owners_;
  clear(o.id, o.name, o.manager_id, o.role, customer_by_id_);
  strings_ = StringPool();
  first_event_time_ = last_event_time_ = kNoTime;
}

size_t Dataset::EventAtOrAfter(CustomerIndex c, UnixSeconds t,
                               size_t end) const {
  const size_t begin = event_begin(c);
  const UnixSeconds* time = events_.time.data();
  // Gallop back from the end: `hi` is known at or after t, `lo` before it
  // (or the first event).
  size_t hi = end, step = 1;
  while (hi > begin && time[hi - 1] >= t) {
    const size_t lo = hi > begin + step ? hi - step : begin;
    if (time[lo] < t) {
      return std::lower_bound(time + lo + 1, time + hi - 1, t) - time;
    }
    hi = lo;
    step *= 2;
  }
  return hi;
}

std::optional<CustomerIndex> Dataset::FindCustomer(absl::string_view id) const {
  std::optional<StringId> s = strings_.Find(id);
  if (!s) return std::nullopt;
  auto it = customer_by_id_.find(*s);
  if (it == customer_by_id_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Dataset> Dataset::CustomerSlice(
    CustomerIndex c, absl::Span<const EventInput> added,
    const v1::ValidationOptions& validation) const {
  Dataset out;
  if (absl::Status s = CustomerSlice(c, added, validation, &out); !s.ok()) {
    return s;
  }
  return out;
}

absl::Status Dataset::CustomerSlice(CustomerIndex c,
                                    absl::Span<const EventInput> added,
                                    const v1::ValidationOptions& validation,
                                    Dataset* slice) const {
  if (slice == nullptr || slice == this) {
    return absl::InvalidArgumentError(
        "slice: null, or the data set being sliced; pass another Dataset");
  }
  if (c >= num_customers()) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer: index ", c, " out of range (", num_customers(),
                     " customers)"));
  }
  const absl::string_view id = customer_id(c);
  UnixSeconds first = first_event_time_, last = last_event_time_;
  if (!added.empty()) {
    const RowChecks checker(validation);
    for (size_t i = 0; i < added.size(); ++i) {
      EventInput e = added[i];
      if (!e.customer_id.empty() && e.customer_id != id) {
        return absl::InvalidArgumentError(internal::ToValidUtf8(absl::StrCat(
            "added event:", i + 1, ": customer_id: '", e.customer_id,
            "' is not the customer's ('", id, "')")));
      }
      e.customer_id = id;
      if (absl::Status s =
              checker.CheckEvent(e, {"added event", int64_t(i + 1)});
          !s.ok()) {
        return s;
      }
      first = first == kNoTime ? e.time : std::min(first, e.time);
      last = last == kNoTime ? e.time : std::max(last, e.time);
    }
  }
  Dataset& out = *slice;
  // The slice shares this data set's strings, so their ids carry over.
  out.strings_ = strings_.Extend();
  StringPool& pool = out.strings_;
  // Rows [b, e) of `from` into `to`, keeping to's buffer.
  auto rows = [](auto& to, const auto& from, size_t b, size_t e) {
    to.assign(from.begin() + b, from.begin() + e);
  };
  const CustomerTable& from = customers_;
  CustomerTable& ct = out.customers_;
  for (auto [src, dst] : {std::pair{&from.id, &ct.id},
                          {&from.name, &ct.name},
                          {&from.industry, &ct.industry},
                          {&from.size, &ct.size},
                          {&from.region, &ct.region},
                          {&from.tier, &ct.tier},
                          {&from.owner_id, &ct.owner_id},
                          {&from.product, &ct.product}}) {
    rows(*dst, *src, c, c + 1);
  }
  rows(ct.signup_time, from.signup_time, c, c + 1);
  rows(ct.annual_value, from.annual_value, c, c + 1);
  const uint32_t attr_begin = from.attr_offsets[c],
                 attr_end = from.attr_offsets[c + 1];
  rows(ct.attr_key, from.attr_key, attr_begin, attr_end);
  rows(ct.attr_value, from.attr_value, attr_begin, attr_end);
  ct.attr_offsets = {0, attr_end - attr_begin};
  out.customer_by_id_.clear();
  out.customer_by_id_.emplace(ct.id[0], 0);

  // Events: c's (sorted) merged with the added ones sorted, the added after
  // c's of the same time, as appending them to the input would order them.
  const EventTable& ev = events_;
  EventTable& oe = out.events_;
  const size_t b = event_begin(c), end = event_end(c);
  const size_t n = end - b + added.size();
  std::vector<uint32_t> order(added.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return added[x].time < added[y].time;
  });
  oe.kind.clear(), oe.flags.clear(), oe.subtype.clear(), oe.time.clear();
  oe.amount.clear(), oe.value.clear(), oe.key.clear(), oe.group.clear();
  oe.kind.reserve(n), oe.flags.reserve(n), oe.subtype.reserve(n);
  oe.time.reserve(n), oe.amount.reserve(n), oe.value.reserve(n);
  oe.key.reserve(n), oe.group.reserve(n);
  size_t e = b;
  auto take = [&](UnixSeconds until) {  // c's events up to `until`
    const size_t stop =
        std::upper_bound(ev.time.begin() + e, ev.time.begin() + end, until) -
        ev.time.begin();
    auto append = [&](auto& to, const auto& from) {
      to.insert(to.end(), from.begin() + e, from.begin() + stop);
    };
    append(oe.kind, ev.kind);
    append(oe.subtype, ev.subtype);
    append(oe.time, ev.time);
    append(oe.amount, ev.amount);
    append(oe.value, ev.value);
    append(oe.flags, ev.flags);
    append(oe.key, ev.key);
    append(oe.group, ev.group);
    e = stop;
  };
  for (uint32_t i : order) {
    const EventInput& a = added[i];
    take(a.time);
    oe.kind.push_back(static_cast<uint8_t>(a.kind));
    oe.subtype.push_back(static_cast<uint16_t>(a.subtype));
    oe.time.push_back(a.time);
    oe.amount.push_back(a.amount);
    oe.value.push_back(a.value);
    oe.key.push_back(pool.Intern(a.key));
    oe.group.push_back(pool.Intern(a.group));
    oe.flags.push_back(a.flags);
  }
  take(std::numeric_limits<UnixSeconds>::max());
  oe.offsets = {0, n};

  const ContactTable& cs = contacts_;
  ContactTable& oc = out.contacts_;
  const uint32_t cs_begin = cs.offsets[c], cs_end = cs.offsets[c + 1];
  rows(oc.id, cs.id, cs_begin, cs_end);
  rows(oc.name, cs.name, cs_begin, cs_end);
  rows(oc.role, cs.role, cs_begin, cs_end);
  rows(oc.decision_maker, cs.decision_maker, cs_begin, cs_end);
  rows(oc.added_time, cs.added_time, cs_begin, cs_end);
  rows(oc.left_time, cs.left_time, cs_begin, cs_end);
  oc.offsets = {0, cs_end - cs_begin};
  const ContractTable& ks = contracts_;
  ContractTable& ok = out.contracts_;
  const uint32_t ks_begin = ks.offsets[c], ks_end = ks.offsets[c + 1];
  rows(ok.id, ks.id, ks_begin, ks_end);
  rows(ok.product, ks.product, ks_begin, ks_end);
  rows(ok.start_time, ks.start_time, ks_begin, ks_end);
  rows(ok.end_time, ks.end_time, ks_begin, ks_end);
  rows(ok.renewal_time, ks.renewal_time, ks_begin, ks_end);
  rows(ok.value, ks.value, ks_begin, ks_end);
  ok.offsets = {0, ks_end - ks_begin};
  // The owner, for assignees (its manager's id is kept as a string); none
  // when c's owner is not in the owner table.
  const OwnerTable& os = owners_;
  size_t o = 0;
  while (o < os.id.size() && os.id[o] != from.owner_id[c]) ++o;
  const size_t o_end = std::min(o + 1, os.id.size());
  rows(out.owners_.id, os.id, o, o_end);
  rows(out.owners_.name, os.name, o, o_end);
  rows(out.owners_.manager_id, os.manager_id, o, o_end);
  rows(out.owners_.role, os.role, o, o_end);
  out.first_event_time_ = first;
  out.last_event_time_ = last;
  return absl::OkStatus();
}

size_t Dataset::MemoryUsage() const {
  const CustomerTable& c = customers_;
  const EventTable& e = events_;
  size_t n = strings_.MemoryUsage();
  for (const auto* v :
       {&c.id, &c.name, &c.industry, &c.size, &c.region, &c.tier, &c.owner_id,
        &c.product, &c.attr_key, &c.attr_value}) {
    n += VectorBytes(*v);
  }
  n += VectorBytes(c.signup_time) + VectorBytes(c.annual_value) +
       VectorBytes(c.attr_offsets);
  n += VectorBytes(e.offsets) + VectorBytes(e.kind) + VectorBytes(e.subtype) +
       VectorBytes(e.time) + VectorBytes(e.amount) + VectorBytes(e.value) +
       VectorBytes(e.key) + VectorBytes(e.group) + VectorBytes(e.flags);
  const ContactTable& k = contacts_;
  n += VectorBytes(k.offsets) + VectorBytes(k.id) + VectorBytes(k.name) +
       VectorBytes(k.role) + VectorBytes(k.decision_maker) +
       VectorBytes(k.added_time) + VectorBytes(k.left_time);
  const ContractTable& t = contracts_;
  n += VectorBytes(t.offsets) + VectorBytes(t.id) + VectorBytes(t.product) +
       VectorBytes(t.start_time) + VectorBytes(t.end_time) +
       VectorBytes(t.renewal_time) + VectorBytes(t.value);
  const OwnerTable& o = owners_;
  n += VectorBytes(o.id) + VectorBytes(o.name) + VectorBytes(o.manager_id) +
       VectorBytes(o.role);
  n += customer_by_id_.capacity() * (sizeof(StringId) + sizeof(CustomerIndex));
  return n;
}

v1::DatasetSummary Dataset::Summary() const {
  v1::DatasetSummary s;
  s.set_customers(num_customers());
  s.set_events(num_events());
  s.set_contacts(num_contacts());
  s.set_contracts(num_contracts());
  s.set_owners(num_owners());
  if (num_events() > 0) {
    s.set_first_event_time(FormatTime(first_event_time_));
    s.set_last_event_time(FormatTime(last_event_time_));
  }
  int64_t by_kind[256] = {};
  for (uint8_t k : events_.kind) ++by_kind[k];
  for (int k = 0; k < 256; ++k) {
    if (by_kind[k] > 0) {
      (*s.mutable_events_by_kind())[v1::EventKind_Name(k)] = by_kind[k];
    }
  }
  for (size_t c = 0; c < num_customers(); ++c) {
    ++(*s.mutable_customers_by_industry())[std::string(
        str(customers_.industry[c]))];
    ++(*s.mutable_customers_by_tier())[std::string(str(customers_.tier[c]))];
  }
  s.set_memory_bytes(MemoryUsage());
  return s;
}

v1::Customer Dataset::CustomerMessage(CustomerIndex c) const {
  const CustomerTable& t = customers_;
  v1::Customer m;
  m.set_id(std::string(str(t.id[c])));
  m.set_name(std::string(str(t.name[c])));
  m.set_industry(std::string(str(t.industry[c])));
  m.set_size(std::string(str(t.size[c])));
  m.set_region(std::string(str(t.region[c])));
  m.set_tier(std::string(str(t.tier[c])));
  m.set_owner_id(std::string(str(t.owner_id[c])));
  m.set_product(std::string(str(t.product[c])));
  SetTimestamp(t.signup_time[c], m.mutable_signup_time());
  if (t.signup_time[c] == kNoTime) m.clear_signup_time();
  m.set_annual_value(t.annual_value[c]);
  for (uint32_t a = t.attr_offsets[c]; a < t.attr_offsets[c + 1]; ++a) {
    (*m.mutable_attributes())[std::string(str(t.attr_key[a]))] =
        std::string(str(t.attr_value[a]));
  }
  return m;
}

v1::Event Dataset::EventMessage(size_t e, CustomerIndex c) const {
  const EventTable& t = events_;
  v1::Event m;
  m.set_customer_id(std::string(customer_id(c)));
  m.set_kind(static_cast<v1::EventKind>(t.kind[e]));
  m.mutable_time()->set_seconds(t.time[e]);
  m.set_subtype(static_cast<v1::EventSubtype>(t.subtype[e]));
  m.set_amount(t.amount[e]);
  m.set_value(t.value[e]);
  m.set_key(std::string(str(t.key[e])));
  m.set_group(std::string(str(t.group[e])));
  const uint8_t f = t.flags[e];
  m.set_complaint(f & kFlagComplaint);
  m.set_stockout(f & kFlagStockout);
  m.set_decision_maker(f & kFlagDecisionMaker);
  m.set_negative_feedback(f & kFlagNegativeFeedback);
  m.set_credit_used(f & kFlagCreditUsed);
  return m;
}

v1::Contact Dataset::ContactMessage(size_t i, CustomerIndex c) const {
  const ContactTable& t = contacts_;
  v1::Contact m;
  m.set_id(std::string(str(t.id[i])));
  m.set_customer_id(std::string(customer_id(c)));
  m.set_name(std::string(str(t.name[i])));
  m.set_role(std::string(str(t.role[i])));
  m.set_decision_maker(t.decision_maker[i] != 0);
  if (t.added_time[i] != kNoTime)
    SetTimestamp(t.added_time[i], m.mutable_added_time());
  if (t.left_time[i] != kNoTime)
    SetTimestamp(t.left_time[i], m.mutable_left_time());
  return m;
}

v1::Contract Dataset::ContractMessage(size_t i, CustomerIndex c) const {
  const ContractTable& t = contracts_;
  v1::Contract m;
  m.set_id(std::string(str(t.id[i])));
  m.set_customer_id(std::string(customer_id(c)));
  if (t.start_time[i] != kNoTime)
    SetTimestamp(t.start_time[i], m.mutable_start_time());
  if (t.end_time[i] != kNoTime)
    SetTimestamp(t.end_time[i], m.mutable_end_time());
  if (t.renewal_time[i] != kNoTime) {
    SetTimestamp(t.renewal_time[i], m.mutable_renewal_time());
  }
  m.set_value(t.value[i]);
  m.set_product(std::string(str(t.product[i])));
  return m;
}

v1::Owner Dataset::OwnerMessage(size_t i) const {
  const OwnerTable& t = owners_;
  v1::Owner m;
  m.set_id(std::string(str(t.id[i])));
  m.set_name(std::string(str(t.name[i])));
  m.set_manager_id(std::string(str(t.manager_id[i])));
  m.set_role(std::string(str(t.role[i])));
  return m;
}

EventInput ToEventInput(const v1::Event& event) {
  EventInput in;
  in.customer_id = event.customer_id();
  in.kind = event.kind();
  in.subtype = event.subtype();
  in.time = event.has_time() ? event.time().seconds() : kNoTime;
  in.amount = event.amount();
  in.value = event.value();
  in.key = event.key();
  in.group = event.group();
  in.flags = (event.complaint() ? kFlagComplaint : 0) |
             (event.stockout() ? kFlagStockout : 0) |
             (event.decision_maker() ? kFlagDecisionMaker : 0) |
             (event.negative_feedback() ? kFlagNegativeFeedback : 0) |
             (event.credit_used() ? kFlagCreditUsed : 0);
  return in;
}

// ---- DatasetBuilder -------------------------------------------------------

namespace {

// The error of a row as STRICT reports it: "source:row: field: reason".
absl::Status RowError(RowRef where, absl::string_view field,
                      absl::string_view reason) {
  // Reasons quote the offending cells, which may be invalid UTF-8.
  return absl::InvalidArgumentError(internal::ToValidUtf8(
      absl::StrCat(where.source, ":", where.row, ": ",
                   field.empty() ? "" : absl::StrCat(field, ": "), reason)));
}

}  // namespace

struct DatasetBuilder::Impl : RowChecks {
  using RowChecks::RowChecks;

  v1::ValidationOptions options;
  bool strict = false;
  size_t max_errors = 1000;
  bool implicit_customers = false;
  UnixSeconds history_start = kNoTime;
  v1::ErrorReport report;
  int64_t rows_read[6] = {};

  // Interned source names; rows staged for resolution in Build() carry an
  // index into it so errors can still name file and row.
  std::vector<std::string> sources;
  absl::flat_hash_map<std::string, uint32_t> source_index;

  Dataset ds;  // customers and owners go straight in; the rest is staged

  struct Where {
    uint32_t source;
    int64_t row;
  };
  // Where staged rows came from, as runs of consecutive rows of one source:
  // a clean file is one run, so millions of rows cost a few bytes.
  class WhereLog {
   public:
    void Add(uint32_t source, int64_t row) {
      if (runs_.empty() || runs_.back().source != source ||
          runs_.back().row + static_cast<int64_t>(size_ - runs_.back().first) !=
              row) {
        runs_.push_back({size_, source, row});
      }
      ++size_;
    }
    // The source and row of the i-th row added.
    Where operator[](size_t i) const {
      auto run = std::upper_bound(
          runs_.begin(), runs_.end(), i,
          [](size_t index, const Run& r) { return index < r.first; });
      --run;
      return {run->source, run->row + static_cast<int64_t>(i - run->first)};
    }

   private:
    struct Run {
      size_t first;  // index of the run's first row
      uint32_t source;
      int64_t row;  // row of the run's first row
    };
    std::vector<Run> runs_;
    size_t size_ = 0;
  };
  // Staged events (customer as interned id string), in chunks: they are
  // most of the memory, and Build() moves them into the data set one
  // column at a time.
  struct StagedEvents {
    internal::ChunkedColumn<StringId> customer, key, group;
    internal::ChunkedColumn<uint8_t> kind, flags;
    internal::ChunkedColumn<uint16_t> subtype;
    internal::ChunkedColumn<UnixSeconds> time;
    internal::ChunkedColumn<double> amount, value;
  };
  StagedEvents ev;
  WhereLog ev_where;
  // Staged contacts and contracts.
  std::vector<StringId> ct_customer, kc_customer;
  WhereLog ct_where, kc_where;
  std::vector<Where> owner_where;
  absl::flat_hash_set<StringId> owner_ids;  // for duplicate checks

  uint32_t SourceId(absl::string_view source) {
    auto it = source_index.find(source);
    if (it != source_index.end()) return it->second;
    const uint32_t id = sources.size();
    sources.emplace_back(source);
    source_index.emplace(std::string(source), id);
    return id;
  }

  absl::Status Error(RowRef where, absl::string_view field,
                     absl::string_view reason) {
    if (strict) return RowError(where, field, reason);
    if (static_cast<size_t>(report.errors_size()) < max_errors) {
      v1::DataError* e = report.add_errors();
      e->set_source(internal::ToValidUtf8(where.source));
      e->set_row(where.row);
      e->set_field(internal::ToValidUtf8(field));
      e->set_reason(internal::ToValidUtf8(reason));
    }
    report.set_total_errors(report.total_errors() + 1);
    return absl::OkStatus();
  }

  absl::Status Error(Where w, absl::string_view field,
                     absl::string_view reason) {
    return Error(RowRef{sources[w.source], w.row}, field, reason);
  }

  void WarnManagerCycles();

  // Doubtful but kept, whatever the policy.
  void Warn(Where w, absl::string_view field, absl::string_view reason) {
    if (static_cast<size_t>(report.warnings_size()) < max_errors) {
      v1::DataError* e = report.add_warnings();
      e->set_source(internal::ToValidUtf8(sources[w.source]));
      e->set_row(w.row);
      e->set_field(internal::ToValidUtf8(field));
      e->set_reason(internal::ToValidUtf8(reason));
    }
    report.set_total_warnings(report.total_warnings() + 1);
  }
};

RowChecks::RowChecks(const v1::ValidationOptions& options) {
  if (!v1::ErrorPolicy_IsValid(options.policy())) {
    config_status = absl::InvalidArgumentError(absl::StrCat(
        "validation.policy: unknown error policy ", options.policy()));
  }
  const std::string min =
      options.min_date().empty() ? "1970-01-01" : options.min_date();
  const std::string max =
      options.max_date().empty() ? "2100-12-31" : options.max_date();
  if (!internal::ParseUnixTime(min, &min_time)) {
    config_status = absl::InvalidArgumentError(
        absl::StrCat("validation.min_date: '", min, "' is not a date"));
  }
  if (!internal::ParseUnixTime(max, &max_time)) {
    config_status = absl::InvalidArgumentError(
        absl::StrCat("validation.max_date: '", max, "' is not a date"));
  }
  max_time += 86400 - 1;  // the whole last day is accepted
  if (config_status.ok() && min_time > max_time) {
    config_status = absl::InvalidArgumentError(
        "validation.min_date: after validation.max_date");
  }
}

std::string RowChecks::TimeProblem(UnixSeconds t) const {
  if (t == kNoTime) return "";
  if (t < min_time || t > max_time) {
    return absl::StrCat(FormatTime(t), " is outside the accepted range ",
                        FormatTime(min_time), " .. ", FormatTime(max_time));
  }
  return "";
}

std::string RowChecks::MoneyProblem(double v) {
  if (!std::isfinite(v)) return absl::StrCat("not a finite number (", v, ")");
  if (v < 0) return absl::StrCat("negative amount ", v, " (must be >= 0)");
  return "";
}

absl::Status RowChecks::CheckEvent(const EventInput& e, RowRef where) const {
  if (!config_status.ok()) return config_status;
  auto [field, reason] = EventProblem(e);
  return field.empty() ? absl::OkStatus() : RowError(where, field, reason);
}

namespace {

// Validates an event's kind-specific fields; returns {field, reason} of the
// first problem, or an empty field and reason.
std::pair<absl::string_view, std::string> CheckEventValues(
    const EventInput& e) {
  if (!std::isfinite(e.value)) {
    return {"value", absl::StrCat("not a finite number (", e.value, ")")};
  }
  auto range = [&](double lo, double hi) -> std::string {
    if (e.value < lo || e.value > hi) {
      return absl::StrCat("value ", e.value, " outside ", lo, " .. ", hi);
    }
    return "";
  };
  std::string problem;
  switch (e.subtype) {
    case v1::NPS:
      problem = range(0, 10);
      break;
    case v1::CSAT:
      problem = range(1, 5);
      break;
    case v1::SATISFACTION:
      problem = range(0, 100);
      break;
    default:
      break;
  }
  if (!problem.empty()) return {"value", problem};
  switch (e.kind) {
    case v1::FEATURE_USE:
    case v1::INTERVENTION:
      if (e.key.empty()) {
        return {"key",
                absl::StrCat(v1::EventKind_Name(e.kind), " requires a key")};
      }
      break;
    case v1::PAYMENT:
      break;  // days late may be negative (paid early)
    default:
      if (e.value < 0) {
        return {"value",
                absl::StrCat("negative value ", e.value, " not allowed for ",
                             v1::EventKind_Name(e.kind))};
      }
  }
  if (e.kind == v1::FEATURE_USE && e.value < 0) {
    return {"value", "negative use count"};
  }
  return {"", ""};
}

}  // namespace

DatasetBuilder::DatasetBuilder(const v1::ValidationOptions& options)
    : impl_(std::make_unique<Impl>(options)) {
  Impl& m = *impl_;
  m.options = options;
  m.strict = options.policy() == v1::STRICT;
  if (options.max_errors() > 0) m.max_errors = options.max_errors();
}

DatasetBuilder::~DatasetBuilder() = default;
DatasetBuilder::DatasetBuilder(DatasetBuilder&&) noexcept = default;
DatasetBuilder& DatasetBuilder::operator=(DatasetBuilder&&) noexcept = default;

const v1::ErrorReport& DatasetBuilder::report() const { return impl_->report; }
const v1::ValidationOptions& DatasetBuilder::options() const {
  return impl_->options;
}
void DatasetBuilder::set_implicit_customers(bool on) {
  impl_->implicit_customers = on;
}

void DatasetBuilder::set_history_start(UnixSeconds t) {
  impl_->history_start = t;
}

absl::Status DatasetBuilder::CheckEvent(const EventInput& event,
                                        RowRef where) const {
  return impl_->CheckEvent(event, where);
}

void DatasetBuilder::CountRead(v1::Table table, int64_t n) {
  impl_->rows_read[table] += n;
}

namespace {

// Why `text` cannot be stored, or nullptr: protobuf parsers refuse invalid
// UTF-8, and a NUL cuts every C string carrying it short (so "c1\0a" and
// "c1" would print alike).
const char* TextProblem(absl::string_view text) {
  if (!internal::IsValidUtf8(text)) return "not valid UTF-8";
  if (text.find('\0') != absl::string_view::npos) return "holds a NUL byte";
  return nullptr;
}

struct BadText {
  absl::string_view field;
  const char* reason = nullptr;
};

// The first of the texts a row stores that cannot be; reason nullptr when
// all can.
BadText FirstBadText(
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>
        texts) {
  for (const auto& [field, text] : texts) {
    if (const char* p = TextProblem(text)) return {field, p};
  }
  return {};
}

}  // namespace

absl::Status DatasetBuilder::ReportError(RowRef where, absl::string_view field,
                                         absl::string_view reason) {
  return impl_->Error(where, field, reason);
}

absl::Status DatasetBuilder::AddCustomer(const v1::Customer& c, RowRef where) {
  Impl& m = *impl_;
  ++m.rows_read[v1::CUSTOMERS];
  if (!m.config_status.ok()) return m.config_status;
  if (const char* p = TextProblem(c.id())) return m.Error(where, "id", p);
  if (c.id().empty()) return m.Error(where, "id", "customer id is empty");
  Dataset& ds = m.ds;
  const StringId id = ds.strings_.Intern(c.id());
  const CustomerIndex index = ds.customers_.id.size();
  if (!ds.customer_by_id_.emplace(id, index).second) {
    return m.Error(where, "id",
                   absl::StrCat("duplicate customer id '", c.id(),
                                "' (the first one is kept)"));
  }
  // Past the id, a bad cell is reported and left empty (under LENIENT;
  // STRICT stops here): dropping the customer would drop its events,
  // contacts and contracts with it.
  std::pair<const char*, absl::string_view> texts[] = {
      {"name", c.name()},      {"industry", c.industry()},
      {"size", c.size()},      {"region", c.region()},
      {"tier", c.tier()},      {"owner_id", c.owner_id()},
      {"product", c.product()}};
  for (auto& [field, text] : texts) {
    if (const char* p = TextProblem(text)) {
      if (absl::Status s = m.Error(where, field, p); !s.ok()) return s;
      text = {};
    }
  }
  UnixSeconds signup = FromTimestamp(c.signup_time());
  if (std::string p = m.TimeProblem(signup); !p.empty()) {
    if (absl::Status s = m.Error(where, "signup_time", p); !s.ok()) return s;
    signup = kNoTime;
  }
  double annual_value = c.annual_value();
  if (std::string p = Impl::MoneyProblem(annual_value); !p.empty()) {
    if (absl::Status s = m.Error(where, "annual_value", p); !s.ok()) return s;
    annual_value = 0;
  }
  // Sorted keys keep the columns independent of map iteration order.
  std::vector<std::pair<absl::string_view, absl::string_view>> attrs;
  for (const auto& [k, v] : c.attributes()) {
    const char* p = TextProblem(k);
    if (p == nullptr) p = TextProblem(v);
    if (p != nullptr) {
      if (absl::Status s = m.Error(
              where, absl::StrCat("attributes[", internal::ToValidUtf8(k), "]"),
              p);
          !s.ok()) {
        return s;
      }
      continue;
    }
    attrs.emplace_back(k, v);
  }
  std::sort(attrs.begin(), attrs.end());
  CustomerTable& t = ds.customers_;
  StringPool& s = ds.strings_;
  t.id.push_back(id);
  for (auto [column, text] : {std::pair{&t.name, texts[0].second},
                              {&t.industry, texts[1].second},
                              {&t.size, texts[2].second},
                              {&t.region, texts[3].second},
                              {&t.tier, texts[4].second},
                              {&t.owner_id, texts[5].second},
                              {&t.product, texts[6].second}}) {
    column->push_back(s.Intern(text));
  }
  t.signup_time.push_back(signup);
  t.annual_value.push_back(annual_value);
  if (t.attr_offsets.empty()) t.attr_offsets.push_back(0);
  for (const auto& [k, v] : attrs) {
    t.attr_key.push_back(s.Intern(k));
    t.attr_value.push_back(s.Intern(v));
  }
  t.attr_offsets.push_back(t.attr_key.size());
  return absl::OkStatus();
}

std::pair<absl::string_view, std::string> RowChecks::EventProblem(
    const EventInput& e) const {
  if (BadText b = FirstBadText(
          {{"customer_id", e.customer_id}, {"key", e.key}, {"group", e.group}});
      b.reason != nullptr) {
    return {b.field, b.reason};
  }
  if (e.customer_id.empty()) return {"customer_id", "customer id is empty"};
  if (!IsValidKind(e.kind)) {
    return {"kind", e.kind == 0 ? std::string("event kind is missing")
                                : absl::StrCat("unknown event kind ", e.kind)};
  }
  if (e.subtype != 0) {
    if (!v1::EventSubtype_IsValid(e.subtype)) {
      return {"subtype", absl::StrCat("unknown event subtype ", e.subtype)};
    }
    if (e.subtype / 100 != e.kind) {
      return {"subtype",
              absl::StrCat("subtype ", v1::EventSubtype_Name(e.subtype),
                           " does not belong to kind ",
                           v1::EventKind_Name(e.kind))};
    }
  }
  if (e.time == kNoTime) return {"time", "time is missing"};
  if (std::string p = TimeProblem(e.time); !p.empty()) return {"time", p};
  if (std::string p = MoneyProblem(e.amount); !p.empty()) return {"amount", p};
  return CheckEventValues(e);
}

absl::Status DatasetBuilder::AddEvent(const EventInput& e, RowRef where) {
  Impl& m = *impl_;
  ++m.rows_read[v1::EVENTS];
  if (!m.config_status.ok()) return m.config_status;
  if (auto [field, reason] = m.EventProblem(e); !field.empty()) {
    return m.Error(where, field, reason);
  }
  StringPool& s = m.ds.strings_;
  m.ev.customer.push_back(s.Intern(e.customer_id));
  m.ev_where.Add(m.SourceId(where.source), where.row);
  m.ev.kind.push_back(static_cast<uint8_t>(e.kind));
  m.ev.subtype.push_back(static_cast<uint16_t>(e.subtype));
  m.ev.time.push_back(e.time);
  m.ev.amount.push_back(e.amount);
  m.ev.value.push_back(e.value);
  m.ev.key.push_back(s.Intern(e.key));
  m.ev.group.push_back(s.Intern(e.group));
  m.ev.flags.push_back(e.flags);
  return absl::OkStatus();
}

absl::Status DatasetBuilder::AddContact(const v1::Contact& c, RowRef where) {
  Impl& m = *impl_;
  ++m.rows_read[v1::CONTACTS];
  if (!m.config_status.ok()) return m.config_status;
  if (BadText b = FirstBadText({{"id", c.id()},
                                {"customer_id", c.customer_id()},
                                {"name", c.name()},
                                {"role", c.role()}});
      b.reason != nullptr) {
    return m.Error(where, b.field, b.reason);
  }
  if (c.id().empty()) return m.Error(where, "id", "contact id is empty");
  if (c.customer_id().empty()) {
    return m.Error(where, "customer_id", "customer id is empty");
  }
  const UnixSeconds added = FromTimestamp(c.added_time());
  const UnixSeconds left = FromTimestamp(c.left_time());
  if (std::string p = m.TimeProblem(added); !p.empty()) {
    return m.Error(where, "added_time", p);
  }
  if (std::string p = m.TimeProblem(left); !p.empty()) {
    return m.Error(where, "left_time", p);
  }
  if (added != kNoTime && left != kNoTime && left < added) {
    return m.Error(where, "left_time",
                   absl::StrCat("left ", FormatTime(left), " before added ",
                                FormatTime(added)));
  }
  StringPool& s = m.ds.strings_;
  ContactTable& t = m.ds.contacts_;
  m.ct_customer.push_back(s.Intern(c.customer_id()));
  m.ct_where.Add(m.SourceId(where.source), where.row);
  t.id.push_back(s.Intern(c.id()));
  t.name.push_back(s.Intern(c.name()));
  t.role.push_back(s.Intern(c.role()));
  t.decision_maker.push_back(c.decision_maker() ? 1 : 0);
  t.added_time.push_back(added);
  t.left_time.push_back(left);
  return absl::OkStatus();
}

absl::Status DatasetBuilder::AddContract(const v1::Contract& c, RowRef where) {
  Impl& m = *impl_;
  ++m.rows_read[v1::CONTRACTS];
  if (!m.config_status.ok()) return m.config_status;
  if (BadText b = FirstBadText({{"id", c.id()},
                                {"customer_id", c.customer_id()},
                                {"product", c.product()}});
      b.reason != nullptr) {
    return m.Error(where, b.field, b.reason);
  }
  if (c.id().empty()) return m.Error(where, "id", "contract id is empty");
  if (c.customer_id().empty()) {
    return m.Error(where, "customer_id", "customer id is empty");
  }
  const UnixSeconds start = FromTimestamp(c.start_time());
  const UnixSeconds end = FromTimestamp(c.end_time());
  const UnixSeconds renewal = FromTimestamp(c.renewal_time());
  if (start == kNoTime) return m.Error(where, "start_time", "start is missing");
  if (end == kNoTime) return m.Error(where, "end_time", "end is missing");
  for (auto [field, t] : {std::pair{"start_time", start},
                          {"end_time", end},
                          {"renewal_time", renewal}}) {
    if (std::string p = m.TimeProblem(t); !p.empty()) {
      return m.Error(where, field, p);
    }
  }
  if (end < start) {
    return m.Error(where, "end_time",
                   absl::StrCat("end ", FormatTime(end), " before start ",
                                FormatTime(start)));
  }
  if (std::string p = Impl::MoneyProblem(c.value()); !p.empty()) {
    return m.Error(where, "value", p);
  }
  StringPool& s = m.ds.strings_;
  ContractTable& t = m.ds.contracts_;
  m.kc_customer.push_back(s.Intern(c.customer_id()));
  m.kc_where.Add(m.SourceId(where.source), where.row);
  t.id.push_back(s.Intern(c.id()));
  t.product.push_back(s.Intern(c.product()));
  t.start_time.push_back(start);
  t.end_time.push_back(end);
  t.renewal_time.push_back(renewal == kNoTime ? end : renewal);
  t.value.push_back(c.value());
  return absl::OkStatus();
}

absl::Status DatasetBuilder::AddOwner(const v1::Owner& o, RowRef where) {
  Impl& m = *impl_;
  ++m.rows_read[v1::OWNERS];
  if (!m.config_status.ok()) return m.config_status;
  if (BadText b = FirstBadText({{"id", o.id()},
                                {"name", o.name()},
                                {"manager_id", o.manager_id()},
                                {"role", o.role()}});
      b.reason != nullptr) {
    return m.Error(where, b.field, b.reason);
  }
  if (o.id().empty()) return m.Error(where, "id", "owner id is empty");
  StringPool& s = m.ds.strings_;
  OwnerTable& t = m.ds.owners_;
  const StringId id = s.Intern(o.id());
  if (!m.owner_ids.insert(id).second) {
    return m.Error(where, "id",
                   absl::StrCat("duplicate owner id '", o.id(),
                                "' (the first one is kept)"));
  }
  t.id.push_back(id);
  t.name.push_back(s.Intern(o.name()));
  t.manager_id.push_back(s.Intern(o.manager_id()));
  t.role.push_back(s.Intern(o.role()));
  m.owner_where.push_back({m.SourceId(where.source), where.row});
  return absl::OkStatus();
}

// Warns once per owner -> manager cycle, at the row of the owner where the
// walk entered it.
void DatasetBuilder::Impl::WarnManagerCycles() {
  Impl& m = *this;
  const OwnerTable& t = m.ds.owners();
  absl::flat_hash_map<StringId, size_t> index;
  for (size_t i = 0; i < t.id.size(); ++i) index.emplace(t.id[i], i);
  // 0: not visited; 1: on the current chain; 2: done.
  std::vector<uint8_t> state(t.id.size(), 0);
  for (size_t start = 0; start < t.id.size(); ++start) {
    std::vector<size_t> chain;
    size_t i = start;
    while (state[i] == 0) {
      state[i] = 1;
      chain.push_back(i);
      auto it = index.find(t.manager_id[i]);
      if (t.manager_id[i] == 0 || it == index.end()) break;
      i = it->second;
    }
    if (state[i] == 1 && !chain.empty() && t.manager_id[chain.back()] != 0) {
      // i is on the chain just walked: the cycle runs from i to its end.
      std::vector<std::string> names;
      auto from = std::find(chain.begin(), chain.end(), i);
      for (auto c = from; c != chain.end(); ++c) {
        names.emplace_back(m.ds.str(t.id[*c]));
      }
      names.emplace_back(m.ds.str(t.id[i]));
      m.Warn(m.owner_where[i], "manager_id",
             absl::StrCat("owner -> manager cycle ",
                          absl::StrJoin(names, " -> "), " (kept)"));
    }
    for (size_t c : chain) state[c] = 2;
  }
}

absl::StatusOr<Dataset> DatasetBuilder::Build() {
  Impl& m = *impl_;
  if (!m.config_status.ok()) return m.config_status;
  Dataset& ds = m.ds;
  CustomerTable& ct = ds.customers_;
  if (ct.attr_offsets.empty()) ct.attr_offsets.push_back(0);

  // The staged events as columns, moved one by one so that they are never
  // held twice; `event_customer` becomes the owner column below.
  std::vector<StringId> event_customer = m.ev.customer.TakeVector();
  EventTable ev;
  ev.kind = m.ev.kind.TakeVector();
  ev.subtype = m.ev.subtype.TakeVector();
  ev.time = m.ev.time.TakeVector();
  ev.amount = m.ev.amount.TakeVector();
  ev.value = m.ev.value.TakeVector();
  ev.key = m.ev.key.TakeVector();
  ev.group = m.ev.group.TakeVector();
  ev.flags = m.ev.flags.TakeVector();

  // Implicit customers: one per unknown id in the event log, in order of
  // first appearance, with signup at the earliest event.
  if (m.implicit_customers) {
    const CustomerIndex first_implicit = ct.id.size();
    for (size_t i = 0; i < event_customer.size(); ++i) {
      const StringId id = event_customer[i];
      auto [it, added] =
          ds.customer_by_id_.emplace(id, CustomerIndex(ct.id.size()));
      if (added) {
        ct.id.push_back(id);
        for (auto* col : {&ct.name, &ct.industry, &ct.size, &ct.region,
                          &ct.tier, &ct.owner_id, &ct.product}) {
          col->push_back(0);
        }
        ct.signup_time.push_back(ev.time[i]);
        ct.annual_value.push_back(0);
        ct.attr_offsets.push_back(ct.attr_key.size());
      } else if (it->second >= first_implicit &&
                 ct.signup_time[it->second] > ev.time[i]) {
        ct.signup_time[it->second] = ev.time[i];
      }
    }
    m.report.set_implicit_customers(ct.id.size() - first_implicit);
  }

  // Resolves staged customer ids, dropping rows of unknown customers.
  auto resolve = [&](const std::vector<StringId>& customer,
                     const Impl::WhereLog& where, absl::string_view what,
                     std::vector<CustomerIndex>* owner,
                     std::vector<uint64_t>* kept) -> absl::Status {
    owner->reserve(customer.size());
    kept->reserve(customer.size());
    for (size_t i = 0; i < customer.size(); ++i) {
      auto it = ds.customer_by_id_.find(customer[i]);
      if (it == ds.customer_by_id_.end()) {
        absl::Status s =
            m.Error(where[i], "customer_id",
                    absl::StrCat(what, " for unknown customer '",
                                 ds.strings_.Get(customer[i]), "'"));
        if (!s.ok()) return s;
        continue;
      }
      owner->push_back(it->second);
      kept->push_back(i);
    }
    return absl::OkStatus();
  };
  const size_t nc = ct.id.size();

  // Events: drop unknown customers, then group by customer, sort by time.
  // Everything happens in place: the event columns are most of the data
  // set, and a second copy of them would double the peak memory.
  {
    // Resolves customer ids in place (the owner column), in input order.
    constexpr CustomerIndex kUnknown =
        std::numeric_limits<CustomerIndex>::max();
    std::vector<CustomerIndex>& owner = event_customer;
    size_t num_kept = 0;
    for (size_t i = 0; i < owner.size(); ++i) {
      auto it = ds.customer_by_id_.find(owner[i]);
      if (it == ds.customer_by_id_.end()) {
        if (absl::Status s =
                m.Error(m.ev_where[i], "customer_id",
                        absl::StrCat("event for unknown customer '",
                                     ds.strings_.Get(owner[i]), "'"));
            !s.ok()) {
          return s;
        }
        owner[i] = kUnknown;
        continue;
      }
      owner[i] = it->second;
      ++num_kept;
    }
    for (size_t i = 0; i < owner.size(); ++i) {
      if (owner[i] == kUnknown) continue;
      const UnixSeconds signup = ct.signup_time[owner[i]];
      if (signup != kNoTime && ev.time[i] < signup) {
        m.Warn(m.ev_where[i], "time",
               absl::StrCat("event at ", FormatTime(ev.time[i]),
                            " before the customer's signup ",
                            FormatTime(signup), " (kept)"));
      }
    }
    m.ev_where = {};
    if (num_kept != owner.size()) {
      // Stable compaction; exact capacities keep MemoryUsage() honest.
      auto compact = [&owner](auto& column) {
        size_t to = 0;
        for (size_t i = 0; i < owner.size(); ++i) {
          if (owner[i] != kUnknown) column[to++] = column[i];
        }
        column.resize(to);
        column.shrink_to_fit();
      };
      compact(ev.kind);
      compact(ev.subtype);
      compact(ev.time);
      compact(ev.amount);
      compact(ev.value);
      compact(ev.key);
      compact(ev.group);
      compact(ev.flags);
      compact(owner);  // last: the others read it
    }
    // Group by customer, the owner column becoming each event's new position
    // (in 32 bits when that suffices: no second array).
    auto group = [&](auto& dest) {
      GroupPositionsInPlace(nc, &dest, &ev.offsets);
      ScatterInPlace(absl::MakeSpan(dest), 0, absl::MakeSpan(ev.kind),
                     absl::MakeSpan(ev.subtype), absl::MakeSpan(ev.time),
                     absl::MakeSpan(ev.amount), absl::MakeSpan(ev.value),
                     absl::MakeSpan(ev.key), absl::MakeSpan(ev.group),
                     absl::MakeSpan(ev.flags));
      dest = {};
    };
    if (owner.size() <= std::numeric_limits<uint32_t>::max()) {
      group(owner);
    } else {
      std::vector<uint64_t> dest(owner.begin(), owner.end());
      owner = {};
      group(dest);
    }
    // Then by time within each customer (ties in input order), locally.
    std::vector<size_t> order, dest;
    for (size_t c = 0; c < nc; ++c) {
      const size_t b = ev.offsets[c];
      const size_t n = ev.offsets[c + 1] - b;
      const UnixSeconds* time = ev.time.data() + b;
      if (std::is_sorted(time, time + n)) continue;
      order.resize(n);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [time](size_t x, size_t y) {
        return time[x] < time[y];
      });
      dest.resize(n);
      for (size_t i = 0; i < n; ++i) dest[order[i]] = i;
      ScatterInPlace(absl::MakeSpan(dest), 0,
                     absl::MakeSpan(ev.kind).subspan(b, n),
                     absl::MakeSpan(ev.subtype).subspan(b, n),
                     absl::MakeSpan(ev.time).subspan(b, n),
                     absl::MakeSpan(ev.amount).subspan(b, n),
                     absl::MakeSpan(ev.value).subspan(b, n),
                     absl::MakeSpan(ev.key).subspan(b, n),
                     absl::MakeSpan(ev.group).subspan(b, n),
                     absl::MakeSpan(ev.flags).subspan(b, n));
    }
    ds.events_ = std::move(ev);
    if (!ds.events_.time.empty()) {
      const auto [lo, hi] =
          std::minmax_element(ds.events_.time.begin(), ds.events_.time.end());
      ds.first_event_time_ = *lo;
      ds.last_event_time_ = *hi;
    }
    if (m.history_start != kNoTime) {
      ds.first_event_time_ =
          ds.first_event_time_ == kNoTime
              ? m.history_start
              : std::min(ds.first_event_time_, m.history_start);
    }
  }
  // Contacts, in input order per customer.
  {
    std::vector<CustomerIndex> owner;
    std::vector<uint64_t> kept;
    if (absl::Status s =
            resolve(m.ct_customer, m.ct_where, "contact", &owner, &kept);
        !s.ok()) {
      return s;
    }
    ContactTable& t = ds.contacts_;
    std::vector<uint64_t> order = GroupRows(
        owner, nc, static_cast<std::vector<int>*>(nullptr), &t.offsets);
    for (uint64_t& i : order) i = kept[i];
    Permute(t.id, order);
    Permute(t.name, order);
    Permute(t.role, order);
    Permute(t.decision_maker, order);
    Permute(t.added_time, order);
    Permute(t.left_time, order);
  }
  // Contracts, by start time per customer.
  {
    std::vector<CustomerIndex> owner;
    std::vector<uint64_t> kept;
    if (absl::Status s =
            resolve(m.kc_customer, m.kc_where, "contract", &owner, &kept);
        !s.ok()) {
      return s;
    }
    ContractTable& t = ds.contracts_;
    std::vector<UnixSeconds> start(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) start[i] = t.start_time[kept[i]];
    std::vector<uint64_t> order = GroupRows(owner, nc, &start, &t.offsets);
    for (uint64_t& i : order) i = kept[i];
    Permute(t.id, order);
    Permute(t.product, order);
    Permute(t.start_time, order);
    Permute(t.end_time, order);
    Permute(t.renewal_time, order);
    Permute(t.value, order);
  }
  // References to owners are checked only when an owner table was given.
  if (!ds.owners_.id.empty()) {
    absl::flat_hash_set<StringId> owners(ds.owners_.id.begin(),
                                         ds.owners_.id.end());
    for (size_t i = 0; i < ds.owners_.id.size(); ++i) {
      const StringId mgr = ds.owners_.manager_id[i];
      if (mgr != 0 && !owners.contains(mgr)) {
        if (absl::Status s =
                m.Error(m.owner_where[i], "manager_id",
                        absl::StrCat("unknown manager '", ds.strings_.Get(mgr),
                                     "' (owner kept without a manager)"));
            !s.ok()) {
          return s;
        }
        ds.owners_.manager_id[i] = 0;
      }
    }
    m.WarnManagerCycles();
  }
  ds.strings_.ShrinkToFit();

  auto& kept = *m.report.mutable_rows_kept();
  kept["customers"] = ds.num_customers() - m.report.implicit_customers();
  kept["events"] = ds.num_events();
  kept["contacts"] = ds.num_contacts();
  kept["contracts"] = ds.num_contracts();
  kept["owners"] = ds.num_owners();
  auto& read = *m.report.mutable_rows_read();
  const std::pair<v1::Table, const char*> names[] = {
      {v1::CUSTOMERS, "customers"},
      {v1::EVENTS, "events"},
      {v1::CONTACTS, "contacts"},
      {v1::CONTRACTS, "contracts"},
      {v1::OWNERS, "owners"}};
  for (const auto& [table, name] : names) read[name] = m.rows_read[table];
  // Records that could not be parsed far enough to know their table.
  if (m.rows_read[v1::TABLE_UNSPECIFIED] > 0) {
    read["unparsed"] = m.rows_read[v1::TABLE_UNSPECIFIED];
  }

  Dataset out = std::move(ds);
  m.ds = Dataset();
  return out;
}

}  // namespace churnkit
