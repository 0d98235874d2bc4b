#include "churnkit/labels.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;
UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

struct Spec {
  std::string id, industry, tier;
  double annual_value = 0;
  std::string signup = "2023-01-01";
};

class Builder {
 public:
  Builder& Customer(const Spec& s) {
    v1::Customer c;
    c.set_id(s.id);
    c.set_industry(s.industry);
    c.set_tier(s.tier);
    c.set_annual_value(s.annual_value);
    c.mutable_signup_time()->set_seconds(T(s.signup));
    EXPECT_TRUE(b_.AddCustomer(c, {"t", row_++}).ok());
    return *this;
  }
  Builder& Event(const std::string& customer, absl::string_view time,
                 v1::EventKind kind, int subtype = 0, double amount = 0,
                 absl::string_view key = "") {
    EventInput e;
    e.customer_id = customer;
    e.kind = kind;
    e.subtype = subtype;
    e.time = T(time);
    e.amount = amount;
    e.key = key;
    EXPECT_TRUE(b_.AddEvent(e, {"t", row_++}).ok());
    return *this;
  }
  Dataset Build() { return b_.Build().value(); }

 private:
  DatasetBuilder b_;
  int row_ = 1;
};

ChurnLabeler Default() {
  return ChurnLabeler::Create(DefaultChurnDefinition().value()).value();
}

TEST(ChurnLabeler, ActiveChurnLastsUntilTheCustomerComesBack) {
  Dataset ds =
      Builder()
          .Customer({"a", "saas", "B"})
          .Event("a", "2024-01-01", v1::LOGIN)
          .Event("a", "2024-02-10", v1::CANCELLATION, 0, 0, "price")
          .Event("a", "2024-02-20", v1::LOGIN)  // a login is no return
          .Customer({"n", "services", "B"})
          .Event("n", "2024-01-01", v1::ORDER, 0, 10)
          .Event("n", "2024-01-05", v1::CONTRACT, v1::CONTRACT_NOT_RENEWED)
          .Event("n", "2024-02-06", v1::ORDER, 0, 10)  // came back
          .Build();
  const ChurnLabeler labeler = Default();
  std::vector<ChurnLabel> l = labeler.Label(ds, T("2024-03-01")).value();
  EXPECT_TRUE(l[0].churned);
  EXPECT_EQ(l[0].type, v1::ACTIVE);
  EXPECT_EQ(l[0].churn_time, T("2024-02-10"));
  EXPECT_EQ(l[0].detected_time, T("2024-02-10"));
  EXPECT_EQ(l[0].reason, "price");
  EXPECT_FALSE(l[1].churned);
  EXPECT_EQ(l[1].reactivations, 1);
  // Before the cancellation the customer is not churned.
  EXPECT_FALSE(labeler.Label(ds, T("2024-02-10")).value()[0].churned);
  EXPECT_TRUE(labeler.Label(ds, T("2024-01-20")).value()[1].churned);

  const ChurnHistory h = labeler.History(ds, T("2024-03-01")).value();
  ASSERT_EQ(h.episodes(1).size(), 1u);
  EXPECT_EQ(h.episodes(1)[0].start, T("2024-01-05"));
  EXPECT_EQ(h.episodes(1)[0].end, T("2024-02-06"));
  EXPECT_EQ(h.episodes(1)[0].rule, "active");
}

TEST(ChurnLabeler, PassiveChurnBeginsAtTheLastActivityOnceTheWindowRunsOut) {
  Dataset ds =
      Builder()
          .Customer({"saas", "saas", "B"})
          .Event("saas", "2024-01-01", v1::LOGIN)
          .Event("saas", "2024-02-01", v1::ORDER, 0, 10)  // not a login
          .Customer({"shop", "ecommerce", "C"})
          .Event("shop", "2024-01-01", v1::ORDER, 0, 10)
          .Customer({"core", "services", "A", 150000})
          .Event("core", "2024-01-01", v1::ORDER, 0, 10)
          .Customer({"plain", "services", "B", 50000})
          .Event("plain", "2024-01-01", v1::ORDER, 0, 10)
          .Customer({"edu", "education", "C"})
          .Event("edu", "2024-01-01", v1::LOGIN)
          .Build();
  const ChurnLabeler labeler = Default();
  auto at = [&](absl::string_view date) {
    return labeler.Label(ds, T(date)).value();
  };
  // Exactly 90 days after the last login the SaaS customer has churned,
  // since that login.
  std::vector<ChurnLabel> l = at("2024-03-31");  // 90 days after Jan 1
  EXPECT_TRUE(l[0].churned);
  EXPECT_EQ(l[0].type, v1::PASSIVE);
  EXPECT_EQ(l[0].churn_time, T("2024-01-01"));
  EXPECT_EQ(l[0].detected_time, T("2024-03-31"));
  EXPECT_EQ(l[0].rule, "saas_90d_without_login");
  EXPECT_EQ(l[0].last_activity, T("2024-01-01"));
  EXPECT_FALSE(at("2024-03-30")[0].churned);
  // e-commerce: 180 days without a repeat purchase.
  EXPECT_FALSE(at("2024-06-28")[1].churned);
  EXPECT_TRUE(at("2024-06-29")[1].churned);
  // Core customers after 30 inactive days, ordinary ones after 60.
  EXPECT_TRUE(at("2024-01-31")[2].churned);
  EXPECT_EQ(at("2024-01-31")[2].rule, "core_customer_30d_inactive");
  EXPECT_FALSE(at("2024-01-31")[3].churned);
  EXPECT_TRUE(at("2024-03-01")[3].churned);
  // Online education's 7 days without login is a warning threshold, not
  // churn (domain.md §1): the 60-day observation period applies.
  EXPECT_FALSE(at("2024-01-08")[4].churned);
  EXPECT_TRUE(at("2024-03-01")[4].churned);
  EXPECT_EQ(at("2024-03-01")[4].rule, "customer_60d_inactive");
}

TEST(ChurnLabeler, AReturnAfterSilenceIsAReactivation) {
  Dataset ds = Builder()
                   .Customer({"s", "saas", "B", 0, "2023-06-01"})
                   .Event("s", "2024-01-01", v1::LOGIN)
                   .Event("s", "2024-05-01", v1::LOGIN)  // 121 days later
                   .Event("s", "2024-06-01", v1::LOGIN)
                   .Build();
  const ChurnLabeler labeler = Default();
  const ChurnHistory h = labeler.History(ds, T("2024-07-01")).value();
  ASSERT_EQ(h.episodes(0).size(), 1u);
  EXPECT_EQ(h.episodes(0)[0].start, T("2024-01-01"));
  EXPECT_EQ(h.episodes(0)[0].detected, T("2024-03-31"));
  EXPECT_EQ(h.episodes(0)[0].end, T("2024-05-01"));
  // Known at July 1, the customer was churned in February and is back.
  EXPECT_NE(h.At(0, T("2024-02-15")), nullptr);
  EXPECT_EQ(h.At(0, T("2024-06-15")), nullptr);
  std::vector<ChurnLabel> l = h.Labels(ds, T("2024-07-01"));
  EXPECT_FALSE(l[0].churned);
  EXPECT_EQ(l[0].reactivations, 1);
  // As of April the silence is churn that has not ended.
  EXPECT_TRUE(labeler.Label(ds, T("2024-04-15")).value()[0].churned);
}

TEST(ChurnLabeler, NeverActiveCountsFromSignupAndFutureCustomersDoNotExist) {
  Dataset ds = Builder()
                   .Customer({"quiet", "saas", "B", 0, "2024-01-01"})
                   .Customer({"later", "saas", "B", 0, "2024-06-01"})
                   .Event("later", "2024-06-02", v1::LOGIN)
                   .Customer({"early", "saas", "B", 0, "2023-01-01"})
                   .Event("early", "2024-01-01", v1::LOGIN)
                   .Build();
  std::vector<ChurnLabel> l = Default().Label(ds, T("2024-04-01")).value();
  EXPECT_TRUE(l[0].churned);
  EXPECT_EQ(l[0].churn_time, T("2024-01-01"));
  EXPECT_EQ(l[0].detected_time, T("2024-03-31"));
  EXPECT_FALSE(l[1].existed);
  EXPECT_FALSE(l[1].churned);
  // The LabelSet lists only the customers that existed.
  const v1::LabelSet set = ToLabelSet(ds, l, T("2024-04-01"));
  ASSERT_EQ(set.labels_size(), 2);
  EXPECT_EQ(set.labels(0).customer_id(), "quiet");
  EXPECT_EQ(set.labels(1).customer_id(), "early");
}

v1::ChurnDefinition HiddenOnly(const std::string& rule) {
  v1::ChurnDefinition def;
  EXPECT_TRUE(ParseTextProto("hidden { " + rule + " }", &def).ok());
  return def;
}

TEST(ChurnLabeler, HiddenChurnIsASustainedSignificantDecline) {
  // Daily logins for 90 days, then one every third day for 90 days, then
  // daily again.
  Builder b;
  b.Customer({"h", "saas", "B", 0, "2023-12-01"});
  b.Customer({"dip", "saas", "B", 0, "2023-12-01"});
  for (int d = 0; d < 270; ++d) {
    const bool declined = d >= 90 && d < 180;
    if (!declined || d % 3 == 0) {
      b.Event("h", FormatTime(T("2024-01-01") + d * kDay), v1::LOGIN);
    }
    // "dip" drops for 30 days only: one period, not two.
    if (d < 120 || d >= 150 || d % 3 == 0) {
      b.Event("dip", FormatTime(T("2024-01-01") + d * kDay), v1::LOGIN);
    }
  }
  Dataset ds = b.Build();
  const ChurnLabeler labeler =
      ChurnLabeler::Create(
          HiddenOnly("name: 'usage_declined' activity { kinds: LOGIN } "
                     "measure: COUNT recent_days: 30 periods: 2 "
                     "baseline_days: 60 min_drop: 0.4 significance: 0.01"))
          .value();
  const ChurnHistory h = labeler.History(ds, T("2024-10-01")).value();
  ASSERT_EQ(h.episodes(0).size(), 1u);
  const ChurnEpisode& e = h.episodes(0)[0];
  EXPECT_EQ(e.type, v1::HIDDEN);
  EXPECT_EQ(e.rule, "usage_declined");
  // Found at the first weekly check with two declined 30-day periods (the
  // first may start a few days before the drop on Apr 1), begun with the
  // first of them.
  EXPECT_GT(e.detected, T("2024-05-15"));
  EXPECT_LT(e.detected, T("2024-06-06"));
  EXPECT_EQ(e.start, e.detected - 60 * kDay);
  // Ended at the first check whose last 30 days are back above 80% of the
  // baseline rate.
  EXPECT_GT(e.end, T("2024-06-29"));
  EXPECT_LT(e.end, T("2024-08-01"));
  EXPECT_TRUE(h.episodes(1).empty());
}

TEST(ChurnLabeler, SeasonalHiddenRulesIgnoreADipEverySummer) {
  // Two logins a day, but one every other day in July and August, two
  // years running; and "h" also drops for good from 2025-03-01.
  Builder b;
  b.Customer({"school", "education", "B", 0, "2023-01-01"});
  b.Customer({"h", "education", "B", 0, "2023-01-01"});
  for (int d = 0; d < 730; ++d) {
    const UnixSeconds t = T("2024-01-01") + d * kDay;
    const std::string month = FormatTime(t).substr(5, 2);
    const bool summer = month == "07" || month == "08";
    if (!summer || d % 2 == 0) {
      b.Event("school", FormatTime(t), v1::LOGIN);
      b.Event("school", FormatTime(t + 3600), v1::LOGIN);
    }
    if (t < T("2025-03-01") ? !summer || d % 2 == 0 : d % 3 == 0) {
      b.Event("h", FormatTime(t), v1::LOGIN);
      b.Event("h", FormatTime(t + 3600), v1::LOGIN);
    }
  }
  Dataset ds = b.Build();
  const std::string rule =
      "activity { kinds: LOGIN } measure: COUNT recent_days: 30 periods: 2 "
      "baseline_days: 120 min_drop: 0.4 significance: 0.001 ";
  const ChurnLabeler plain = ChurnLabeler::Create(HiddenOnly(rule)).value();
  const ChurnLabeler seasonal =
      ChurnLabeler::Create(HiddenOnly(rule + "seasonal: true")).value();
  const UnixSeconds end_of_august = T("2025-09-01");
  // Without the season, the second summer looks like churn.
  EXPECT_TRUE(plain.Label(ds, end_of_august).value()[0].churned);
  EXPECT_FALSE(seasonal.Label(ds, end_of_august).value()[0].churned);
  // A real drop still is.
  EXPECT_TRUE(seasonal.Label(ds, T("2025-06-01")).value()[1].churned);
}

TEST(ChurnLabeler, HiddenSpendDeclineUsesTheAmounts) {
  // Weekly orders throughout; the amounts fall from 100 to 20 after
  // 26 weeks.
  Builder b;
  b.Customer({"h", "ecommerce", "B", 0, "2023-06-01"});
  for (int w = 0; w < 52; ++w) {
    b.Event("h", FormatTime(T("2024-01-01") + w * 7 * kDay), v1::ORDER, 0,
            w < 26 ? 100 : 20);
  }
  Dataset ds = b.Build();
  const std::string rule =
      "activity { kinds: ORDER } recent_days: 30 periods: 2 "
      "baseline_days: 90 min_drop: 0.4 significance: 0.01 ";
  const ChurnLabeler spend =
      ChurnLabeler::Create(HiddenOnly(rule + "measure: SUM_AMOUNT")).value();
  const ChurnLabeler count =
      ChurnLabeler::Create(HiddenOnly(rule + "measure: COUNT")).value();
  EXPECT_TRUE(spend.Label(ds, T("2024-12-30")).value()[0].churned);
  EXPECT_FALSE(count.Label(ds, T("2024-12-30")).value()[0].churned);
}

TEST(ChurnLabeler, AsOfBeforeTheFirstEventIsAnError) {
  Dataset ds = Builder()
                   .Customer({"a", "saas", "B", 0, "2020-01-01"})
                   .Event("a", "2024-01-01", v1::LOGIN)
                   .Build();
  absl::StatusOr<std::vector<ChurnLabel>> l =
      Default().Label(ds, T("2023-06-01"));
  EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(l.status().message()),
              HasSubstr("as_of: 2023-06-01"));
}

TEST(ChurnLabeler, ConfigErrorsNameThePath) {
  auto error = [](const std::string& text) {
    v1::ChurnDefinition def;
    EXPECT_TRUE(ParseTextProto(text, &def).ok());
    return std::string(ChurnLabeler::Create(def).status().message());
  };
  EXPECT_THAT(error("passive { activity { kinds: LOGIN } inactive_days: 0 }"),
              HasSubstr("passive[0].inactive_days: must be > 0"));
  EXPECT_THAT(
      error("hidden { measure: MAX_VALUE recent_days: 1 baseline_days: 1 "
            "min_drop: 0.5 }"),
      HasSubstr("hidden[0].measure"));
  EXPECT_THAT(error("hidden { measure: COUNT recent_days: 1 baseline_days: 1 "
                    "min_drop: 1.5 }"),
              HasSubstr("hidden[0].min_drop"));
  EXPECT_THAT(error("active { kinds: 77 }"), HasSubstr("active[0].kinds[0]"));
  EXPECT_THAT(error("passive { activity { kinds: LOGIN } inactive_days: -3 }"),
              HasSubstr("passive[0].inactive_days: must be > 0"));
  EXPECT_THAT(error("hidden { measure: COUNT recent_days: 1 baseline_days: 1 "
                    "min_drop: 0.5 significance: 1.5 }"),
              HasSubstr("hidden[0].significance: must be in (0, 1)"));
  EXPECT_THAT(error("hidden { measure: COUNT recent_days: 1 baseline_days: 1 "
                    "min_drop: 0.5 significance: -0.1 }"),
              HasSubstr("hidden[0].significance"));
  EXPECT_THAT(error("hidden { measure: COUNT recent_days: 1 baseline_days: 1 "
                    "min_drop: 0.5 recovery: 2 }"),
              HasSubstr("hidden[0].recovery"));
  EXPECT_THAT(error("hidden_check_days: -1"), HasSubstr("hidden_check_days"));
  // A rule after one that matches every customer it would match never
  // applies: overlapping rules are an error naming both.
  EXPECT_THAT(error("passive { name: 'all' activity { kinds: LOGIN } "
                    "inactive_days: 60 } "
                    "passive { name: 'saas' applies_to { industries: 'saas' } "
                    "activity { kinds: LOGIN } inactive_days: 90 }"),
              HasSubstr("passive[1]: never applies: passive[0] ('all')"));
  EXPECT_THAT(error("passive { applies_to { industries: ['saas', 'edu'] } "
                    "activity { kinds: LOGIN } inactive_days: 60 } "
                    "passive { applies_to { industries: 'saas' tiers: 'A' } "
                    "activity { kinds: LOGIN } inactive_days: 90 }"),
              HasSubstr("passive[1]: never applies"));
  EXPECT_THAT(error("passive { applies_to { industries: '' } activity { "
                    "kinds: LOGIN } inactive_days: 9 }"),
              HasSubstr("passive[0].applies_to.industries[0]: empty"));
}

TEST(ChurnLabeler, UnmatchedSelectorsNameTheRuleAndTheValue) {
  Dataset ds = Builder()
                   .Customer({"a", "saas", "B"})
                   .Event("a", "2024-01-01", v1::LOGIN)
                   .Build();
  v1::ChurnDefinition def;
  ASSERT_TRUE(
      ParseTextProto(R"pb(
                       passive {
                         applies_to { industries: [ "saas", "ecomerce" ] }
                         activity { kinds: ORDER }
                         inactive_days: 30
                       }
                       hidden {
                         applies_to { tiers: "Z" }
                         measure: COUNT
                         recent_days: 30
                         baseline_days: 60
                         min_drop: 0.5
                       })pb",
                     &def)
          .ok());
  EXPECT_THAT(ChurnLabeler::Create(def).value().UnmatchedSelectors(ds),
              ::testing::ElementsAre(
                  "passive[0].applies_to.industries[1]: no customer has "
                  "industry 'ecomerce'",
                  "hidden[0].applies_to.tiers[0]: no customer has tier 'Z'"));
  EXPECT_THAT(Default().UnmatchedSelectors(ds),
              ::testing::ElementsAre(
                  "passive[1].applies_to.industries[0]: no customer has "
                  "industry 'ecommerce'"));
}

// A selector's attribute the data set lacks is an error at labelling
// time naming the rule and the attribute.
TEST(ChurnLabeler, SelectorAttributesTheDataLacksNameTheRule) {
  Dataset ds = Builder()
                   .Customer({"a", "saas", "B"})
                   .Event("a", "2024-01-01", v1::LOGIN)
                   .Build();
  for (const char* rules : {"passive", "hidden"}) {
    v1::ChurnDefinition def;
    const std::string rule =
        std::string(rules) == "passive"
            ? "activity { kinds: LOGIN } inactive_days: 30"
            : "measure: COUNT recent_days: 30 baseline_days: 60 "
              "min_drop: 0.5";
    ASSERT_TRUE(
        ParseTextProto(absl::StrCat(rules,
                                    " { applies_to { industries: "
                                    "'retail' } ",
                                    rule, " } ", rules,
                                    " { applies_to { attributes { key: "
                                    "'attributes.plan' value: 'gold' } } ",
                                    rule, " } ", rules, " { ", rule, " }"),
                       &def)
            .ok());
    absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(def);
    ASSERT_TRUE(labeler.ok()) << labeler.status();
    absl::StatusOr<std::vector<ChurnLabel>> labels =
        labeler->Label(ds, T("2024-06-01"));
    ASSERT_FALSE(labels.ok());
    EXPECT_THAT(labels.status().message(),
                HasSubstr(absl::StrCat(
                    rules, "[1].applies_to.attributes[attributes.plan]")));
  }
}

// One feature: orders in the last 30 days.
FeatureEngine OrdersIn30Days() {
  v1::FeatureSet set;
  EXPECT_TRUE(ParseTextProto(R"pb(features {
                                    name: "orders_30d"
                                    window {
                                      filter { kinds: ORDER }
                                      aggregate: COUNT
                                      window_days: 30
                                    }
                                  })pb",
                             &set)
                  .ok());
  return FeatureEngine::Create(set).value();
}

TEST(TrainingPanel, LabelsChurnWithinTheHorizonAndSkipsTheAlreadyChurned) {
  Dataset ds =
      Builder()
          .Customer({"stays", "services", "B"})
          .Event("stays", "2024-01-10", v1::ORDER, 0, 5)
          .Event("stays", "2024-02-10", v1::ORDER, 0, 5)
          .Event("stays", "2024-03-10", v1::ORDER, 0, 5)
          .Event("stays", "2024-04-10", v1::ORDER, 0, 5)
          .Customer({"leaves", "services", "B"})
          .Event("leaves", "2024-01-10", v1::ORDER, 0, 5)
          .Event("leaves", "2024-02-15", v1::CANCELLATION, 0, 0, "competitor")
          .Customer({"late", "services", "B", 0, "2024-02-20"})
          .Event("late", "2024-02-25", v1::ORDER, 0, 5)
          .Build();
  const FeatureEngine engine = OrdersIn30Days();
  const UnixSeconds dates[] = {T("2024-02-01"), T("2024-03-01")};
  TrainingPanel p =
      BuildTrainingPanel(ds, engine, Default(), dates, 30).value();
  // Feb 1: stays (0), leaves (1: cancels Feb 15). Mar 1: stays (0), late (0);
  // "leaves" has churned by then and gets no row.
  ASSERT_EQ(p.features.num_rows(), 4u);
  EXPECT_EQ(p.features.customer_ids,
            (std::vector<std::string>{"stays", "leaves", "stays", "late"}));
  EXPECT_EQ(p.labels, (std::vector<uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(p.churn_types[1], v1::ACTIVE);
  EXPECT_EQ(p.features.as_of[2], T("2024-03-01"));
  EXPECT_EQ(p.features.at(3, 0), 1);  // late's Feb 25 order

  EXPECT_FALSE(BuildTrainingPanel(ds, engine, Default(), {}, 30).ok());
  EXPECT_FALSE(BuildTrainingPanel(ds, engine, Default(), dates, 0).ok());
  const UnixSeconds backwards[] = {T("2024-03-01"), T("2024-02-01")};
  EXPECT_THAT(
      std::string(BuildTrainingPanel(ds, engine, Default(), backwards, 30)
                      .status()
                      .message()),
      HasSubstr("as_of_dates[1]"));
  // A horizon past the data's last event would call everyone retained.
  const UnixSeconds too_late[] = {T("2024-03-20")};
  EXPECT_THAT(
      std::string(BuildTrainingPanel(ds, engine, Default(), too_late, 30)
                      .status()
                      .message()),
      HasSubstr("as_of_dates[0]: 2024-03-20 + 30 days ends after the data "
                "set's last event (2024-04-10); the last date allowed is "
                "2024-03-12"));
}

TEST(TrainingPanel, ChurnedAtEndLeavesOutThoseBackByTheEnd) {
  Dataset ds = Builder()
                   .Customer({"back", "services", "B"})
                   .Event("back", "2024-01-10", v1::ORDER, 0, 5)
                   .Event("back", "2024-02-01", v1::CANCELLATION, 0, 0, "x")
                   .Event("back", "2024-02-20", v1::ORDER, 0, 5)
                   .Event("back", "2024-04-01", v1::ORDER, 0, 5)
                   .Build();
  const FeatureEngine engine = OrdersIn30Days();
  const UnixSeconds dates[] = {T("2024-01-20")};
  EXPECT_EQ(BuildTrainingPanel(ds, engine, Default(), dates, 60).value().labels,
            std::vector<uint8_t>{1});
  EXPECT_EQ(BuildTrainingPanel(ds, engine, Default(), dates, 60, {},
                               PanelLabel::kChurnedAtEnd)
                .value()
                .labels,
            std::vector<uint8_t>{0});
}

}  // namespace
}  // namespace churnkit
