#include "churnkit/dataset.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

UnixSeconds T(absl::string_view s) {
  absl::StatusOr<UnixSeconds> t = ParseTime(s);
  EXPECT_TRUE(t.ok()) << s;
  return t.value_or(0);
}

v1::Customer MakeCustomer(const std::string& id,
                          const std::string& tier = "B") {
  v1::Customer c;
  c.set_id(id);
  c.set_tier(tier);
  c.set_industry("saas");
  c.mutable_signup_time()->set_seconds(T("2023-01-01"));
  return c;
}

EventInput MakeEvent(absl::string_view customer, v1::EventKind kind,
                     absl::string_view time, double amount = 0) {
  EventInput e;
  e.customer_id = customer;
  e.kind = kind;
  e.time = T(time);
  e.amount = amount;
  return e;
}

v1::ValidationOptions Policy(v1::ErrorPolicy p) {
  v1::ValidationOptions o;
  o.set_policy(p);
  return o;
}

TEST(ParseTime, AcceptsIsoCompactAndOffsets) {
  EXPECT_EQ(T("1970-01-01"), 0);
  EXPECT_EQ(T("19700102"), 86400);
  EXPECT_EQ(T("1970/01/02"), 86400);
  EXPECT_EQ(T("1970-01-01T01:02:03Z"), 3723);
  EXPECT_EQ(T("1970-01-01 01:02"), 3720);
  EXPECT_EQ(T("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(T("1970-01-01T00:00:00.750Z"), 0);
  EXPECT_EQ(T("2024-02-29"), T("2024-03-01") - 86400);
}

TEST(ParseTime, RejectsImpossibleAndMalformedDates) {
  for (const char* bad :
       {"", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "24-01-01",
        "2024-01-01T25:00", "2024-01-01X", "2024-1-1", "abcd-ef-gh",
        "2024-01-01T10:00:00+5", "1997 01 01"}) {
    absl::StatusOr<UnixSeconds> t = ParseTime(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_THAT(std::string(t.status().message()), HasSubstr(bad));
    }
  }
}

TEST(FormatTime, RoundTripsDatesAndTimes) {
  EXPECT_EQ(FormatTime(0), "1970-01-01");
  EXPECT_EQ(FormatTime(T("2024-03-01T09:30:00Z")), "2024-03-01T09:30:00Z");
  EXPECT_EQ(FormatTime(-86400), "1969-12-31");
  for (UnixSeconds t :
       {T("1999-12-31T23:59:59Z"), T("2100-12-31"), int64_t{1}}) {
    EXPECT_EQ(T(FormatTime(t)), t);
  }
}

TEST(StringPool, InternsOnceAndSurvivesMoves) {
  StringPool pool;
  EXPECT_EQ(pool.Get(0), "");
  const StringId a = pool.Intern("alpha");
  const StringId b = pool.Intern("北京");
  EXPECT_EQ(pool.Intern("alpha"), a);
  EXPECT_NE(a, b);
  for (int i = 0; i < 10000; ++i) pool.Intern(std::to_string(i));
  StringPool moved = std::move(pool);
  EXPECT_EQ(moved.Get(b), "北京");
  EXPECT_EQ(moved.Find("alpha"), a);
  EXPECT_EQ(moved.Find("9999"), moved.Intern("9999"));
  EXPECT_FALSE(moved.Find("missing").has_value());
}

TEST(StringPool, ExtendSharesTheBaseAndAddsAfterIt) {
  StringPool base;
  const StringId a = base.Intern("alpha");
  StringPool ext = base.Extend();
  EXPECT_EQ(ext.Find("alpha"), a);
  EXPECT_EQ(ext.Intern("alpha"), a);
  const StringId b = ext.Intern("beta");
  EXPECT_EQ(b, base.size());
  EXPECT_EQ(ext.Get(b), "beta");
  EXPECT_EQ(ext.Get(a), "alpha");
  EXPECT_FALSE(base.Find("beta").has_value());
  // What the base adds afterwards is not the extension's.
  base.Intern("gamma");
  EXPECT_FALSE(ext.Find("gamma").has_value());
  EXPECT_EQ(ext.Get(ext.Intern("gamma")), "gamma");
  StringPool moved = std::move(ext);
  EXPECT_EQ(moved.Get(b), "beta");
  EXPECT_EQ(moved.Get(0), "");
}

TEST(DatasetBuilder, EmptyBuildsEmptyDataset) {
  DatasetBuilder b;
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->num_customers(), 0u);
  EXPECT_EQ(ds->num_events(), 0u);
  EXPECT_EQ(ds->Summary().first_event_time(), "");
}

TEST(DatasetBuilder, SortsEventsByCustomerThenTimeKeepingInputOrderOfTies) {
  DatasetBuilder b;
  ASSERT_TRUE(b.AddCustomer(MakeCustomer("c1"), {"t", 1}).ok());
  ASSERT_TRUE(b.AddCustomer(MakeCustomer("c2"), {"t", 2}).ok());
  // Interleaved customers, times out of order, two ties on c2.
  EventInput e = MakeEvent("c2", v1::ORDER, "2024-03-05", 30);
  ASSERT_TRUE(b.AddEvent(e, {"e", 1}).ok());
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("c1", v1::LOGIN, "2024-03-02"), {"e", 2}).ok());
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("c2", v1::ORDER, "2024-03-01", 10), {"e", 3}).ok());
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("c2", v1::ORDER, "2024-03-05", 40), {"e", 4}).ok());
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("c1", v1::LOGIN, "2024-03-01"), {"e", 5}).ok());
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_EQ(ds->num_events(), 5u);
  EXPECT_EQ(ds->event_begin(0), 0u);
  EXPECT_EQ(ds->event_end(0), 2u);
  EXPECT_EQ(ds->event_end(1), 5u);
  const EventTable& ev = ds->events();
  EXPECT_EQ(ev.time[0], T("2024-03-01"));
  EXPECT_EQ(ev.time[1], T("2024-03-02"));
  EXPECT_EQ(ev.amount[2], 10);
  EXPECT_EQ(ev.amount[3], 30);  // tie: input order kept
  EXPECT_EQ(ev.amount[4], 40);
  EXPECT_EQ(ds->FindCustomer("c2"), CustomerIndex{1});
  EXPECT_FALSE(ds->FindCustomer("nope").has_value());
}

// EventAtOrAfter gallops back from the last event; it must agree with a
// binary search of the customer's events at every time, for customers of
// 0 to 70 events with runs of equal times.
TEST(Dataset, EventAtOrAfterIsTheLowerBoundOfTheCustomersEvents) {
  DatasetBuilder b;
  const UnixSeconds day0 = T("2024-01-01");
  std::vector<std::vector<UnixSeconds>> times(8);
  uint64_t state = 7;
  for (size_t c = 0; c < times.size(); ++c) {
    const std::string id = absl::StrCat("c", c);
    ASSERT_TRUE(b.AddCustomer(MakeCustomer(id), {"t", 1}).ok());
    const size_t n = c * c + (c % 3);  // 0, 2, 6, 9, 16, 27, 36, 49 (+/-)
    UnixSeconds t = day0;
    for (size_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005u + 1442695040888963407u;
      t += static_cast<UnixSeconds>((state >> 33) % 3) * 86400;  // ties too
      EventInput e = MakeEvent(id, v1::LOGIN, "2024-01-01");
      e.time = t;
      ASSERT_TRUE(b.AddEvent(e, {"e", 1}).ok());
      times[c].push_back(t);
    }
  }
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok()) << ds.status();
  for (size_t c = 0; c < times.size(); ++c) {
    const CustomerIndex ci = *ds->FindCustomer(absl::StrCat("c", c));
    const size_t begin = ds->event_begin(ci);
    for (UnixSeconds t = day0 - 86400; t <= day0 + 120 * 86400; t += 43200) {
      const size_t expected =
          begin + (std::lower_bound(times[c].begin(), times[c].end(), t) -
                   times[c].begin());
      EXPECT_EQ(ds->EventAtOrAfter(ci, t), expected) << "c" << c << " " << t;
      // Among the events before each index: the same search, capped there.
      for (size_t end = begin; end <= ds->event_end(ci); ++end) {
        ASSERT_EQ(ds->EventAtOrAfter(ci, t, end), std::min(expected, end))
            << "c" << c << " " << t << " end " << end;
      }
    }
  }
}

TEST(DatasetBuilder, LenientKeepsValidRowsAndReportsEachBadOne) {
  DatasetBuilder b(Policy(v1::LENIENT));
  ASSERT_TRUE(b.AddCustomer(MakeCustomer("c1"), {"customers.csv", 2}).ok());
  EXPECT_TRUE(b.AddCustomer(MakeCustomer("c1"), {"customers.csv", 3}).ok());
  EXPECT_TRUE(b.AddEvent(MakeEvent("c1", v1::ORDER, "2024-01-01", -5),
                         {"events.csv", 2})
                  .ok());
  EXPECT_TRUE(b.AddEvent(MakeEvent("c1", v1::ORDER, "2024-01-01",
                                   std::numeric_limits<double>::quiet_NaN()),
                         {"events.csv", 3})
                  .ok());
  EXPECT_TRUE(b.AddEvent(MakeEvent("ghost", v1::ORDER, "2024-01-01", 5),
                         {"events.csv", 4})
                  .ok());
  EXPECT_TRUE(
      b.AddEvent(MakeEvent("c1", v1::ORDER, "1900-01-01", 5), {"events.csv", 5})
          .ok());
  EventInput unknown_kind = MakeEvent("c1", v1::ORDER, "2024-01-01");
  unknown_kind.kind = 77;
  EXPECT_TRUE(b.AddEvent(unknown_kind, {"events.csv", 6}).ok());
  EventInput wrong_subtype = MakeEvent("c1", v1::ORDER, "2024-01-01");
  wrong_subtype.subtype = v1::NPS;
  EXPECT_TRUE(b.AddEvent(wrong_subtype, {"events.csv", 7}).ok());
  EventInput nps = MakeEvent("c1", v1::SURVEY, "2024-01-01");
  nps.subtype = v1::NPS;
  nps.value = 11;
  EXPECT_TRUE(b.AddEvent(nps, {"events.csv", 8}).ok());
  EXPECT_TRUE(
      b.AddEvent(MakeEvent("c1", v1::ORDER, "2024-01-02", 7), {"events.csv", 9})
          .ok());
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->num_customers(), 1u);
  EXPECT_EQ(ds->num_events(), 1u);
  EXPECT_EQ(ds->events().amount[0], 7);

  const v1::ErrorReport& r = b.report();
  ASSERT_EQ(r.total_errors(), 8);
  struct Expect {
    const char* source;
    int64_t row;
    const char* field;
    const char* reason;
  };
  const Expect expected[] = {
      {"customers.csv", 3, "id", "duplicate customer id 'c1'"},
      {"events.csv", 2, "amount", "negative amount -5"},
      {"events.csv", 3, "amount", "not a finite number"},
      {"events.csv", 5, "time", "outside the accepted range"},
      {"events.csv", 6, "kind", "unknown event kind 77"},
      {"events.csv", 7, "subtype", "does not belong to kind ORDER"},
      {"events.csv", 8, "value", "outside 0 .. 10"},
      {"events.csv", 4, "customer_id", "unknown customer 'ghost'"},
  };
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.errors(i).source(), expected[i].source);
    EXPECT_EQ(r.errors(i).row(), expected[i].row);
    EXPECT_EQ(r.errors(i).field(), expected[i].field);
    EXPECT_THAT(r.errors(i).reason(), HasSubstr(expected[i].reason));
  }
  EXPECT_EQ(r.rows_read().at("events"), 8);
  EXPECT_EQ(r.rows_kept().at("events"), 1);
  EXPECT_EQ(r.rows_read().at("customers"), 2);
  EXPECT_EQ(r.rows_kept().at("customers"), 1);
}

TEST(DatasetBuilder, StrictFailsOnFirstErrorNamingSourceRowAndField) {
  DatasetBuilder b(Policy(v1::STRICT));
  ASSERT_TRUE(b.AddCustomer(MakeCustomer("c1"), {"customers.csv", 2}).ok());
  absl::Status s = b.AddEvent(MakeEvent("c1", v1::ORDER, "2024-01-01", -1),
                              {"events.csv", 9});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("events.csv:9: amount:"));

  DatasetBuilder b2(Policy(v1::STRICT));
  ASSERT_TRUE(b2.AddEvent(MakeEvent("ghost", v1::LOGIN, "2024-01-01"),
                          {"events.csv", 4})
                  .ok());
  absl::StatusOr<Dataset> ds = b2.Build();
  EXPECT_FALSE(ds.ok());
  EXPECT_THAT(
      std::string(ds.status().message()),
      HasSubstr("events.csv:4: customer_id: event for unknown customer"));
}

TEST(DatasetBuilder, CapsKeptErrorsButCountsAll) {
  v1::ValidationOptions o;
  o.set_max_errors(3);
  DatasetBuilder b(o);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        b.AddEvent(MakeEvent("", v1::LOGIN, "2024-01-01"), {"x", i}).ok());
  }
  EXPECT_EQ(b.report().errors_size(), 3);
  EXPECT_EQ(b.report().total_errors(), 10);
}

TEST(DatasetBuilder, RejectsInvalidValidationOptions) {
  v1::ValidationOptions o;
  o.set_min_date("yesterday");
  DatasetBuilder b(o);
  absl::Status s = b.AddCustomer(MakeCustomer("c"), {"x", 1});
  EXPECT_THAT(std::string(s.message()), HasSubstr("validation.min_date"));
  EXPECT_FALSE(b.Build().ok());
}

TEST(DatasetBuilder, ValidatesContactsContractsAndOwners) {
  DatasetBuilder b;
  ASSERT_TRUE(b.AddCustomer(MakeCustomer("c1"), {"c", 1}).ok());
  v1::Contract k;
  k.set_id("k1");
  k.set_customer_id("c1");
  k.mutable_start_time()->set_seconds(T("2024-06-01"));
  k.mutable_end_time()->set_seconds(T("2024-01-01"));
  ASSERT_TRUE(b.AddContract(k, {"contracts.csv", 2}).ok());
  k.set_id("k2");
  k.mutable_start_time()->set_seconds(T("2023-06-01"));
  k.mutable_end_time()->set_seconds(T("2024-06-01"));
  k.set_value(1200);
  ASSERT_TRUE(b.AddContract(k, {"contracts.csv", 3}).ok());
  k.set_id("k0");
  k.mutable_start_time()->set_seconds(T("2022-06-01"));
  k.mutable_end_time()->set_seconds(T("2023-06-01"));
  ASSERT_TRUE(b.AddContract(k, {"contracts.csv", 4}).ok());
  v1::Contact p;
  p.set_id("p1");
  p.set_customer_id("c1");
  p.mutable_added_time()->set_seconds(T("2024-01-02"));
  p.mutable_left_time()->set_seconds(T("2024-01-01"));
  ASSERT_TRUE(b.AddContact(p, {"contacts.csv", 2}).ok());
  p.set_customer_id("ghost");
  p.clear_left_time();
  ASSERT_TRUE(b.AddContact(p, {"contacts.csv", 3}).ok());
  v1::Owner o;
  o.set_id("rep1");
  o.set_manager_id("boss");
  ASSERT_TRUE(b.AddOwner(o, {"owners.csv", 2}).ok());
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->num_contracts(), 2u);
  // Sorted by start within the customer; renewal defaults to the end.
  EXPECT_EQ(ds->str(ds->contracts().id[0]), "k0");
  EXPECT_EQ(ds->contracts().renewal_time[1], T("2024-06-01"));
  EXPECT_EQ(ds->num_contacts(), 0u);
  EXPECT_EQ(ds->num_owners(), 1u);
  EXPECT_EQ(ds->owners().manager_id[0], 0u);
  const v1::ErrorReport& r = b.report();
  ASSERT_EQ(r.total_errors(), 4);
  EXPECT_EQ(r.errors(0).field(), "end_time");
  EXPECT_EQ(r.errors(1).field(), "left_time");
  EXPECT_THAT(r.errors(2).reason(), HasSubstr("contact for unknown customer"));
  EXPECT_THAT(r.errors(3).reason(), HasSubstr("unknown manager 'boss'"));
}

TEST(DatasetBuilder, ImplicitCustomersSignUpAtTheirFirstEvent) {
  DatasetBuilder b;
  b.set_implicit_customers(true);
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("x", v1::ORDER, "2024-05-01", 1), {"e", 1}).ok());
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("y", v1::ORDER, "2024-02-01", 1), {"e", 2}).ok());
  ASSERT_TRUE(
      b.AddEvent(MakeEvent("x", v1::ORDER, "2024-03-01", 1), {"e", 3}).ok());
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->num_customers(), 2u);
  EXPECT_EQ(ds->customer_id(0), "x");
  EXPECT_EQ(ds->customers().signup_time[0], T("2024-03-01"));
  EXPECT_EQ(ds->customers().signup_time[1], T("2024-02-01"));
  EXPECT_EQ(b.report().total_errors(), 0);
}

TEST(Dataset, MessagesRoundTripTheColumns) {
  DatasetBuilder b;
  v1::Customer c = MakeCustomer("c1", "A");
  c.set_name("上海某某科技");
  c.set_annual_value(150000);
  (*c.mutable_attributes())["Contract"] = "One year";
  ASSERT_TRUE(b.AddCustomer(c, {"c", 1}).ok());
  v1::Event e;
  e.set_customer_id("c1");
  e.set_kind(v1::TICKET);
  e.set_subtype(v1::TICKET_OPENED);
  e.mutable_time()->set_seconds(T("2024-01-01T08:00:00Z"));
  e.set_value(3.5);
  e.set_key("login-bug");
  e.set_complaint(true);
  ASSERT_TRUE(b.AddEvent(ToEventInput(e), {"e", 1}).ok());
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->CustomerMessage(0).SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(ds->EventMessage(0, 0).SerializeAsString(), e.SerializeAsString());
  v1::DatasetSummary s = ds->Summary();
  EXPECT_EQ(s.events_by_kind().at("TICKET"), 1);
  EXPECT_EQ(s.customers_by_tier().at("A"), 1);
  EXPECT_EQ(s.first_event_time(), "2024-01-01T08:00:00Z");
}

// The budget: at most 40 bytes per event on average.
// Build() sorts and compacts the columns in place; checks it against a
// stable sort of the kept rows by (customer, time), over enough rows to span
// many staging chunks, with time ties, rows of unknown customers and gaps in
// the row numbers.
TEST(DatasetBuilder, BuildsLikeAStableSortOfTheKeptRows) {
  DatasetBuilder b;
  const int kCustomers = 3000;
  std::vector<std::string> ids;
  for (int c = 0; c < kCustomers; ++c) {
    ids.push_back("c" + std::to_string(c));
    ASSERT_TRUE(b.AddCustomer(MakeCustomer(ids.back()), {"c", c + 2}).ok());
  }
  struct Row {
    int customer;  // -1: unknown
    int64_t input;
    int64_t line;
    UnixSeconds time;
  };
  std::vector<Row> rows;
  const UnixSeconds t0 = T("2024-01-01");
  uint64_t x = 12345;
  auto next = [&x] {
    x = x * 6364136223846793005u + 1442695040888963407u;
    return x >> 33;
  };
  int64_t line = 1;
  for (int64_t i = 0; i < 400000; ++i) {
    line += next() % 50 == 0 ? 2 : 1;  // a skipped line now and then
    const bool unknown = next() % 1000 == 0;
    const int c = static_cast<int>(next() % kCustomers);
    // Before the signup now and then (a warning), many ties.
    const UnixSeconds t = next() % 5000 == 0
                              ? T("2022-06-01")
                              : t0 + int64_t(next() % 200) * 3600;
    const std::string unknown_id = "x" + std::to_string(c);
    EventInput e;
    e.customer_id = unknown ? absl::string_view(unknown_id) : ids[c];
    e.kind = i % 2 == 0 ? v1::ORDER : v1::LOGIN;
    e.time = t;
    e.amount = e.kind == v1::ORDER ? double(i) : 0;
    e.value = double(i % 97);
    e.key = ids[i % kCustomers];
    e.flags = i % 3 == 0 ? kFlagComplaint : 0;
    ASSERT_TRUE(b.AddEvent(e, {"e", line}).ok());
    rows.push_back({unknown ? -1 : c, i, line, t});
  }
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok()) << ds.status();

  std::vector<Row> kept;
  std::vector<int64_t> unknown_lines, early_lines;
  for (const Row& r : rows) {
    if (r.customer < 0) {
      unknown_lines.push_back(r.line);
      continue;
    }
    if (r.time < T("2023-01-01")) early_lines.push_back(r.line);
    kept.push_back(r);
  }
  std::stable_sort(kept.begin(), kept.end(), [](const Row& a, const Row& c) {
    return a.customer != c.customer ? a.customer < c.customer : a.time < c.time;
  });
  const EventTable& ev = ds->events();
  ASSERT_EQ(ds->num_events(), kept.size());
  EXPECT_EQ(ev.kind.capacity(), kept.size());
  for (size_t e = 0; e < kept.size(); ++e) {
    const int64_t i = kept[e].input;
    ASSERT_EQ(ev.time[e], kept[e].time) << e;
    ASSERT_EQ(ev.value[e], double(i % 97)) << e;
    ASSERT_EQ(ev.amount[e], i % 2 == 0 ? double(i) : 0) << e;
    ASSERT_EQ(ds->str(ev.key[e]), ids[i % kCustomers]) << e;
    ASSERT_EQ(ev.flags[e], i % 3 == 0 ? kFlagComplaint : 0) << e;
  }
  for (int c = 0; c < kCustomers; ++c) {
    for (size_t e = ds->event_begin(c); e < ds->event_end(c); ++e) {
      ASSERT_EQ(kept[e].customer, c) << e;
    }
  }
  const v1::ErrorReport& report = b.report();
  ASSERT_EQ(report.errors_size(), std::min<int>(unknown_lines.size(), 1000));
  for (int k = 0; k < report.errors_size(); ++k) {
    EXPECT_EQ(report.errors(k).row(), unknown_lines[k]);
  }
  ASSERT_EQ(report.warnings_size(), std::min<int>(early_lines.size(), 1000));
  for (int k = 0; k < report.warnings_size(); ++k) {
    EXPECT_EQ(report.warnings(k).row(), early_lines[k]);
  }
}

TEST(Dataset, HoldsAMillionEventsInUnder40BytesEach) {
  DatasetBuilder b;
  const int kCustomers = 10000;
  std::vector<std::string> ids;
  for (int c = 0; c < kCustomers; ++c) {
    ids.push_back("cust-" + std::to_string(c));
    ASSERT_TRUE(b.AddCustomer(MakeCustomer(ids.back()), {"c", c}).ok());
  }
  const UnixSeconds t0 = T("2024-01-01");
  const char* keys[] = {"reports", "export", "api", "dashboard"};
  for (int i = 0; i < 1000000; ++i) {
    EventInput e;
    e.customer_id = ids[(int64_t{i} * 7919) % kCustomers];
    e.kind = i % 3 == 0 ? v1::ORDER : v1::FEATURE_USE;
    e.time = t0 + (i % 5000) * 3600;
    e.amount = e.kind == v1::ORDER ? 10.0 + i % 100 : 0;
    e.key = keys[i % 4];
    ASSERT_TRUE(b.AddEvent(e, {"e", i}).ok());
  }
  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->num_events(), 1000000u);
  const double per_event =
      static_cast<double>(ds->MemoryUsage()) / ds->num_events();
  RecordProperty("bytes_per_event", std::to_string(per_event));
  EXPECT_LE(per_event, 40.0);
}

}  // namespace
}  // namespace churnkit
