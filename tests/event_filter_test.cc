#include "internal/event_filter.h"

#include <algorithm>
#include <string>
#include <vector>

#include "churnkit/dataset.h"
#include "gtest/gtest.h"
#include "internal/random.h"

namespace churnkit::internal {
namespace {

CompiledFilter Compile(const v1::EventFilter& f) {
  absl::StatusOr<CompiledFilter> c = CompileFilter(f, "filter");
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

// AnyFilter matches exactly the events that some filter of its set
// matches: kinds alone, kinds with subtypes, flags or keys, "any kind",
// and sets mixing them, over events of every combination.
TEST(AnyFilter, MatchesWhatAnyOfItsFiltersMatches) {
  DatasetBuilder builder;
  v1::Customer customer;
  customer.set_id("c");
  ASSERT_TRUE(builder.AddCustomer(customer, {"t", 1}).ok());
  const v1::EventKind kinds[] = {v1::LOGIN, v1::ORDER, v1::TICKET, v1::CONTRACT,
                                 v1::CANCELLATION};
  const v1::EventSubtype subtypes[] = {v1::EVENT_SUBTYPE_UNSPECIFIED,
                                       v1::TICKET_OPENED, v1::CONTRACT_SIGNED,
                                       v1::CONTRACT_RENEWED};
  const char* keys[] = {"", "k1", "k2"};
  int64_t row = 2;
  UnixSeconds t = 1700000000;
  for (v1::EventKind kind : kinds) {
    for (v1::EventSubtype subtype : subtypes) {
      for (const char* key : keys) {
        for (uint8_t flags : {0, 1, 3}) {
          EventInput e;
          e.customer_id = "c";
          e.kind = kind;
          e.subtype = subtype;
          e.key = key;
          e.flags = flags;
          e.time = t += 60;
          ASSERT_TRUE(builder.AddEvent(e, {"t", row++}).ok());
        }
      }
    }
  }
  absl::StatusOr<Dataset> ds = builder.Build();
  ASSERT_TRUE(ds.ok()) << ds.status();

  std::vector<v1::EventFilter> configs(7);
  configs[0].add_kinds(v1::LOGIN);
  configs[1].add_kinds(v1::ORDER);
  configs[1].add_kinds(v1::TICKET);
  configs[2].add_kinds(v1::CONTRACT);
  configs[2].add_subtypes(v1::CONTRACT_SIGNED);
  configs[2].add_subtypes(v1::CONTRACT_RENEWED);
  configs[3].add_kinds(v1::TICKET);
  configs[3].add_flags(v1::COMPLAINT);
  configs[4].add_keys("k2");
  configs[4].add_keys("absent");
  configs[5].add_flags(v1::STOCKOUT);  // any kind, with a flag
  // configs[6]: no condition, any event.
  std::vector<CompiledFilter> compiled;
  for (const v1::EventFilter& f : configs) compiled.push_back(Compile(f));
  const std::vector<BoundFilter> bound = BindFilters(compiled, *ds);

  Rng rng(7, 0);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int> ids;
    for (int id = 0; id < static_cast<int>(bound.size()); ++id) {
      if (rng.Uniform() < 0.35) ids.push_back(id);
    }
    const AnyFilter any(bound, ids);
    std::vector<size_t> matched;
    for (size_t i = 0; i < ds->num_events(); ++i) {
      bool expected = false;
      for (int id : ids)
        expected = expected || bound[id].Match(ds->events(), i);
      ASSERT_EQ(any.Match(ds->events(), i), expected)
          << "trial " << trial << " event " << i;
      if (expected) matched.push_back(i);
    }
    // Select lists the same events, in order, after what `out` held; over
    // a sub-range, those of the range.
    std::vector<size_t> selected = {42};
    any.Select(ds->events(), 0, ds->num_events(), &selected);
    ASSERT_EQ(selected.size(), matched.size() + 1) << "trial " << trial;
    EXPECT_EQ(selected[0], 42u);
    EXPECT_TRUE(
        std::equal(matched.begin(), matched.end(), selected.begin() + 1))
        << "trial " << trial;
    const size_t lo = ds->num_events() / 3, hi = 2 * ds->num_events() / 3;
    std::vector<size_t> part;
    any.Select(ds->events(), lo, hi, &part);
    std::vector<size_t> expected_part;
    for (size_t i : matched) {
      if (i >= lo && i < hi) expected_part.push_back(i);
    }
    EXPECT_EQ(part, expected_part) << "trial " << trial;
    // An empty range adds nothing, at either end or inside.
    for (size_t at : {size_t{0}, lo, ds->num_events()}) {
      std::vector<size_t> none = {7};
      any.Select(ds->events(), at, at, &none);
      EXPECT_EQ(none, std::vector<size_t>{7}) << "trial " << trial;
    }
  }
}

}  // namespace
}  // namespace churnkit::internal
