#include "churnkit/report.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/partition.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace pb = google::protobuf;

constexpr int64_t kDay = 86400;
UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

struct Spec {
  std::string id, tier;
  double annual_value = 0;
  std::string signup = "";   // empty: unknown
  std::string country = "";  // attributes.country, when set
};

class Builder {
 public:
  Builder& Customer(const Spec& s) {
    v1::Customer c;
    c.set_id(s.id);
    c.set_tier(s.tier);
    c.set_annual_value(s.annual_value);
    if (!s.signup.empty()) c.mutable_signup_time()->set_seconds(T(s.signup));
    if (!s.country.empty()) (*c.mutable_attributes())["country"] = s.country;
    EXPECT_TRUE(b_.AddCustomer(c, {"t", row_++}).ok());
    return *this;
  }
  Builder& Event(const std::string& customer, absl::string_view time,
                 v1::EventKind kind, absl::string_view key = "",
                 double amount = 0) {
    EventInput e;
    e.customer_id = customer;
    e.kind = kind;
    e.time = T(time);
    e.key = key;
    e.amount = amount;
    EXPECT_TRUE(b_.AddEvent(e, {"t", row_++}).ok());
    return *this;
  }
  Builder& Contract(const std::string& customer, absl::string_view start,
                    absl::string_view end, absl::string_view renewal) {
    v1::Contract k;
    k.set_id(absl::StrCat("k", row_));
    k.set_customer_id(customer);
    k.mutable_start_time()->set_seconds(T(start));
    k.mutable_end_time()->set_seconds(T(end));
    k.mutable_renewal_time()->set_seconds(T(renewal));
    EXPECT_TRUE(b_.AddContract(k, {"t", row_++}).ok());
    return *this;
  }
  Dataset Build() { return b_.Build().value(); }

 private:
  DatasetBuilder b_;
  int row_ = 1;
};

// Active churn on cancellation; passive after 60 days without a login or
// an order.
constexpr char kQuiet60[] = R"pb(
  active { kinds: CANCELLATION }
  passive {
    name: "quiet_60d"
    activity { kinds: [ LOGIN, ORDER ] }
    inactive_days: 60
  }
)pb";
constexpr char kActiveOnly[] = "active { kinds: CANCELLATION }";

v1::ReportRequest Request(absl::string_view definition,
                          absl::string_view rest = "") {
  v1::ReportRequest r;
  EXPECT_TRUE(ParseTextProto(rest, &r).ok()) << rest;
  EXPECT_TRUE(ParseTextProto(definition, r.mutable_definition()).ok());
  return r;
}

// No double anywhere in `m` (recursively) is NaN or infinite.
void ExpectAllFinite(const pb::Message& m, const std::string& path = "") {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    const std::string at = path + "." + f->name();
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_DOUBLE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          EXPECT_TRUE(std::isfinite(r->GetRepeatedDouble(m, f, i))) << at;
        }
      } else {
        EXPECT_TRUE(std::isfinite(r->GetDouble(m, f))) << at;
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          ExpectAllFinite(r->GetRepeatedMessage(m, f, i),
                          absl::StrCat(at, "[", i, "]"));
        }
      } else {
        ExpectAllFinite(r->GetMessage(m, f), at);
      }
    }
  }
}

v1::ChurnReport Report(const Dataset& ds, const v1::ReportRequest& request) {
  absl::StatusOr<v1::ChurnReport> r = BuildChurnReport(ds, request);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  ExpectAllFinite(*r);
  return *std::move(r);
}

std::vector<std::string> Keys(
    const pb::RepeatedPtrField<v1::ChurnShare>& shares) {
  std::vector<std::string> keys;
  for (const v1::ChurnShare& s : shares) keys.push_back(s.key());
  return keys;
}

// ---- Period figures ---------------------------------------------------------

// Eight customers around the period [2024-01-01, 2024-04-01) under kQuiet60
// (stories and hand-computed figures in the test below).
Dataset EightCustomers() {
  return Builder()
      // a: steady logins, never churns.
      .Customer({"a", "A", 1000, "2023-01-01", "US"})
      .Event("a", "2023-01-05", v1::LOGIN)
      .Event("a", "2023-11-20", v1::LOGIN)
      .Event("a", "2023-12-20", v1::LOGIN)
      .Event("a", "2024-01-20", v1::LOGIN)
      .Event("a", "2024-02-20", v1::LOGIN)
      .Event("a", "2024-03-20", v1::LOGIN)
      // b: cancels for price on 2024-02-10, 254 days after signup, before
      // its first renewal (no contract: signup + 365 days).
      .Customer({"b", "A", 2000, "2023-06-01", "CN"})
      .Event("b", "2023-11-15", v1::LOGIN)
      .Event("b", "2023-12-15", v1::LOGIN)
      .Event("b", "2024-02-10", v1::CANCELLATION, "price")
      // c: orders at signup and on 2024-01-10, then silence: passive churn
      // from its last order (found on 2024-03-10), 26 days after signup.
      .Customer({"c", "B", 500, "2023-12-15", "US"})
      .Event("c", "2023-12-15", v1::ORDER)
      .Event("c", "2024-01-10", v1::ORDER)
      // d: passive churn on 2023-11-30, before the period: not in the base.
      .Customer({"d", "B", 800, "2022-01-01"})
      .Event("d", "2023-10-01", v1::ORDER)
      // e: signs up during the period and cancels in it: new and churned.
      .Customer({"e", "B", 300, "2024-02-01"})
      .Event("e", "2024-03-01", v1::CANCELLATION, "competitor")
      // f: last order 2024-01-05, passive churn from then (found on
      // 2024-03-05), long after the first renewal of its first contract
      // (2022-02-01).
      .Customer({"f", "C", 400, "2021-03-01"})
      .Contract("f", "2021-03-01", "2022-03-01", "2022-02-01")
      .Event("f", "2023-11-01", v1::ORDER)
      .Event("f", "2023-12-20", v1::ORDER)
      .Event("f", "2024-01-05", v1::ORDER)
      // g: cancels exactly at the period's end: not seen as of the end.
      .Customer({"g", "C", 100, "2023-11-01"})
      .Event("g", "2023-11-10", v1::LOGIN)
      .Event("g", "2023-12-20", v1::LOGIN)
      .Event("g", "2024-02-10", v1::LOGIN)
      .Event("g", "2024-03-15", v1::LOGIN)
      .Event("g", "2024-04-01", v1::CANCELLATION, "price")
      // h: signs up exactly at the period's start: new, not in the base.
      .Customer({"h", "C", 50, "2024-01-01"})
      .Event("h", "2024-02-15", v1::LOGIN)
      .Event("h", "2024-03-30", v1::LOGIN)
      .Build();
}

constexpr char kFirstQuarter[] =
    R"pb(period { start: "2024-01-01" end: "2024-04-01" })pb";

TEST(BuildChurnReport, PeriodFiguresByHand) {
  const Dataset ds = EightCustomers();
  const v1::ChurnReport r = Report(ds, Request(kQuiet60, kFirstQuarter));
  EXPECT_EQ(r.as_of(), "2024-04-01");  // the period's end by default
  EXPECT_EQ(r.customers(), 8);
  EXPECT_EQ(r.period().start(), "2024-01-01");
  EXPECT_EQ(r.period().end(), "2024-04-01");
  const v1::ChurnFigures& f = r.period().overall();
  // At the start: a, b, c, f, g (d churned before, e and h signed up on or
  // after the start). Churned in the period: b (active), c and f
  // (passive), and the new customer e (active).
  EXPECT_EQ(f.customers_at_start(), 5);
  EXPECT_EQ(f.churned(), 4);
  EXPECT_EQ(f.churned_customers(), 4);
  EXPECT_EQ(f.reactivated(), 0);
  // Of the 5 at the start, 3 churned.
  EXPECT_DOUBLE_EQ(f.churn_rate(), 60.0);
  EXPECT_DOUBLE_EQ(f.retention_rate(), 40.0);
  EXPECT_DOUBLE_EQ(f.revenue_at_start(), 1000 + 2000 + 500 + 400 + 100);
  EXPECT_DOUBLE_EQ(f.revenue_lost(), 2000 + 500 + 400 + 300);
  EXPECT_DOUBLE_EQ(f.revenue_churn_rate(), 100.0 * 3200 / 4000);
  EXPECT_EQ(f.new_customers(), 2);     // e, h
  EXPECT_EQ(f.customers_at_end(), 3);  // a, g, h
  EXPECT_EQ(f.customers_at_start() + f.new_customers() + f.reactivated() -
                f.churned(),
            f.customers_at_end());
  EXPECT_EQ(r.revenue_source(), "annual_value");

  EXPECT_THAT(Keys(f.by_type()), ElementsAre("ACTIVE", "PASSIVE"));
  EXPECT_EQ(f.by_type(0).customers(), 2);
  EXPECT_NEAR(f.by_type(0).share(), 50.0, 1e-12);
  EXPECT_DOUBLE_EQ(f.by_type(0).revenue_lost(), 2300);
  EXPECT_EQ(f.by_type(1).customers(), 2);
  EXPECT_DOUBLE_EQ(f.by_type(1).revenue_lost(), 900);
  // Passive churn has no reason: "unknown"; largest first, then by key.
  EXPECT_THAT(Keys(f.by_reason()),
              ElementsAre("unknown", "competitor", "price"));
  EXPECT_EQ(f.by_reason(0).customers(), 2);
  EXPECT_EQ(f.by_reason(1).customers(), 1);
  // c 26 days and e 28 days after signup, b after 254 (before signup +
  // 365), f after its first contract's renewal.
  EXPECT_THAT(
      Keys(f.by_stage()),
      ElementsAre("onboarding", "before_first_renewal", "after_first_renewal"));
  EXPECT_EQ(f.by_stage(0).customers(), 2);
  EXPECT_DOUBLE_EQ(f.by_stage(0).revenue_lost(), 800);
  EXPECT_EQ(f.by_stage(1).customers(), 1);
  EXPECT_EQ(f.by_stage(2).customers(), 1);
}

TEST(BuildChurnReport, BreakdownsByTierAndVendorAttribute) {
  const Dataset ds = EightCustomers();
  v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  request.add_breakdowns("tier");
  request.add_breakdowns("attributes.country");
  const v1::ChurnReport r = Report(ds, request);
  ASSERT_EQ(r.period().breakdowns_size(), 2);

  const v1::Breakdown& tier = r.period().breakdowns(0);
  EXPECT_EQ(tier.attribute(), "tier");
  ASSERT_EQ(tier.groups_size(), 3);
  struct Row {
    std::string value;
    int64_t at_start, churned;
    double rate, lost;
    int64_t new_customers, at_end;
  };
  auto expect = [](const v1::GroupFigures& g, const Row& row) {
    SCOPED_TRACE(row.value);
    EXPECT_EQ(g.value(), row.value);
    EXPECT_EQ(g.figures().customers_at_start(), row.at_start);
    EXPECT_EQ(g.figures().churned(), row.churned);
    EXPECT_DOUBLE_EQ(g.figures().churn_rate(), row.rate);
    EXPECT_DOUBLE_EQ(g.figures().retention_rate(), 100 - row.rate);
    EXPECT_DOUBLE_EQ(g.figures().revenue_lost(), row.lost);
    EXPECT_EQ(g.figures().new_customers(), row.new_customers);
    EXPECT_EQ(g.figures().customers_at_end(), row.at_end);
  };
  expect(tier.groups(0), {"A", 2, 1, 50, 2000, 0, 1});  // a, b
  expect(tier.groups(1), {"B", 1, 2, 100, 800, 1, 0});  // c, e new (d out)
  expect(tier.groups(2), {"C", 2, 1, 50, 400, 1, 2});   // f, g (h new)
  EXPECT_THAT(Keys(tier.groups(1).figures().by_stage()),
              ElementsAre("onboarding"));

  const v1::Breakdown& country = r.period().breakdowns(1);
  EXPECT_EQ(country.attribute(), "attributes.country");
  ASSERT_EQ(country.groups_size(), 3);
  expect(country.groups(0), {"", 2, 2, 50, 700, 2, 2});  // f, g; e, h new
  expect(country.groups(1), {"CN", 1, 1, 100, 2000, 0, 0});
  expect(country.groups(2), {"US", 2, 1, 50, 500, 0, 1});
}

TEST(BuildChurnReport, LifecycleStagesFollowTheOptions) {
  v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  request.mutable_lifecycle()->set_onboarding_days(20);
  const v1::ChurnReport r = Report(EightCustomers(), request);
  // c and e churned 26 and 28 days in: after a 20-day onboarding, before
  // their renewal.
  const v1::ChurnFigures& f = r.period().overall();
  EXPECT_THAT(Keys(f.by_stage()),
              ElementsAre("before_first_renewal", "after_first_renewal"));
  EXPECT_EQ(f.by_stage(0).customers(), 3);
}

// Churn dated exactly at a period boundary is counted once: passive churn
// belongs to the period of the last activity it began with, even when its
// window runs out in a later one; an event at a period's end belongs to the
// next period (events at `end` are not seen as of `end`).
TEST(BuildChurnReport, ConsecutivePeriodsCountEachChurnOnce) {
  const Dataset ds =
      Builder()
          // p: last login 2024-01-10, silent since (found on 2024-03-10).
          .Customer({"p", "A", 10, "2023-10-01"})
          .Event("p", "2023-11-20", v1::LOGIN)
          .Event("p", "2024-01-10", v1::LOGIN)
          // q: cancels exactly 2024-02-01.
          .Customer({"q", "A", 20, "2023-10-01"})
          .Event("q", "2023-12-20", v1::LOGIN)
          .Event("q", "2024-01-20", v1::LOGIN)
          .Event("q", "2024-02-01", v1::CANCELLATION, "price")
          // r: signs up exactly 2024-02-01.
          .Customer({"r", "B", 30, "2024-02-01"})
          .Event("r", "2024-02-05", v1::LOGIN)
          .Event("r", "2024-03-05", v1::LOGIN)
          // s: steady.
          .Customer({"s", "B", 40, "2023-10-01"})
          .Event("s", "2023-11-15", v1::LOGIN)
          .Event("s", "2023-12-20", v1::LOGIN)
          .Event("s", "2024-01-25", v1::LOGIN)
          .Event("s", "2024-02-25", v1::LOGIN)
          .Event("s", "2024-03-25", v1::LOGIN)
          .Build();
  const v1::ChurnReport r =
      Report(ds, Request(kQuiet60, std::string(kFirstQuarter) + " trend {}"));
  ASSERT_EQ(r.trend_size(), 3);
  std::vector<std::pair<int64_t, int64_t>> months;  // (at start, churned)
  for (const v1::PeriodChurn& m : r.trend()) {
    months.push_back({m.overall().customers_at_start(), m.overall().churned()});
  }
  // January: p, q, s at the start; p churned (silent since Jan 10).
  // February: q, s; q churned (cancelled Feb 1). March: r, s; none.
  EXPECT_THAT(months, ElementsAre(std::pair<int64_t, int64_t>{3, 1},
                                  std::pair<int64_t, int64_t>{2, 1},
                                  std::pair<int64_t, int64_t>{2, 0}));
  EXPECT_EQ(r.trend(0).start(), "2024-01-01");
  EXPECT_EQ(r.trend(0).end(), "2024-02-01");
  EXPECT_EQ(r.trend(0).overall().by_type(0).key(), "PASSIVE");
  EXPECT_EQ(r.trend(1).overall().by_type(0).key(), "ACTIVE");
  EXPECT_EQ(r.trend(1).overall().new_customers(), 1);  // r
  EXPECT_DOUBLE_EQ(r.trend(2).overall().churn_rate(), 0);
  // The quarter counts the same two churns once each.
  EXPECT_EQ(r.period().overall().customers_at_start(), 3);
  EXPECT_EQ(r.period().overall().churned(), 2);
}

TEST(BuildChurnReport, TrendMonthsAreCutToTheRange) {
  v1::ReportRequest request = Request(
      kQuiet60, R"pb(trend { range { start: "2024-01-15" end: "2024-03-10" } }
                     as_of: "2024-04-01")pb");
  const v1::ChurnReport r = Report(EightCustomers(), request);
  std::vector<std::string> ranges;
  for (const v1::PeriodChurn& m : r.trend()) {
    ranges.push_back(m.start() + ".." + m.end());
  }
  EXPECT_THAT(ranges,
              ElementsAre("2024-01-15..2024-02-01", "2024-02-01..2024-03-01",
                          "2024-03-01..2024-03-10"));
  // The default period: the calendar year before as_of.
  EXPECT_EQ(r.period().start(), "2023-04-01");
  EXPECT_EQ(r.period().end(), "2024-04-01");
}

TEST(BuildChurnReport, TrendCarriesTheBreakdowns) {
  v1::ReportRequest request =
      Request(kQuiet60, std::string(kFirstQuarter) + " trend {}");
  request.add_breakdowns("tier");
  const v1::ChurnReport r = Report(EightCustomers(), request);
  ASSERT_EQ(r.trend_size(), 3);
  // January: c (tier B) and f (tier C) go quiet after their last orders;
  // February: b (tier A) cancels; March: e (tier B) cancels.
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  auto churned = [&](int month) {
    Counts out;
    for (const v1::GroupFigures& g : r.trend(month).breakdowns(0).groups()) {
      out.push_back({g.value(), g.figures().churned()});
    }
    return out;
  };
  EXPECT_EQ(churned(0), (Counts{{"A", 0}, {"B", 1}, {"C", 1}}));
  EXPECT_EQ(churned(1), (Counts{{"A", 1}, {"B", 0}, {"C", 0}}));
  EXPECT_EQ(churned(2), (Counts{{"A", 0}, {"B", 1}, {"C", 0}}));
  // The months add up to the quarter.
  int64_t sum = 0;
  for (const v1::PeriodChurn& m : r.trend()) sum += m.overall().churned();
  EXPECT_EQ(sum, r.period().overall().churned());
}

// ---- Cohorts ----------------------------------------------------------------

// Signups in January (x1, x2, x3) and February 2024 (y1, y2), and one in
// June 2023 (z) before the month of the first event (2024-01-05); as of
// 2024-04-15.
Dataset CohortCustomers() {
  return Builder()
      .Customer({"z", "B", 0, "2023-06-10"})
      .Customer({"x1", "A", 0, "2024-01-03"})
      .Event("x1", "2024-01-05", v1::LOGIN)
      .Event("x1", "2024-02-10", v1::CANCELLATION)
      .Customer({"x2", "B", 0, "2024-01-10"})
      .Customer({"x3", "B", 0, "2024-01-12"})
      .Event("x3", "2024-01-20", v1::CANCELLATION)
      .Customer({"y1", "A", 0, "2024-02-05"})
      .Event("y1", "2024-03-15", v1::CANCELLATION)
      .Customer({"y2", "B", 0, "2024-02-20"})
      .Build();
}

struct CellView {
  int32_t month;
  std::string as_of;
  int64_t retained;
  double retention;
  bool operator==(const CellView& o) const {
    return month == o.month && as_of == o.as_of && retained == o.retained &&
           std::fabs(retention - o.retention) < 1e-9;
  }
  friend std::ostream& operator<<(std::ostream& os, const CellView& c) {
    return os << "{" << c.month << ", " << c.as_of << ", " << c.retained << ", "
              << c.retention << "}";
  }
};

std::vector<CellView> Cells(const v1::CohortRow& row) {
  std::vector<CellView> cells;
  for (const v1::CohortCell& c : row.cells()) {
    cells.push_back({c.month(), c.as_of(), c.retained(), c.retention()});
  }
  return cells;
}

TEST(BuildChurnReport, CohortCellsByHandWithRightCensoring) {
  const v1::ChurnReport r =
      Report(CohortCustomers(), Request(kActiveOnly, R"pb(as_of: "2024-04-15"
                                                          cohorts {})pb"));
  ASSERT_EQ(r.cohorts_size(), 1);
  const v1::CohortTable& t = r.cohorts(0);
  EXPECT_EQ(t.attribute(), "");
  // z signed up before the month of the first event: not a default cohort.
  ASSERT_EQ(t.rows_size(), 2);
  // January: x3 gone by Feb 1, x1 by Mar 1; the May 1 cell is after as_of.
  EXPECT_EQ(t.rows(0).cohort(), "2024-01");
  EXPECT_EQ(t.rows(0).customers(), 3);
  EXPECT_THAT(Cells(t.rows(0)),
              ElementsAre(CellView{0, "2024-02-01", 2, 200.0 / 3},
                          CellView{1, "2024-03-01", 1, 100.0 / 3},
                          CellView{2, "2024-04-01", 1, 100.0 / 3}));
  // February: y1 cancels Mar 15.
  EXPECT_EQ(t.rows(1).cohort(), "2024-02");
  EXPECT_EQ(t.rows(1).customers(), 2);
  EXPECT_THAT(Cells(t.rows(1)), ElementsAre(CellView{0, "2024-03-01", 2, 100},
                                            CellView{1, "2024-04-01", 1, 50}));
}

TEST(BuildChurnReport, CohortsBeforeTheDataAreLeftCensored) {
  const v1::ChurnReport r =
      Report(CohortCustomers(),
             Request(kActiveOnly,
                     R"pb(as_of: "2024-04-15"
                          cohorts { signups { start: "2023-01-01" } })pb"));
  const v1::CohortTable& t = r.cohorts(0);
  ASSERT_EQ(t.rows_size(), 3);
  // June 2023: month ends up to 2024-01-01 precede the first event
  // (2024-01-05) and are left out; z never churns.
  EXPECT_EQ(t.rows(0).cohort(), "2023-06");
  EXPECT_EQ(t.rows(0).customers(), 1);
  EXPECT_THAT(Cells(t.rows(0)), ElementsAre(CellView{7, "2024-02-01", 1, 100},
                                            CellView{8, "2024-03-01", 1, 100},
                                            CellView{9, "2024-04-01", 1, 100}));
  EXPECT_EQ(t.rows(1).cohort(), "2024-01");
}

TEST(BuildChurnReport, CohortsPerGroupAndMaxMonths) {
  const v1::ChurnReport r =
      Report(CohortCustomers(),
             Request(kActiveOnly, R"pb(as_of: "2024-04-15"
                                       cohorts {
                                         signups { start: "2023-01-01" }
                                         group_by: "tier"
                                         max_months: 2
                                       })pb"));
  ASSERT_EQ(r.cohorts_size(), 3);  // all, tier A, tier B
  // June 2023's first two cells precede the data: none left.
  EXPECT_EQ(r.cohorts(0).rows(0).cohort(), "2023-06");
  EXPECT_EQ(r.cohorts(0).rows(0).cells_size(), 0);
  EXPECT_EQ(r.cohorts(0).rows(1).cells_size(), 2);

  const v1::CohortTable& a = r.cohorts(1);
  EXPECT_EQ(a.attribute(), "tier");
  EXPECT_EQ(a.value(), "A");
  ASSERT_EQ(a.rows_size(), 2);
  EXPECT_THAT(Cells(a.rows(0)), ElementsAre(CellView{0, "2024-02-01", 1, 100},
                                            CellView{1, "2024-03-01", 0, 0}));
  EXPECT_THAT(Cells(a.rows(1)), ElementsAre(CellView{0, "2024-03-01", 1, 100},
                                            CellView{1, "2024-04-01", 0, 0}));
  const v1::CohortTable& b = r.cohorts(2);
  EXPECT_EQ(b.value(), "B");
  ASSERT_EQ(b.rows_size(), 3);
  EXPECT_EQ(b.rows(1).cohort(), "2024-01");
  EXPECT_THAT(Cells(b.rows(1)), ElementsAre(CellView{0, "2024-02-01", 1, 50},
                                            CellView{1, "2024-03-01", 1, 50}));
}

TEST(BuildChurnReport, CohortSignupRange) {
  const v1::ChurnReport r =
      Report(CohortCustomers(),
             Request(kActiveOnly,
                     R"pb(as_of: "2024-04-15"
                          cohorts {
                            signups { start: "2024-01-11" end: "2024-02-10" }
                          })pb"));
  ASSERT_EQ(r.cohorts(0).rows_size(), 2);
  EXPECT_EQ(r.cohorts(0).rows(0).customers(), 1);  // x3
  EXPECT_EQ(r.cohorts(0).rows(1).customers(), 1);  // y1
}

// ---- Kaplan–Meier -----------------------------------------------------------

// The 6-MP arm of the Freireich et al. (1963) leukaemia remission trial:
// weeks in remission, "+" censored — 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+
// 20+ 22 23 25+ 32+ 32+ 34+ 35+. Kaplan–Meier table as printed in Klein &
// Moeschberger, "Survival Analysis" (2nd ed.), Table 4.1A, and Kleinbaum &
// Klein, "Survival Analysis: A Self-Learning Text", ch. 2 (group 1).
// Ties: three relapses and one censoring at week 6 (the censored one is at
// risk at 6).
TEST(KaplanMeier, SixMpTextbookTable) {
  const std::vector<double> weeks = {6,  6,  6,  6,  7,  9,  10, 10, 11, 13, 16,
                                     17, 19, 20, 22, 23, 25, 32, 32, 34, 35};
  const std::vector<uint8_t> relapse = {1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1,
                                        0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
  const int32_t horizons[] = {10, 30, 40};
  absl::StatusOr<v1::SurvivalCurve> km =
      KaplanMeier(weeks, relapse, 0.95, horizons);
  ASSERT_TRUE(km.ok()) << km.status();
  ExpectAllFinite(*km);
  EXPECT_EQ(km->customers(), 21);
  EXPECT_EQ(km->churned(), 9);
  EXPECT_EQ(km->censored(), 12);
  // t, n at risk, d, S(t), Greenwood standard error (textbook, 4 places).
  struct Row {
    double t;
    int64_t n, d;
    double s, se;
  };
  const Row table[] = {{6, 21, 3, 0.8571, 0.0764},  {7, 17, 1, 0.8067, 0.0869},
                       {10, 15, 1, 0.7529, 0.0963}, {13, 12, 1, 0.6902, 0.1068},
                       {16, 11, 1, 0.6275, 0.1141}, {22, 7, 1, 0.5378, 0.1282},
                       {23, 6, 1, 0.4482, 0.1346}};
  ASSERT_EQ(km->points_size(), 7);
  for (int i = 0; i < 7; ++i) {
    const v1::SurvivalPoint& p = km->points(i);
    SCOPED_TRACE(table[i].t);
    EXPECT_EQ(p.days(), table[i].t);
    EXPECT_EQ(p.at_risk(), table[i].n);
    EXPECT_EQ(p.churned(), table[i].d);
    EXPECT_NEAR(p.survival(), table[i].s, 5e-5);
    EXPECT_NEAR(std::sqrt(p.variance()), table[i].se, 5e-5);
    EXPECT_LT(p.lower(), p.survival());
    EXPECT_GT(p.upper(), p.survival());
  }
  // Exact values at week 6: S = 18/21; Greenwood sum 3 / (21 x 18).
  const double s6 = 18.0 / 21, sum6 = 3.0 / (21 * 18);
  EXPECT_DOUBLE_EQ(km->points(0).survival(), s6);
  EXPECT_DOUBLE_EQ(km->points(0).variance(), s6 * s6 * sum6);
  // log(-log) band at week 6: sigma = sqrt(sum) / |ln S| = 0.577920,
  // S^exp(±1.959964 sigma) = S^3.10412 and S^(1/3.10412):
  // (0.6197, 0.9516) by hand.
  EXPECT_NEAR(km->points(0).lower(), 0.6197, 5e-5);
  EXPECT_NEAR(km->points(0).upper(), 0.9516, 5e-5);
  EXPECT_NEAR(km->points(6).lower(), 0.1881, 5e-5);
  EXPECT_NEAR(km->points(6).upper(), 0.6801, 5e-5);
  // Median remission: 23 weeks (S(22) = 0.538, S(23) = 0.448).
  ASSERT_TRUE(km->has_median_days());
  EXPECT_EQ(km->median_days(), 23);
  // S(10) includes the relapse at 10; S(30) = S(23); 40 > 35 weeks observed.
  ASSERT_EQ(km->at_horizons_size(), 2);
  EXPECT_EQ(km->at_horizons(0).days(), 10);
  EXPECT_NEAR(km->at_horizons(0).survival(), 0.7529, 5e-5);
  EXPECT_EQ(km->at_horizons(1).days(), 30);
  EXPECT_EQ(km->at_horizons(1).survival(), km->points(6).survival());
  EXPECT_EQ(km->at_horizons(1).lower(), km->points(6).lower());
}

// The placebo arm of the same trial: 21 relapses, no censoring — 1 1 2 2 3
// 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23. Median 8 weeks (Kleinbaum &
// Klein, group 2). The curve reaches 0 at week 23.
TEST(KaplanMeier, PlaceboArmReachesZero) {
  const std::vector<double> weeks = {1, 1, 2,  2,  3,  4,  4,  5,  5,  8, 8,
                                     8, 8, 11, 11, 12, 12, 15, 17, 22, 23};
  const std::vector<uint8_t> relapse(weeks.size(), 1);
  absl::StatusOr<v1::SurvivalCurve> km = KaplanMeier(weeks, relapse);
  ASSERT_TRUE(km.ok()) << km.status();
  ExpectAllFinite(*km);
  EXPECT_EQ(km->censored(), 0);
  ASSERT_EQ(km->points_size(), 12);
  EXPECT_EQ(km->median_days(), 8);
  EXPECT_NEAR(km->points(5).survival(), 8.0 / 21, 1e-12);  // week 8
  // Week 8: 12 at risk, 4 relapses; se 0.1060 (by the Greenwood sum
  // 2/(21·19) + 2/(19·17) + 1/(17·16) + 2/(16·14) + 2/(14·12) + 4/(12·8)).
  EXPECT_NEAR(std::sqrt(km->points(5).variance()), 0.1060, 5e-5);
  const v1::SurvivalPoint& last = km->points(11);
  EXPECT_EQ(last.days(), 23);
  EXPECT_EQ(last.at_risk(), 1);
  EXPECT_EQ(last.survival(), 0);
  EXPECT_EQ(last.variance(), 0);
  EXPECT_EQ(last.lower(), 0);
  EXPECT_EQ(last.upper(), 0);
}

TEST(KaplanMeier, NoEventsMeansNoMedianAndNoPoints) {
  const std::vector<double> t = {5, 9};
  const std::vector<uint8_t> e = {0, 0};
  const int32_t horizons[] = {9, 10};
  v1::SurvivalCurve km = KaplanMeier(t, e, 0.9, horizons).value();
  EXPECT_EQ(km.points_size(), 0);
  EXPECT_FALSE(km.has_median_days());
  ASSERT_EQ(km.at_horizons_size(), 1);  // 10 is beyond the data
  EXPECT_EQ(km.at_horizons(0).survival(), 1);
  EXPECT_EQ(km.at_horizons(0).lower(), 1);
  // An empty sample is a valid empty curve.
  v1::SurvivalCurve empty = KaplanMeier({}, {}).value();
  EXPECT_EQ(empty.customers(), 0);
  EXPECT_EQ(empty.points_size(), 0);
}

TEST(KaplanMeier, MedianIsTheFirstTimeAtOrBelowOneHalf) {
  // S drops to exactly 0.5 at t = 4 and stays there: the median is 4.
  const std::vector<double> t = {4, 7};
  const std::vector<uint8_t> e = {1, 0};
  v1::SurvivalCurve km = KaplanMeier(t, e).value();
  ASSERT_TRUE(km.has_median_days());
  EXPECT_EQ(km.median_days(), 4);
}

TEST(KaplanMeier, ConfidenceLevelWidensTheBand) {
  const std::vector<double> t = {1, 2, 3, 4, 5, 6};
  const std::vector<uint8_t> e = {1, 0, 1, 0, 1, 0};
  v1::SurvivalCurve narrow = KaplanMeier(t, e, 0.8).value();
  v1::SurvivalCurve wide = KaplanMeier(t, e, 0.99).value();
  for (int i = 0; i < narrow.points_size(); ++i) {
    EXPECT_LT(wide.points(i).lower(), narrow.points(i).lower());
    EXPECT_GT(wide.points(i).upper(), narrow.points(i).upper());
    EXPECT_EQ(wide.points(i).survival(), narrow.points(i).survival());
  }
}

TEST(KaplanMeier, RejectsBadInput) {
  const std::vector<double> t = {1, 2};
  const std::vector<uint8_t> e = {1, 0};
  auto message = [](const absl::StatusOr<v1::SurvivalCurve>& r) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  EXPECT_THAT(message(KaplanMeier(t, std::vector<uint8_t>{1})),
              HasSubstr("churned: 1 flags for 2 durations"));
  EXPECT_THAT(message(KaplanMeier(std::vector<double>{1, -1}, e)),
              HasSubstr("durations[1]"));
  EXPECT_THAT(message(KaplanMeier(std::vector<double>{NAN, 1}, e)),
              HasSubstr("durations[0]"));
  EXPECT_THAT(message(KaplanMeier(t, std::vector<uint8_t>{1, 2})),
              HasSubstr("churned[1]"));
  EXPECT_THAT(message(KaplanMeier(t, e, 1.0)), HasSubstr("confidence"));
  EXPECT_THAT(message(KaplanMeier(t, e, 0)), HasSubstr("confidence"));
  const int32_t bad[] = {30, 0};
  EXPECT_THAT(message(KaplanMeier(t, e, 0.95, bad)), HasSubstr("horizons[1]"));
}

// Lifetimes from labels: c1, c2 cancel on day 10 (a tie), c4 on day 50;
// c3 (100 days) and c7 (69 days) are censored at as_of 2024-04-10. c5
// signs up after as_of and c6 has no signup: both left out.
Dataset LifetimeCustomers() {
  return Builder()
      .Customer({"c1", "B", 0, "2024-01-01"})
      .Event("c1", "2024-01-11", v1::CANCELLATION)
      .Customer({"c2", "B", 0, "2024-01-01"})
      .Event("c2", "2024-01-11", v1::CANCELLATION)
      .Customer({"c3", "A", 0, "2024-01-01"})
      .Event("c3", "2024-01-02", v1::LOGIN)
      .Customer({"c4", "B", 0, "2024-01-01"})
      .Event("c4", "2024-02-20", v1::CANCELLATION)
      .Customer({"c5", "A", 0, "2024-05-01"})
      .Customer({"c6", "A", 0, ""})
      .Customer({"c7", "A", 0, "2024-02-01"})
      .Build();
}

TEST(BuildChurnReport, SurvivalFromLabelsWithCensoringAndGroups) {
  const v1::ChurnReport r =
      Report(LifetimeCustomers(),
             Request(kActiveOnly, R"pb(as_of: "2024-04-10"
                                       survival { group_by: "tier" })pb"));
  EXPECT_DOUBLE_EQ(r.confidence(), 0.95);
  ASSERT_EQ(r.survival_size(), 3);  // overall, tier A, tier B
  const v1::SurvivalCurve& all = r.survival(0);
  EXPECT_EQ(all.attribute(), "");
  EXPECT_EQ(all.customers(), 5);
  EXPECT_EQ(all.churned(), 3);
  EXPECT_EQ(all.censored(), 2);
  ASSERT_EQ(all.points_size(), 2);
  // Day 10: 5 at risk, 2 churn: S = 0.6, Greenwood 2/(5x3), var 0.048.
  EXPECT_EQ(all.points(0).days(), 10);
  EXPECT_EQ(all.points(0).at_risk(), 5);
  EXPECT_EQ(all.points(0).churned(), 2);
  EXPECT_DOUBLE_EQ(all.points(0).survival(), 0.6);
  EXPECT_NEAR(all.points(0).variance(), 0.048, 1e-12);
  EXPECT_NEAR(all.points(0).lower(), 0.125730, 5e-6);
  EXPECT_NEAR(all.points(0).upper(), 0.881756, 5e-6);
  // Day 50: 3 at risk, 1 churns: S = 0.4, sum 2/15 + 1/6 = 0.3, var 0.048.
  EXPECT_EQ(all.points(1).days(), 50);
  EXPECT_EQ(all.points(1).at_risk(), 3);
  EXPECT_DOUBLE_EQ(all.points(1).survival(), 0.4);
  EXPECT_NEAR(all.points(1).variance(), 0.048, 1e-12);
  EXPECT_EQ(all.median_days(), 50);
  // Default horizons 90, 180, 365: only 90 is within the 100 days seen.
  ASSERT_EQ(all.at_horizons_size(), 1);
  EXPECT_EQ(all.at_horizons(0).days(), 90);
  EXPECT_DOUBLE_EQ(all.at_horizons(0).survival(), 0.4);

  const v1::SurvivalCurve& a = r.survival(1);
  EXPECT_EQ(a.attribute(), "tier");
  EXPECT_EQ(a.value(), "A");
  EXPECT_EQ(a.customers(), 2);  // c3, c7
  EXPECT_EQ(a.points_size(), 0);
  EXPECT_FALSE(a.has_median_days());  // not reached
  ASSERT_EQ(a.at_horizons_size(), 1);
  EXPECT_EQ(a.at_horizons(0).survival(), 1);

  const v1::SurvivalCurve& b = r.survival(2);
  EXPECT_EQ(b.value(), "B");
  ASSERT_EQ(b.points_size(), 2);
  EXPECT_NEAR(b.points(0).survival(), 1.0 / 3, 1e-12);
  EXPECT_EQ(b.points(1).survival(), 0);
  EXPECT_EQ(b.points(1).upper(), 0);
  EXPECT_EQ(b.median_days(), 10);
  EXPECT_EQ(b.at_horizons_size(), 0);  // longest tenure 50 days
}

// ---- Edge cases and errors --------------------------------------------------

TEST(BuildChurnReport, EmptyDatasetGivesAValidEmptyReport) {
  const Dataset empty = DatasetBuilder().Build().value();
  v1::ChurnReport r = Report(empty, v1::ReportRequest());
  EXPECT_EQ(r.customers(), 0);
  EXPECT_EQ(r.as_of(), "");
  EXPECT_FALSE(r.has_period());

  // With dates, every section is there with zero counts and no rates.
  r = Report(empty, Request(kQuiet60, std::string(kFirstQuarter) +
                                          " trend {} cohorts {} survival {}"));
  EXPECT_EQ(r.as_of(), "2024-04-01");
  const v1::ChurnFigures& f = r.period().overall();
  EXPECT_EQ(f.customers_at_start(), 0);
  EXPECT_FALSE(f.has_churn_rate());
  EXPECT_FALSE(f.has_retention_rate());
  EXPECT_FALSE(f.has_revenue_churn_rate());
  EXPECT_EQ(f.by_type_size(), 0);
  ASSERT_EQ(r.trend_size(), 3);
  EXPECT_FALSE(r.trend(0).overall().has_churn_rate());
  ASSERT_EQ(r.cohorts_size(), 1);
  EXPECT_EQ(r.cohorts(0).rows_size(), 0);
  ASSERT_EQ(r.survival_size(), 1);
  EXPECT_EQ(r.survival(0).customers(), 0);
  EXPECT_FALSE(r.survival(0).has_median_days());
}

TEST(BuildChurnReport, GroupsWithoutCustomersAtTheStartHaveNoRate) {
  v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  request.add_breakdowns("tier");
  // From March 2 on, tier B has nobody left: c and d went quiet, e
  // cancelled on March 1.
  request.mutable_period()->set_start("2024-03-02");
  const v1::ChurnReport r = Report(EightCustomers(), request);
  const v1::GroupFigures& b = r.period().breakdowns(0).groups(1);
  EXPECT_EQ(b.value(), "B");
  EXPECT_EQ(b.figures().customers_at_start(), 0);
  EXPECT_FALSE(b.figures().has_churn_rate());
  EXPECT_EQ(b.figures().new_customers(), 0);
}

TEST(BuildChurnReport, ErrorsNameTheRequestField) {
  const Dataset ds = EightCustomers();
  auto error = [&](const std::string& text) {
    absl::StatusOr<v1::ChurnReport> r =
        BuildChurnReport(ds, Request(kQuiet60, text));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(r.status().message());
  };
  EXPECT_THAT(
      error(R"pb(period { start: "2024-03-01" end: "2024-02-01" })pb"),
      HasSubstr("period.end: 2024-02-01 is not after period.start 2024-03-01"));
  EXPECT_THAT(error(R"pb(period { start: "2024-03-01" end: "2024-03-01" })pb"),
              HasSubstr("period.end"));
  EXPECT_THAT(error(R"pb(as_of: "2024-03-01"
                         period { start: "2024-01-01" end: "2024-04-01" })pb"),
              HasSubstr("period.end: 2024-04-01 is after as_of 2024-03-01"));
  EXPECT_THAT(error(R"pb(period { start: "2023-01-05" end: "2024-04-01" })pb"),
              HasSubstr("period.start: 2023-01-05 is not after the first "
                        "event"));
  EXPECT_THAT(error(R"pb(period { start: "2024-13-01" })pb"),
              HasSubstr("period.start: "));
  EXPECT_THAT(error(R"pb(as_of: "yesterday")pb"), HasSubstr("as_of: "));
  EXPECT_THAT(
      error(std::string(kFirstQuarter) +
            R"pb(trend { range { start: "2024-02-01" end: "2024-01-01" } })pb"),
      HasSubstr("trend.range.end"));
  EXPECT_THAT(error(R"pb(breakdowns: "tier" breakdowns: "colour")pb"),
              HasSubstr("breakdowns[1]: unknown attribute 'colour'; expected "
                        "tier, industry, region, size, owner, product or "
                        "attributes.<key>"));
  EXPECT_THAT(error(R"pb(breakdowns: "attributes.")pb"),
              HasSubstr("breakdowns[0]: unknown attribute"));
  EXPECT_THAT(error(R"pb(breakdowns: "attributes.colour")pb"),
              HasSubstr("breakdowns[0]: unknown attribute 'attributes.colour'"
                        ": no customer has the attribute 'colour'"));
  EXPECT_THAT(error(R"pb(survival { group_by: "Tier" })pb"),
              HasSubstr("survival.group_by[0]: unknown attribute 'Tier'"));
  EXPECT_THAT(error(R"pb(cohorts { group_by: "segment" })pb"),
              HasSubstr("cohorts.group_by: unknown attribute"));
  EXPECT_THAT(error(R"pb(cohorts { max_months: -1 })pb"),
              HasSubstr("cohorts.max_months: must be >= 0"));
  EXPECT_THAT(error(R"pb(survival { confidence: 1.5 })pb"),
              HasSubstr("survival.confidence: must be in (0, 1)"));
  EXPECT_THAT(error(R"pb(survival { horizons_days: [ 30, -2 ] })pb"),
              HasSubstr("survival.horizons_days[1]: must be > 0"));
  EXPECT_THAT(error(R"pb(lifecycle { onboarding_days: -1 })pb"),
              HasSubstr("lifecycle.onboarding_days"));

  v1::ReportRequest bad_definition;
  ASSERT_TRUE(ParseTextProto(R"pb(definition {
                                    passive {
                                      activity { kinds: LOGIN }
                                      inactive_days: 0
                                    }
                                  })pb",
                             &bad_definition)
                  .ok());
  EXPECT_THAT(
      std::string(BuildChurnReport(ds, bad_definition).status().message()),
      HasSubstr("definition.passive[0].inactive_days: must be > 0"));
}

TEST(BuildChurnReport, DefaultDefinitionAndDefaultDates) {
  // No definition: the shipped default, whose catch-all rule (60 days
  // without activity, customers of any industry) and cancellations label
  // these customers as kQuiet60 does.
  v1::ReportRequest request;
  ASSERT_TRUE(ParseTextProto(kFirstQuarter, &request).ok());
  v1::ChurnReport r = Report(EightCustomers(), request);
  EXPECT_EQ(r.period().overall().customers_at_start(), 5);
  EXPECT_EQ(r.period().overall().churned(), 4);

  // No dates: as of midnight after the last event (g's, 2024-04-01), over
  // the year before, cut to start after the first event (a's, 2023-01-05)
  // plus the default definition's longest inactivity window (180 days, for
  // e-commerce). On 2023-07-05 no one is at the start: a, b, d and f were
  // all quiet for over 60 days (b since its signup) and came back later
  // (4 reactivations); c, e, g and h sign up later. Churned in the period:
  // b (cancels), c, d and f (go quiet), e and g (cancel); at the end a and
  // h are customers.
  r = Report(EightCustomers(), v1::ReportRequest());
  EXPECT_EQ(r.as_of(), "2024-04-02");
  EXPECT_EQ(r.period().start(), "2023-07-05");
  EXPECT_EQ(r.period().end(), "2024-04-02");
  const v1::ChurnFigures& f = r.period().overall();
  EXPECT_EQ(f.customers_at_start(), 0);
  EXPECT_FALSE(f.has_churn_rate());
  EXPECT_EQ(f.new_customers(), 4);
  EXPECT_EQ(f.reactivated(), 4);
  EXPECT_EQ(f.churned(), 6);
  EXPECT_EQ(f.customers_at_end(), 2);

  // With less than a year of events the default period starts after the
  // first one (2024-01-05) plus the longest inactivity window: there is no
  // passive rule in kActiveOnly, and a 60-day one in kQuiet60.
  r = Report(CohortCustomers(),
             Request(kActiveOnly, R"pb(as_of: "2024-04-15")pb"));
  EXPECT_EQ(r.period().start(), "2024-01-06");
  r = Report(CohortCustomers(),
             Request(kQuiet60, R"pb(as_of: "2024-04-15")pb"));
  EXPECT_EQ(r.period().start(), "2024-03-06");
}

// A larger synthetic data set: labels run on two threads give the same
// report as on one.
TEST(BuildChurnReport, ThreadCountDoesNotChangeTheReport) {
  Builder b;
  uint64_t state = 42;
  auto next = [&state](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const char* tiers[] = {"A", "B", "C"};
  for (int i = 0; i < 900; ++i) {
    const std::string id = absl::StrCat("s", i);
    const UnixSeconds signup =
        T("2023-01-01") + static_cast<int64_t>(next(365)) * kDay;
    b.Customer({id, tiers[next(3)], static_cast<double>(next(1000)),
                FormatTime(signup)});
    UnixSeconds t = signup;
    const int64_t gap = 5 + static_cast<int64_t>(next(60));
    while ((t += gap * kDay) < T("2024-06-01")) {
      b.Event(id, FormatTime(t), next(10) == 0 ? v1::ORDER : v1::LOGIN);
      if (next(200) == 0) {
        b.Event(id, FormatTime(t + kDay), v1::CANCELLATION, "price");
        break;
      }
    }
  }
  const Dataset ds = b.Build();
  v1::ReportRequest request =
      Request(kQuiet60, R"pb(as_of: "2024-06-01"
                             period { start: "2024-01-01" end: "2024-06-01" }
                             breakdowns: "tier"
                             trend {}
                             cohorts { group_by: "tier" }
                             survival { group_by: "tier" })pb");
  request.set_threads(1);
  const v1::ChurnReport one = Report(ds, request);
  request.set_threads(2);
  const v1::ChurnReport two = Report(ds, request);
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(one, two));
  EXPECT_GT(one.period().overall().churned(), 0);
  EXPECT_GT(one.survival(0).points_size(), 10);
}

// ---- Accounting on generated data -------------------------------------------

// customers at start + new + reactivated - churned = customers at end, for
// the period, every month of the trend and every breakdown group; the
// months' churn adds up to the period's.
// Without annual values (an order log), revenue is the orders of the 365
// days before the date, and the report says so.
TEST(BuildChurnReport, RevenueFromOrdersWhenThereIsNoAnnualValue) {
  const Dataset ds = Builder()
                         .Customer({"a", "A", 0, "2022-01-01"})
                         .Event("a", "2022-12-01", v1::ORDER, "", 500)
                         .Event("a", "2023-11-20", v1::ORDER, "", 100)
                         .Event("a", "2023-12-20", v1::ORDER, "", 30)
                         .Event("a", "2024-01-20", v1::ORDER, "", 40)
                         .Event("a", "2024-02-20", v1::ORDER, "", 50)
                         .Event("a", "2024-03-20", v1::ORDER, "", 60)
                         .Customer({"b", "B", 0, "2023-01-01"})
                         .Event("b", "2023-11-01", v1::ORDER, "", 70)
                         .Event("b", "2023-12-15", v1::ORDER, "", 20)
                         .Event("b", "2024-02-01", v1::CANCELLATION, "price")
                         .Build();
  const v1::ChurnReport r = Report(ds, Request(kQuiet60, kFirstQuarter));
  EXPECT_EQ(r.revenue_source(), "orders_365d");
  const v1::ChurnFigures& f = r.period().overall();
  // At 2024-01-01: a's 100 + 30 (the 500 is over a year old), b's 70 + 20.
  EXPECT_EQ(f.customers_at_start(), 2);
  EXPECT_DOUBLE_EQ(f.revenue_at_start(), 220);
  // b cancels on 2024-02-01: its orders of the year before.
  EXPECT_DOUBLE_EQ(f.revenue_lost(), 90);
}

TEST(BuildChurnReport, AccountingIdentityHoldsOnGeneratedData) {
  v1::GeneratorConfig config;
  config.set_customers(1500);
  config.set_seed(7);
  const Dataset ds = GenerateInMemory(config).value().dataset;
  v1::ReportRequest request;
  ASSERT_TRUE(
      ParseTextProto(R"pb(as_of: "2026-01-01"
                          period { start: "2025-01-01" end: "2026-01-01" }
                          trend {}
                          breakdowns: [ "tier", "industry" ])pb",
                     &request)
          .ok());
  const v1::ChurnReport r = Report(ds, request);
  int64_t reactivated = 0;
  auto check = [&](const v1::ChurnFigures& f, const std::string& where) {
    SCOPED_TRACE(where);
    EXPECT_EQ(f.customers_at_start() + f.new_customers() + f.reactivated() -
                  f.churned(),
              f.customers_at_end());
    EXPECT_LE(f.churned_customers(), f.churned());
  };
  auto check_period = [&](const v1::PeriodChurn& p) {
    check(p.overall(), p.start());
    for (const v1::Breakdown& b : p.breakdowns()) {
      for (const v1::GroupFigures& g : b.groups()) {
        check(g.figures(), p.start() + " " + b.attribute() + "=" + g.value());
      }
    }
  };
  check_period(r.period());
  ASSERT_EQ(r.trend_size(), 12);
  int64_t churned = 0;
  for (const v1::PeriodChurn& m : r.trend()) {
    check_period(m);
    churned += m.overall().churned();
    reactivated += m.overall().reactivated();
    EXPECT_LT(m.overall().churned(), m.overall().customers_at_start() / 5)
        << m.start() << ": a month's churn is a few percent, not a flood";
  }
  EXPECT_EQ(churned, r.period().overall().churned());
  EXPECT_EQ(reactivated, r.period().overall().reactivated());
  EXPECT_EQ(r.trend(0).overall().customers_at_start(),
            r.period().overall().customers_at_start());
  EXPECT_EQ(r.trend(11).overall().customers_at_end(),
            r.period().overall().customers_at_end());
}

// ---- Independent reference: CDNOW
// ---------------------------------------------

// The numbers of tests/reference/cdnow_report_fixture.json, computed by
// tests/reference/make_report_fixtures.py with pandas and numpy from the
// CDNOW master log under "no order for 180 days" (passive churn only, as
// episodes: every silence of 180 days or more, ended by the next order).
class CdnowReference : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string data = churnkit::testing::SharedDataDir();
    if (!std::filesystem::exists(data + "/cdnow/CDNOW_master.txt")) {
      GTEST_SKIP() << "no cdnow data under " << data
                   << " (set CHURNKIT_SHARED_DATA)";
    }
    v1::LoadOptions options;
    ASSERT_TRUE(ReadConfigFile(churnkit::testing::SourceDir() +
                                   "/configs/mappings/cdnow_master.textproto",
                               &options)
                    .ok());
    options.set_base_dir(data);
    options.mutable_validation()->set_policy(v1::STRICT);
    absl::StatusOr<LoadResult> loaded = LoadDataset(options);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    dataset_ = std::make_unique<Dataset>(std::move(loaded->dataset));

    std::ifstream in(churnkit::testing::SourceDir() +
                     "/tests/reference/cdnow_report_fixture.json");
    std::stringstream text;
    text << in.rdbuf();
    ASSERT_TRUE(pb::util::JsonStringToMessage(text.str(), &fixture_).ok());
  }

  static const pb::Value& Get(const pb::Value& v, const std::string& key) {
    return v.struct_value().fields().at(key);
  }
  const pb::Value& Get(const std::string& key) const {
    return fixture_.fields().at(key);
  }

  std::unique_ptr<Dataset> dataset_;
  pb::Struct fixture_;
};

void ExpectSamePeriod(const pb::Value& want, const v1::PeriodChurn& got) {
  const auto& w = want.struct_value().fields();
  SCOPED_TRACE(got.start());
  EXPECT_EQ(got.start(), w.at("start").string_value());
  EXPECT_EQ(got.end(), w.at("end").string_value());
  EXPECT_EQ(got.overall().customers_at_start(),
            w.at("customers_at_start").number_value());
  EXPECT_EQ(got.overall().churned(), w.at("churned").number_value());
  EXPECT_EQ(got.overall().churned_customers(),
            w.at("churned_customers").number_value());
  EXPECT_EQ(got.overall().reactivated(), w.at("reactivated").number_value());
  EXPECT_EQ(got.overall().new_customers(),
            w.at("new_customers").number_value());
  EXPECT_EQ(got.overall().customers_at_end(),
            w.at("customers_at_end").number_value());
  if (w.at("churn_rate").has_null_value()) {
    EXPECT_FALSE(got.overall().has_churn_rate());
  } else {
    EXPECT_NEAR(got.overall().churn_rate(), w.at("churn_rate").number_value(),
                1e-9);
  }
}

TEST_F(CdnowReference, MatchesThePandasComputation) {
  const v1::ReportRequest request = Request(
      R"pb(passive {
             name: "ecommerce_180d"
             activity { kinds: ORDER }
             inactive_days: 180
           })pb",
      R"pb(as_of: "1998-07-01"
           period { start: "1997-07-01" end: "1998-07-01" }
           trend { range { start: "1997-02-01" } }
           cohorts {}
           survival {})pb");
  const v1::ChurnReport r = Report(*dataset_, request);
  EXPECT_EQ(r.as_of(), Get("as_of").string_value());
  EXPECT_EQ(r.customers(), Get("customers").number_value());
  ExpectSamePeriod(Get("period"), r.period());

  const auto& trend = Get("trend").list_value().values();
  ASSERT_EQ(r.trend_size(), trend.size());
  for (int i = 0; i < trend.size(); ++i) ExpectSamePeriod(trend[i], r.trend(i));

  const auto& cohorts = Get("cohorts").list_value().values();
  ASSERT_EQ(r.cohorts_size(), 1);
  ASSERT_EQ(r.cohorts(0).rows_size(), cohorts.size());
  for (int i = 0; i < cohorts.size(); ++i) {
    const v1::CohortRow& row = r.cohorts(0).rows(i);
    SCOPED_TRACE(row.cohort());
    EXPECT_EQ(row.cohort(), Get(cohorts[i], "cohort").string_value());
    EXPECT_EQ(row.customers(), Get(cohorts[i], "customers").number_value());
    const auto& cells = Get(cohorts[i], "cells").list_value().values();
    ASSERT_EQ(row.cells_size(), cells.size());
    for (int k = 0; k < cells.size(); ++k) {
      EXPECT_EQ(row.cells(k).month(), Get(cells[k], "month").number_value());
      EXPECT_EQ(row.cells(k).retained(),
                Get(cells[k], "retained").number_value());
    }
  }

  const pb::Value& km = Get("survival");
  ASSERT_EQ(r.survival_size(), 1);
  const v1::SurvivalCurve& curve = r.survival(0);
  EXPECT_EQ(curve.customers(), Get(km, "customers").number_value());
  EXPECT_EQ(curve.churned(), Get(km, "churned").number_value());
  EXPECT_EQ(curve.censored(), Get(km, "censored").number_value());
  ASSERT_TRUE(curve.has_median_days());
  EXPECT_EQ(curve.median_days(), Get(km, "median_days").number_value());
  const auto& points = Get(km, "points").list_value().values();
  ASSERT_EQ(curve.points_size(), points.size());
  for (int i = 0; i < points.size(); ++i) {
    const v1::SurvivalPoint& p = curve.points(i);
    SCOPED_TRACE(p.days());
    EXPECT_EQ(p.days(), Get(points[i], "days").number_value());
    EXPECT_EQ(p.at_risk(), Get(points[i], "at_risk").number_value());
    EXPECT_EQ(p.churned(), Get(points[i], "churned").number_value());
    EXPECT_NEAR(p.survival(), Get(points[i], "survival").number_value(), 1e-12);
    EXPECT_NEAR(p.variance(), Get(points[i], "variance").number_value(), 1e-15);
    EXPECT_NEAR(p.lower(), Get(points[i], "lower").number_value(), 1e-10);
    EXPECT_NEAR(p.upper(), Get(points[i], "upper").number_value(), 1e-10);
  }
}

// ---- Reports over customer partitions --------------------------------------

// `ds` split into `n` customer partitions by PartitionData (through a PB
// file under the test's temporary directory).
std::vector<Dataset> Split(const Dataset& ds, int n) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat(
          "report_test_", ::getpid(), "_",
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "all.pb").string();
  EXPECT_TRUE(WriteDataset(ds, v1::PB, file).ok());
  v1::PartitionRequest request;
  request.mutable_input()->add_paths(file);
  request.set_partitions(n);
  request.set_out_dir((dir / "parts").string());
  absl::StatusOr<v1::PartitionResult> parts = PartitionData(request);
  EXPECT_TRUE(parts.ok()) << parts.status();
  std::vector<Dataset> out;
  if (!parts.ok()) return out;
  for (const v1::DataPartition& p : parts->parts()) {
    out.push_back(std::move(LoadDataset(p.load()).value().dataset));
  }
  std::filesystem::remove_all(dir);
  return out;
}

// The partitions' summaries under `request` resolved for their union.
std::vector<v1::ReportSummary> Summaries(const std::vector<Dataset>& parts,
                                         const v1::ReportRequest& request) {
  std::vector<v1::ReportExtent> extents;
  for (const Dataset& p : parts) extents.push_back(ReportExtentOf(p));
  absl::StatusOr<v1::ReportRequest> resolved =
      ResolveReportRequest(request, extents);
  EXPECT_TRUE(resolved.ok()) << resolved.status();
  std::vector<v1::ReportSummary> out;
  for (const Dataset& p : parts) {
    absl::StatusOr<v1::ReportSummary> s = SummarizeChurnReport(p, *resolved);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) out.push_back(*std::move(s));
  }
  return out;
}

std::string Bytes(const pb::Message& m) {
  std::string out;
  pb::io::StringOutputStream stream(&out);
  pb::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  return out;
}

TEST(ReportSummaries, MergedPartitionsEqualTheWholeInAnyOrder) {
  v1::GeneratorConfig config;
  config.set_customers(400);
  config.set_seed(11);
  config.set_start_date("2024-01-01");
  config.set_end_date("2024-12-31");
  const Dataset whole = GenerateInMemory(config).value().dataset;
  // Dates, the revenue source and cohort signups left to the data.
  v1::ReportRequest request;
  ASSERT_TRUE(
      ParseTextProto(R"pb(breakdowns: [ "tier", "industry" ]
                          trend {}
                          cohorts { group_by: "tier" }
                          survival { group_by: [ "tier", "region" ] })pb",
                     &request)
          .ok());
  const v1::ChurnReport expected = Report(whole, request);
  ASSERT_GT(expected.trend_size(), 3);
  ASSERT_GT(expected.cohorts_size(), 1);
  ASSERT_GT(expected.survival_size(), 2);
  ASSERT_GT(expected.period().overall().churned(), 0);

  std::vector<v1::ReportSummary> summaries =
      Summaries(Split(whole, 4), request);
  ASSERT_EQ(summaries.size(), 4u);
  const v1::ReportSummary merged = MergeReportSummaries(summaries).value();
  // The merged summary is the whole's, and so is its report, bit for bit.
  EXPECT_EQ(Bytes(merged), Bytes(SummarizeChurnReport(whole, request).value()));
  EXPECT_EQ(Bytes(RenderChurnReport(merged).value()), Bytes(expected));
  // Merge order does not matter, nor does merging in steps.
  std::reverse(summaries.begin(), summaries.end());
  EXPECT_EQ(Bytes(MergeReportSummaries(summaries).value()), Bytes(merged));
  const v1::ReportSummary left =
      MergeReportSummaries({summaries[0], summaries[2]}).value();
  const v1::ReportSummary right =
      MergeReportSummaries({summaries[3], summaries[1]}).value();
  EXPECT_EQ(Bytes(MergeReportSummaries({right, left}).value()), Bytes(merged));
}

TEST(ReportSummaries, AnEmptyPartitionIsTheIdentity) {
  const Dataset ds = EightCustomers();
  v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  request.add_breakdowns("tier");
  request.mutable_cohorts();
  request.mutable_survival();
  const Dataset empty = DatasetBuilder().Build().value();
  const v1::ReportRequest resolved =
      ResolveReportRequest(request, {ReportExtentOf(ds)}).value();
  const v1::ReportSummary full = SummarizeChurnReport(ds, resolved).value();
  const v1::ReportSummary none = SummarizeChurnReport(empty, resolved).value();
  EXPECT_EQ(Bytes(MergeReportSummaries({none, full}).value()), Bytes(full));
  EXPECT_EQ(Bytes(MergeReportSummaries({full, none}).value()), Bytes(full));
  EXPECT_EQ(Bytes(RenderChurnReport(full).value()), Bytes(Report(ds, request)));
}

// Of customers x (US), y (no country) and z (DE), those in `ids`. Every
// part holding x or y starts on 2024-01-01, as the whole does: labels
// depend on the data set's first event (docs/scale-out.md, "Reports").
Dataset ThreeCustomers(const std::vector<std::string>& ids) {
  Builder b;
  auto has = [&](const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  if (has("x")) {
    b.Customer({"x", "A", 1200.5, "2023-11-01", "US"})
        .Event("x", "2024-01-01", v1::LOGIN)
        .Event("x", "2024-01-20", v1::LOGIN)
        .Event("x", "2024-02-10", v1::CANCELLATION, "price");
  }
  if (has("y")) {
    b.Customer({"y", "B", 300.25, "2023-12-15"})
        .Event("y", "2024-01-01", v1::LOGIN)
        .Event("y", "2024-04-20", v1::LOGIN);
  }
  if (has("z")) {
    b.Customer({"z", "B", 99.99, "2024-01-05", "DE"})
        .Event("z", "2024-01-05", v1::LOGIN);
  }
  return b.Build();
}

TEST(ReportSummaries, APartWithoutAnAttributeKeyMergesIntoTheWhole) {
  v1::ReportRequest request =
      Request(kQuiet60, R"pb(as_of: "2024-06-01"
                             period { start: "2024-01-02" end: "2024-06-01" }
                             trend {})pb");
  request.add_breakdowns("attributes.country");
  request.mutable_cohorts()->set_group_by("attributes.country");
  request.mutable_survival()->add_group_by("attributes.country");
  std::vector<Dataset> parts;  // y alone has no country
  parts.push_back(ThreeCustomers({"y"}));
  parts.push_back(ThreeCustomers({"x", "z"}));
  const Dataset whole = ThreeCustomers({"x", "y", "z"});
  const v1::ChurnReport expected = Report(whole, request);
  ASSERT_EQ(expected.period().overall().churned(), 2);
  const v1::ReportSummary merged =
      MergeReportSummaries(Summaries(parts, request)).value();
  EXPECT_EQ(Bytes(RenderChurnReport(merged).value()), Bytes(expected));

  // A key no customer of any part has is an error of the merged data.
  request.set_breakdowns(0, "attributes.colour");
  absl::StatusOr<v1::ChurnReport> r = RenderChurnReport(
      MergeReportSummaries(Summaries(parts, request)).value());
  EXPECT_THAT(
      r.status().message(),
      HasSubstr("breakdowns[0]: unknown attribute 'attributes.colour'"));
  EXPECT_EQ(r.status(), BuildChurnReport(whole, request).status());
}

TEST(ReportSummaries, SummariesOfDifferentRequestsDoNotMerge) {
  const Dataset ds = EightCustomers();
  const v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  v1::ReportRequest other = request;
  other.mutable_period()->set_start("2024-02-01");
  const v1::ReportSummary a = SummarizeChurnReport(ds, request).value();
  const v1::ReportSummary b = SummarizeChurnReport(ds, other).value();
  absl::StatusOr<v1::ReportSummary> merged = MergeReportSummaries({a, a, b});
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(merged.status().message(),
              HasSubstr("summaries[2]: made with another request"));
  EXPECT_THAT(merged.status().message(), HasSubstr("period.start"));
  // Each partition resolving its own defaults gives another as_of.
  std::vector<Dataset> parts = Split(ds, 2);
  const v1::ReportRequest undated = Request(kQuiet60);
  merged =
      MergeReportSummaries({SummarizeChurnReport(parts[0], undated).value(),
                            SummarizeChurnReport(parts[1], undated).value()});
  EXPECT_THAT(merged.status().message(),
              HasSubstr("made with another request"));
  EXPECT_THAT(MergeReportSummaries({}).status().message(),
              HasSubstr("summaries: none given"));
}

TEST(ReportSummaries, MalformedSummariesAreErrorsNotCrashes) {
  const Dataset ds = EightCustomers();
  v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  request.mutable_survival();
  v1::ReportSummary s = SummarizeChurnReport(ds, request).value();
  v1::ReportSummary negative = s;
  negative.mutable_survival()->mutable_overall(0)->set_censored(-5);
  EXPECT_THAT(RenderChurnReport(negative).status().message(),
              HasSubstr("survival.overall[0].censored: must be >= 0"));
  EXPECT_THAT(MergeReportSummaries({s, negative}).status().message(),
              HasSubstr("summaries[1].survival.overall[0].censored"));
  v1::ReportSummary huge = s;
  huge.mutable_period()->mutable_overall()->set_churned(INT64_MAX);
  EXPECT_EQ(MergeReportSummaries({huge, huge}).status().code(),
            absl::StatusCode::kOutOfRange);
  v1::ReportSummary no_trend = s;
  no_trend.add_trend();
  EXPECT_THAT(MergeReportSummaries({s, no_trend}).status().message(),
              HasSubstr("summaries[1].trend"));
  v1::ReportSummary bad_date = s;
  bad_date.mutable_request()->set_as_of("yesterday");
  EXPECT_THAT(RenderChurnReport(bad_date).status().message(),
              HasSubstr("as_of:"));
  // The empty summary renders the empty report.
  EXPECT_TRUE(RenderChurnReport(v1::ReportSummary()).ok());
}

TEST(ReportSummaries, RevenueSourceIsResolvedOnceAndChecked) {
  const Dataset ds = EightCustomers();
  v1::ReportRequest request = Request(kQuiet60, kFirstQuarter);
  EXPECT_EQ(
      ResolveReportRequest(request, {ReportExtentOf(ds)})->revenue_source(),
      "annual_value");
  request.set_revenue_source("none");
  const v1::ChurnReport r = Report(ds, request);
  EXPECT_EQ(r.revenue_source(), "none");
  EXPECT_EQ(r.period().overall().revenue_lost(), 0);
  request.set_revenue_source("gross");
  EXPECT_THAT(BuildChurnReport(ds, request).status().message(),
              HasSubstr("revenue_source: unknown source 'gross'"));
}

}  // namespace
}  // namespace churnkit
