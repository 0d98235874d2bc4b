// churnkit/dataset.h: the immutable, columnar customer data set and the
// builder that validates rows into it.
//
// A Dataset holds five tables: customers, events, contacts, contracts and
// owners. Events are one log sorted by (customer, time) with per-customer
// offsets (CSR), so a customer's history is a contiguous range of every
// event column. Strings (ids, keys, industries...) are dictionary-encoded in
// one StringPool. A Dataset never changes after DatasetBuilder::Build().
//
// Example:
//   churnkit::DatasetBuilder builder(validation);
//   builder.AddCustomer(customer, {"crm", 1});
//   builder.AddEvent(event, {"crm", 2});
//   absl::StatusOr<churnkit::Dataset> ds = std::move(builder).Build();
//   for (size_t e = ds->event_begin(c); e < ds->event_end(c); ++e) ...
#ifndef CHURNKIT_DATASET_H_
#define CHURNKIT_DATASET_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/v1/data.pb.h"
#include "churnkit/v1/ingest.pb.h"

namespace churnkit {

// Seconds since 1970-01-01T00:00:00Z.
using UnixSeconds = int64_t;
// Marks an unset time (e.g. a contact that has not left).
inline constexpr UnixSeconds kNoTime = std::numeric_limits<int64_t>::min();

// Position of a customer in a Dataset: 0 .. num_customers() - 1, in the
// order customers were added.
using CustomerIndex = uint32_t;

// Id of a string in a StringPool. 0 is always the empty string.
using StringId = uint32_t;

// Bits of the per-event flags column (Event's boolean fields).
enum EventFlag : uint8_t {
  kFlagComplaint = 1 << 0,
  kFlagStockout = 1 << 1,
  kFlagDecisionMaker = 1 << 2,
  kFlagNegativeFeedback = 1 << 3,
  kFlagCreditUsed = 1 << 4,
};

// Interned UTF-8 strings stored back to back. Lookups by id are O(1).
class StringPool {
 public:
  StringPool();
  StringPool(StringPool&&) noexcept = default;
  StringPool& operator=(StringPool&&) noexcept = default;

  // Returns the id of `s`, adding it when new.
  StringId Intern(absl::string_view s);
  // Returns the id of `s`, or nullopt when absent.
  std::optional<StringId> Find(absl::string_view s) const {
    return storage_->Find(s);
  }
  // Returns the string of `id`; `id` must be < size().
  absl::string_view Get(StringId id) const {
    const Storage* s = storage_.get();
    while (id < s->base_size) s = s->base.get();
    const StringId i = id - s->base_size;
    return absl::string_view(s->bytes.data() + s->offsets[i],
                             s->offsets[i + 1] - s->offsets[i]);
  }
  size_t size() const {
    return storage_->base_size + storage_->offsets.size() - 1;
  }
  // Bytes held by the pool, including its hash index; not those it shares
  // with the pool it extends.
  size_t MemoryUsage() const;
  // Releases spare capacity once no more strings will be added.
  void ShrinkToFit();

  // A pool that starts with this one's strings, shared rather than copied
  // (they keep their ids; the sharing keeps them alive), and interns new
  // ones after them: a data set's slice costs its own strings only. What
  // this pool adds afterwards is not the extension's.
  StringPool Extend() const;

 private:
  struct Storage;
  struct Hash {
    using is_transparent = void;
    const Storage* storage;
    size_t operator()(StringId id) const;
    size_t operator()(absl::string_view s) const;
  };
  struct Eq {
    using is_transparent = void;
    const Storage* storage;
    bool operator()(StringId a, StringId b) const { return a == b; }
    bool operator()(StringId a, absl::string_view b) const;
    bool operator()(absl::string_view a, StringId b) const {
      return (*this)(b, a);
    }
  };
  // Heap-allocated so that the index's functors keep a stable pointer
  // when the pool is moved, and shared with the pool's extensions.
  struct Storage {
    explicit Storage(std::shared_ptr<const Storage> base);
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
    std::optional<StringId> Find(absl::string_view s) const;

    std::shared_ptr<const Storage> base;  // the strings of ids < base_size
    StringId base_size = 0;
    // This pool's own strings: id base_size + i is the i-th.
    std::string bytes;
    std::vector<uint64_t> offsets;                  // own strings + 1 entries
    absl::flat_hash_set<StringId, Hash, Eq> index;  // of i, as above
  };
  explicit StringPool(std::shared_ptr<const Storage> base);
  std::shared_ptr<Storage> storage_;
};

// Customer table, one entry per customer, indexed by CustomerIndex.
struct CustomerTable {
  std::vector<StringId> id, name, industry, size, region, tier, owner_id,
      product;
  std::vector<UnixSeconds> signup_time;  // kNoTime when unknown
  std::vector<double> annual_value;      // currency units
  // Attributes of customer c: entries attr_offsets[c] .. attr_offsets[c+1].
  std::vector<uint32_t> attr_offsets;
  std::vector<StringId> attr_key, attr_value;
};

// Event log sorted by (customer, time, input order). Customer c owns
// entries offsets[c] .. offsets[c+1] of every column.
struct EventTable {
  std::vector<uint64_t> offsets;  // num_customers + 1
  std::vector<uint8_t> kind;      // v1::EventKind
  std::vector<uint16_t> subtype;  // v1::EventSubtype
  std::vector<UnixSeconds> time;
  std::vector<double> amount;  // currency units
  std::vector<double> value;   // kind-specific unit, see data.proto
  std::vector<StringId> key, group;
  std::vector<uint8_t> flags;  // EventFlag bits
};

// Contacts, grouped by customer (offsets as in EventTable), input order.
struct ContactTable {
  std::vector<uint32_t> offsets;
  std::vector<StringId> id, name, role;
  std::vector<uint8_t> decision_maker;
  std::vector<UnixSeconds> added_time, left_time;  // kNoTime when unset
};

// Contracts, grouped by customer and sorted by start time.
struct ContractTable {
  std::vector<uint32_t> offsets;
  std::vector<StringId> id, product;
  std::vector<UnixSeconds> start_time, end_time, renewal_time;
  std::vector<double> value;
};

// Owners (account managers), input order.
struct OwnerTable {
  std::vector<StringId> id, name, manager_id, role;
};

// An immutable customer data set. Cheap to move, not copyable. All
// accessors are const and safe to call from many threads at once.
struct EventInput;

class Dataset {
 public:
  Dataset();
  Dataset(Dataset&&) noexcept = default;
  Dataset& operator=(Dataset&&) noexcept = default;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;

  size_t num_customers() const { return customers_.id.size(); }
  size_t num_events() const { return events_.kind.size(); }
  size_t num_contacts() const { return contacts_.id.size(); }
  size_t num_contracts() const { return contracts_.id.size(); }
  size_t num_owners() const { return owners_.id.size(); }

  const CustomerTable& customers() const { return customers_; }
  const EventTable& events() const { return events_; }
  const ContactTable& contacts() const { return contacts_; }
  const ContractTable& contracts() const { return contracts_; }
  const OwnerTable& owners() const { return owners_; }
  const StringPool& strings() const { return strings_; }

  // Shorthands for the dictionary and the per-customer event range.
  absl::string_view str(StringId id) const { return strings_.Get(id); }
  absl::string_view customer_id(CustomerIndex c) const {
    return strings_.Get(customers_.id[c]);
  }
  size_t event_begin(CustomerIndex c) const { return events_.offsets[c]; }
  size_t event_end(CustomerIndex c) const { return events_.offsets[c + 1]; }
  // The first of customer c's events at or after `t` (event_end(c) when
  // none). It searches from the last event back: a time in the recent past
  // (a window ending at as_of) costs a few reads, not a binary search over
  // the whole history, whose first reads miss the cache.
  size_t EventAtOrAfter(CustomerIndex c, UnixSeconds t) const {
    return EventAtOrAfter(c, t, event_end(c));
  }
  // The same among the customer's events before index `end`, searching
  // back from there: e.g. the events known at an as_of. `end` must be in
  // [event_begin(c), event_end(c)] (unchecked, as `c` is in these
  // accessors).
  size_t EventAtOrAfter(CustomerIndex c, UnixSeconds t, size_t end) const;

  // Times of the earliest and latest event; kNoTime without events. The
  // first is where the history starts, so a partition of a larger data set
  // (LoadOptions.history_start) gives the whole's when it is earlier.
  UnixSeconds first_event_time() const { return first_event_time_; }
  UnixSeconds last_event_time() const { return last_event_time_; }

  // Finds a customer by id.
  std::optional<CustomerIndex> FindCustomer(absl::string_view id) const;

  // Bytes held by all columns and the dictionary.
  size_t MemoryUsage() const;
  // Counts, date span and mixes, as printed by `churnkit info`.
  v1::DatasetSummary Summary() const;

  // A one-customer data set: customer c with its events, contacts,
  // contracts and owner, plus `added` events of it (customer_id empty or
  // c's; checked as DatasetBuilder::AddEvent checks under `validation`;
  // sorted in after c's events of the same time), with this data set's
  // history span. Per-customer results on it (features, labels, health,
  // rules, scores) equal those on this data set with `added` appended to
  // its input: the incremental path for a customer whose events just
  // changed (Assessor::AssessCustomer). Costs c's events, not the data
  // set's: the slice shares this data set's strings (StringPool::Extend),
  // so string ids agree between the two. Errors (InvalidArgument): c out of
  // range; an added event of another customer or one AddEvent refuses ("added
  // event:3: time: ...").
  absl::StatusOr<Dataset> CustomerSlice(
      CustomerIndex c, absl::Span<const EventInput> added,
      const v1::ValidationOptions& validation = {}) const;
  // The same into `*slice` (not this data set, else InvalidArgument),
  // reusing its buffers: for a caller slicing often, as AssessCustomer does.
  absl::Status CustomerSlice(CustomerIndex c,
                             absl::Span<const EventInput> added,
                             const v1::ValidationOptions& validation,
                             Dataset* slice) const;
  // Empties the data set, as a new one, but keeps its columns' buffers
  // for a next CustomerSlice into it (and no longer shares the strings of
  // the data set it was sliced from).
  void Clear();

  // Rebuild schema messages from the columns (for writers and the C ABI).
  v1::Customer CustomerMessage(CustomerIndex c) const;
  v1::Event EventMessage(size_t e, CustomerIndex c) const;
  v1::Contact ContactMessage(size_t i, CustomerIndex c) const;
  v1::Contract ContractMessage(size_t i, CustomerIndex c) const;
  v1::Owner OwnerMessage(size_t i) const;

 private:
  friend class DatasetBuilder;
  StringPool strings_;
  CustomerTable customers_;
  EventTable events_;
  ContactTable contacts_;
  ContractTable contracts_;
  OwnerTable owners_;
  absl::flat_hash_map<StringId, CustomerIndex> customer_by_id_;
  UnixSeconds first_event_time_ = kNoTime;
  UnixSeconds last_event_time_ = kNoTime;
};

// Where a row came from, for error messages: file name and 1-based row.
struct RowRef {
  absl::string_view source;
  int64_t row = 0;
};

// One event as parsed from any format. Strings are borrowed for the
// duration of the AddEvent call. `kind` and `subtype` are raw numbers so
// that unknown values can be reported rather than silently mapped.
struct EventInput {
  absl::string_view customer_id;
  int32_t kind = 0;
  int32_t subtype = 0;
  UnixSeconds time = kNoTime;
  double amount = 0;
  double value = 0;
  absl::string_view key;
  absl::string_view group;
  uint8_t flags = 0;
};

// Converts a schema Event to an EventInput (borrowing its strings).
EventInput ToEventInput(const v1::Event& event);

// Validates rows and builds a Dataset. Not thread-safe; one builder per
// thread. Under the STRICT policy every Add/Build returns the first error
// (InvalidArgument naming source, row and field); under LENIENT an invalid
// row is skipped, recorded in report(), and OK is returned, so every valid
// row is kept.
class DatasetBuilder {
 public:
  explicit DatasetBuilder(const v1::ValidationOptions& options = {});
  ~DatasetBuilder();
  DatasetBuilder(DatasetBuilder&&) noexcept;
  DatasetBuilder& operator=(DatasetBuilder&&) noexcept;

  // Each Add validates one row. Ids must be non-empty and unique per
  // table; times within the sane range; money finite and >= 0.
  absl::Status AddCustomer(const v1::Customer& customer, RowRef where);
  absl::Status AddEvent(const EventInput& event, RowRef where);
  absl::Status AddContact(const v1::Contact& contact, RowRef where);
  absl::Status AddContract(const v1::Contract& contract, RowRef where);
  absl::Status AddOwner(const v1::Owner& owner, RowRef where);

  // When true, events naming an unknown customer create that customer
  // (signup = its first event) instead of being rejected.
  void set_implicit_customers(bool on);

  // The start of the history this data set is part of: Build sets
  // first_event_time() to the earlier of it and the earliest event, so
  // that a partition observes its customers from where the whole does.
  void set_history_start(UnixSeconds t);

  // The error AddEvent would return for `event` under STRICT (its
  // customer's existence aside, which Build resolves), or OK. Adds and
  // reports nothing.
  absl::Status CheckEvent(const EventInput& event, RowRef where) const;

  // Records an error found outside the builder (e.g. a malformed CSV
  // line) under the same policy: returns it under STRICT, records it and
  // returns OK under LENIENT.
  absl::Status ReportError(RowRef where, absl::string_view field,
                           absl::string_view reason);
  // Counts rows read from `table` that never reached an Add call (e.g.
  // malformed lines); Add calls count themselves in the report's rows_read.
  void CountRead(v1::Table table, int64_t n = 1);

  // Resolves references (events, contacts and contracts of unknown
  // customers are errors), sorts and packs the columns. The builder is
  // left empty.
  absl::StatusOr<Dataset> Build();

  // Errors so far (and, after Build, the rows kept per table).
  const v1::ErrorReport& report() const;
  const v1::ValidationOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Formats a time as ISO-8601: "2024-03-01" at midnight, else
// "2024-03-01T09:30:00Z".
std::string FormatTime(UnixSeconds t);

// Parses "YYYY-MM-DD", "YYYYMMDD", "YYYY-MM-DD HH:MM[:SS]",
// "YYYY-MM-DDTHH:MM[:SS][.fff][Z|+hh:mm]" (UTC when no offset).
// Returns InvalidArgument naming the text when it is not a valid date.
absl::StatusOr<UnixSeconds> ParseTime(absl::string_view text);

}  // namespace churnkit

#endif  // CHURNKIT_DATASET_H_
