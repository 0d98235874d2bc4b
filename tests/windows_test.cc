#include "churnkit/windows.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;
// Day n of the test data (day 0 is 2024-01-01).
UnixSeconds D(int n) { return ParseTime("2024-01-01").value() + n * kDay; }

class Builder {
 public:
  Builder& Customer(const std::string& id, const std::string& industry,
                    std::optional<int> signup_day,
                    const std::string& region = "") {
    v1::Customer c;
    c.set_id(id);
    c.set_industry(industry);
    c.set_region(region);
    if (signup_day.has_value()) {
      c.mutable_signup_time()->set_seconds(D(*signup_day));
    }
    EXPECT_TRUE(b_.AddCustomer(c, {"t", row_++}).ok());
    return *this;
  }
  Builder& Event(const std::string& customer, int day,
                 v1::EventKind kind = v1::LOGIN) {
    EventInput e;
    e.customer_id = customer;
    e.kind = kind;
    e.time = D(day);
    EXPECT_TRUE(b_.AddEvent(e, {"t", row_++}).ok());
    return *this;
  }
  Dataset Build() { return std::move(b_).Build().value(); }

 private:
  DatasetBuilder b_;
  int row_ = 1;
};

// Spells (start day, length, closed C / open O) as of day 400:
//   a saas:      (0,0,C) (0,15,C) (15,45,C) (60,340,O)
//   b saas:      (0,25,C) (25,365,C) (390,10,O)
//   c ecommerce: (0,400,O)                 never active
//   d ecommerce: (0,100,C) (100,300,O)     a cancellation is no activity
//   e (none):    (380,5,C) (385,15,O)
//   f signs up after as_of: left out.
Dataset Known() {
  return Builder()
      .Customer("a", "saas", 0, "east")
      .Event("a", 0)
      .Event("a", 15)
      .Event("a", 60, v1::ORDER)
      .Customer("b", "saas", 0, "west")
      .Event("b", 25)
      .Event("b", 390)
      .Customer("c", "ecommerce", 0, "east")
      .Customer("d", "ecommerce", 0, "west")
      .Event("d", 5, v1::CANCELLATION)
      .Event("d", 100, v1::ORDER)
      .Customer("e", "", 380)
      .Event("e", 385)
      .Customer("f", "saas", 500)
      .Build();
}

v1::WindowsRequest Request(const std::string& by = "industry") {
  v1::WindowsRequest r;
  r.set_as_of("2025-02-04");  // day 400
  r.set_by(by);
  r.set_step_days(10);
  r.set_max_days(30);
  r.set_horizon_days(20);
  r.set_min_spells(1);
  r.set_max_return(0.2);
  return r;
}

struct Point {
  int days;
  int64_t reached, followed, returned;
};

void ExpectPoints(const v1::SegmentWindows& s, const std::vector<Point>& want) {
  ASSERT_EQ(s.points_size(), static_cast<int>(want.size())) << s.value();
  for (size_t i = 0; i < want.size(); ++i) {
    const v1::ReturnPoint& p = s.points(static_cast<int>(i));
    SCOPED_TRACE(absl::StrCat(s.value(), " at ", want[i].days, " days"));
    EXPECT_EQ(p.days(), want[i].days);
    EXPECT_EQ(p.reached(), want[i].reached);
    EXPECT_EQ(p.followed(), want[i].followed);
    EXPECT_EQ(p.returned(), want[i].returned);
    if (want[i].followed == 0) {
      EXPECT_FALSE(p.has_return_probability());
    } else {
      EXPECT_DOUBLE_EQ(
          p.return_probability(),
          static_cast<double>(want[i].returned) / want[i].followed);
    }
  }
}

TEST(SuggestWindows, CountsSpellsAndReturnsExactly) {
  const Dataset ds = Known();
  const v1::WindowsResult r = SuggestWindows(ds, Request()).value();
  EXPECT_EQ(r.as_of(), "2025-02-04");
  ASSERT_EQ(r.segments_size(), 4);

  const v1::SegmentWindows& all = r.segments(0);
  EXPECT_TRUE(all.overall());
  EXPECT_EQ(all.customers(), 5);
  EXPECT_EQ(all.spells(), 12);
  EXPECT_EQ(all.open_spells(), 5);
  // Closed lengths 0, 5, 15, 25, 45, 100, 365 (nearest rank).
  EXPECT_DOUBLE_EQ(all.median_gap_days(), 25);
  EXPECT_DOUBLE_EQ(all.p90_gap_days(), 365);
  // At 10 days, b's and e's open spells (begun after day 370) are reached
  // but not judged: their next 20 days are not in the data.
  ExpectPoints(all, {{10, 10, 8, 2}, {20, 7, 7, 1}, {30, 6, 6, 1}});
  EXPECT_EQ(all.suggested_days(), 20);
  EXPECT_EQ(all.suggested_followed(), 7);
  EXPECT_DOUBLE_EQ(all.suggested_return_probability(), 1.0 / 7);

  // Segments by value: "" (e), ecommerce, saas.
  EXPECT_EQ(r.segments(1).value(), "");
  EXPECT_EQ(r.segments(1).customers(), 1);
  ExpectPoints(r.segments(1), {{10, 1, 0, 0}, {20, 0, 0, 0}, {30, 0, 0, 0}});
  EXPECT_EQ(r.segments(1).suggested_days(), 0);
  EXPECT_THAT(r.segments(1).no_suggestion(), HasSubstr("too few spells"));

  EXPECT_EQ(r.segments(2).value(), "ecommerce");
  ExpectPoints(r.segments(2), {{10, 3, 3, 0}, {20, 3, 3, 0}, {30, 3, 3, 0}});
  EXPECT_EQ(r.segments(2).suggested_days(), 10);

  EXPECT_EQ(r.segments(3).value(), "saas");
  ExpectPoints(r.segments(3), {{10, 6, 5, 2}, {20, 4, 4, 1}, {30, 3, 3, 1}});
  EXPECT_EQ(r.segments(3).suggested_days(), 0);
  EXPECT_EQ(r.segments(3).no_suggestion(),
            "returns stay above 20% up to 30 days (lowest 25.0% at 20 days)");
}

TEST(SuggestWindows, SuggestionNeedsEnoughFollowedSpells) {
  const Dataset ds = Known();
  v1::WindowsRequest req = Request();
  req.set_min_spells(4);
  const v1::WindowsResult r = SuggestWindows(ds, req).value();
  EXPECT_EQ(r.segments(0).suggested_days(), 20);
  EXPECT_EQ(r.segments(2).suggested_days(), 0);
  EXPECT_EQ(r.segments(2).no_suggestion(),
            "too few spells: at most 3 followed at any gap length, 4 needed");
}

TEST(SuggestWindows, DefinitionParsesAndLabels) {
  const Dataset ds = Known();
  const v1::WindowsResult r = SuggestWindows(ds, Request()).value();
  const v1::ChurnDefinition& def = r.definition();
  ASSERT_EQ(def.passive_size(), 2);
  EXPECT_EQ(def.passive(0).name(), "industry_ecommerce_10d_inactive");
  EXPECT_THAT(def.passive(0).applies_to().industries(),
              ::testing::ElementsAre("ecommerce"));
  EXPECT_EQ(def.passive(0).inactive_days(), 10);
  EXPECT_EQ(def.passive(1).name(), "overall_20d_inactive");
  EXPECT_EQ(def.passive(1).applies_to().industries_size(), 0);
  EXPECT_FALSE(def.active().empty());  // the shipped active rules

  const ChurnLabeler labeler = ChurnLabeler::Create(def).value();
  const std::vector<ChurnLabel> l = labeler.Label(ds, D(400)).value();
  EXPECT_EQ(l[2].rule, "industry_ecommerce_10d_inactive");  // c, never active
  EXPECT_EQ(l[2].type, v1::PASSIVE);
  EXPECT_EQ(l[0].rule, "overall_20d_inactive");  // a, silent since day 60
  EXPECT_FALSE(l[4].churned);                    // e, silent for 15 days only
}

TEST(SuggestWindows, AnyAttributeBecomesAnAttributesSelector) {
  const Dataset ds = Known();
  v1::WindowsRequest req = Request("region");
  req.set_max_return(0.5);
  const v1::WindowsResult r = SuggestWindows(ds, req).value();
  ASSERT_EQ(r.segments_size(), 4);  // overall, "", east, west
  bool east = false;
  for (const v1::PassiveRule& rule : r.definition().passive()) {
    if (rule.name() == "region_east_10d_inactive") {
      east = true;
      EXPECT_EQ(rule.applies_to().attributes().at("region"), "east");
    }
  }
  EXPECT_TRUE(east);
  const ChurnLabeler labeler = ChurnLabeler::Create(r.definition()).value();
  EXPECT_TRUE(labeler.Label(ds, D(400)).ok());
}

TEST(SuggestWindows, SignupBeforeTheLogStartsIsNoSpell) {
  // g signed up before the first event of the data set: the log does not
  // say what g did until day 0, so the wait for g's first activity (day
  // 50) is not a 150-day silence.
  const Dataset ds = Builder()
                         .Customer("h", "saas", 0)
                         .Event("h", 0)
                         .Customer("g", "saas", -100)
                         .Event("g", 50)
                         .Build();
  const v1::WindowsResult r = SuggestWindows(ds, Request("")).value();
  ASSERT_EQ(r.segments_size(), 1);
  EXPECT_EQ(r.segments(0).spells(), 3);  // h: (0,0,C) (0,400,O); g: (50,350,O)
  EXPECT_EQ(r.segments(0).open_spells(), 2);
}

TEST(SuggestWindows, DefaultsAreFilledIn) {
  const Dataset ds = Known();
  v1::WindowsRequest req;
  req.set_as_of("2025-02-04");
  const v1::WindowsResult r = SuggestWindows(ds, req).value();
  EXPECT_EQ(r.request().step_days(), 7);
  EXPECT_EQ(r.request().max_days(), 365);
  EXPECT_EQ(r.request().horizon_days(), 180);
  EXPECT_EQ(r.request().min_spells(), 100);
  EXPECT_DOUBLE_EQ(r.request().max_return(), 0.05);
  // The shipped catch-all rule's activity.
  const v1::ChurnDefinition shipped = DefaultChurnDefinition().value();
  EXPECT_EQ(r.request().activity_size(),
            shipped.passive(shipped.passive_size() - 1).activity_size());
  EXPECT_EQ(r.request().activity(0).kinds_size(), 9);
  ASSERT_EQ(r.segments_size(), 1);  // no `by`: the overall segment only
  EXPECT_EQ(r.segments(0).points_size(), 52);
  EXPECT_THAT(r.segments(0).no_suggestion(), HasSubstr("too few spells"));
  EXPECT_TRUE(r.definition().passive().empty());
  EXPECT_TRUE(ChurnLabeler::Create(r.definition()).ok());
}

TEST(SuggestWindows, EmptyDataAndCustomersWithoutEventsHaveNoNaN) {
  std::vector<Dataset> sets;
  sets.push_back(Builder().Build());
  sets.push_back(Builder().Customer("x", "saas", std::nullopt).Build());
  for (const Dataset& ds : sets) {
    const v1::WindowsResult r = SuggestWindows(ds, Request()).value();
    for (const v1::SegmentWindows& s : r.segments()) {
      EXPECT_EQ(s.spells(), 0);
      EXPECT_FALSE(s.has_median_gap_days());
      EXPECT_FALSE(s.has_suggested_return_probability());
      EXPECT_EQ(s.suggested_days(), 0);
      for (const v1::ReturnPoint& p : s.points()) {
        EXPECT_EQ(p.reached(), 0);
        EXPECT_FALSE(p.has_return_probability());
      }
    }
    EXPECT_TRUE(ChurnLabeler::Create(r.definition()).ok());
  }
}

TEST(SuggestWindows, BadRequestsNameTheField) {
  const Dataset ds = Known();
  auto error = [&](const v1::WindowsRequest& req) {
    absl::StatusOr<v1::WindowsResult> r = SuggestWindows(ds, req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  v1::WindowsRequest req = Request();
  req.set_by("colour");
  EXPECT_THAT(error(req), HasSubstr("by"));
  for (double x : {-0.1, 1.0, 1.5, std::nan("")}) {
    req = Request();
    req.set_max_return(x);
    EXPECT_THAT(error(req), HasSubstr("max_return: must be in (0, 1)"));
  }
  req = Request();
  req.set_step_days(-1);
  EXPECT_THAT(error(req), HasSubstr("step_days: must be > 0"));
  req = Request();
  req.set_max_days(-7);
  EXPECT_THAT(error(req), HasSubstr("max_days: must be > 0"));
  req = Request();
  req.set_step_days(40);
  EXPECT_EQ(error(req), "step_days: 40 is more than max_days (30)");
  req = Request();
  req.set_horizon_days(-1);
  EXPECT_THAT(error(req), HasSubstr("horizon_days"));
  req = Request();
  req.set_as_of("");
  EXPECT_EQ(error(req), "as_of: required");
  req.set_as_of("yesterday");
  EXPECT_THAT(error(req), HasSubstr("as_of"));
  req.set_as_of("2023-06-01");
  EXPECT_THAT(error(req), HasSubstr("as_of: 2023-06-01 is not after"));
  req = Request();
  req.add_activity()->add_kinds(static_cast<v1::EventKind>(77));
  EXPECT_THAT(error(req), HasSubstr("activity"));
}

}  // namespace
}  // namespace churnkit
