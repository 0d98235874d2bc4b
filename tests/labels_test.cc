#include "churnkit/labels.h"

#include <string>

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

TEST(ChurnLabeler, ActiveChurnTakesTheEventDateAndReason) {
  Dataset ds =
      Builder()
          .Customer({"a", "saas", "B"})
          .Event("a", "2024-01-01", v1::LOGIN)
          .Event("a", "2024-02-10", v1::CANCELLATION, 0, 0, "price")
          .Customer({"n", "services", "B"})
          .Event("n", "2024-01-05", v1::CONTRACT, v1::CONTRACT_NOT_RENEWED)
          .Event("n", "2024-01-06", v1::ORDER, 0, 10)
          .Build();
  std::vector<ChurnLabel> l = Default().Label(ds, T("2024-03-01")).value();
  EXPECT_TRUE(l[0].churned);
  EXPECT_EQ(l[0].type, v1::ACTIVE);
  EXPECT_EQ(l[0].churn_time, T("2024-02-10"));
  EXPECT_EQ(l[0].reason, "price");
  EXPECT_EQ(l[1].type, v1::ACTIVE);
  EXPECT_EQ(l[1].churn_time, T("2024-01-05"));
  // Before the cancellation the customer is not churned.
  EXPECT_FALSE(Default().Label(ds, T("2024-02-10")).value()[0].churned);
}

TEST(ChurnLabeler, PassiveWindowsPerIndustryAndTierFromTheDomainNotes) {
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
  // Exactly 90 days after the last login the SaaS customer has churned.
  std::vector<ChurnLabel> l = at("2024-03-31");  // 90 days after Jan 1
  EXPECT_TRUE(l[0].churned);
  EXPECT_EQ(l[0].type, v1::PASSIVE);
  EXPECT_EQ(l[0].churn_time, T("2024-03-31"));
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
  // Online education: 7 days without login.
  EXPECT_TRUE(at("2024-01-08")[4].churned);
  EXPECT_FALSE(at("2024-01-07")[4].churned);
}

TEST(ChurnLabeler, NeverActiveCountsFromSignupAndFutureCustomersAreNotChurned) {
  Dataset ds =
      Builder().Customer({"quiet", "saas", "B", 0, "2024-01-01"}).Build();
  EXPECT_EQ(Default().Label(ds, T("2024-04-01")).value()[0].churn_time,
            T("2024-03-31"));
  EXPECT_FALSE(Default().Label(ds, T("2023-12-01")).value()[0].churned);
}

TEST(ChurnLabeler, HiddenChurnWhenSpendHalvesAgainstTheBaseline) {
  Builder b;
  b.Customer({"h", "ecommerce", "B"});
  // Baseline: 6 orders of 100 over 180 days; recent 90 days: 3 orders of 10.
  for (int i = 0; i < 6; ++i) {
    b.Event("h", FormatTime(T("2023-07-05") + i * 30 * kDay), v1::ORDER, 0,
            100);
  }
  for (int i = 0; i < 3; ++i) {
    b.Event("h", FormatTime(T("2024-01-05") + i * 30 * kDay), v1::ORDER, 0, 10);
  }
  Dataset ds = b.Build();
  std::vector<ChurnLabel> l = Default().Label(ds, T("2024-04-01")).value();
  EXPECT_TRUE(l[0].churned);
  EXPECT_EQ(l[0].type, v1::HIDDEN);
  EXPECT_EQ(l[0].rule, "spend_halved");  // frequency held up, spend did not
  EXPECT_EQ(l[0].churn_time, T("2024-04-01"));
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
}

TEST(TrainingPanel, LabelsChurnWithinTheHorizonAndSkipsTheAlreadyChurned) {
  Dataset ds =
      Builder()
          .Customer({"stays", "services", "B"})
          .Event("stays", "2024-01-10", v1::ORDER, 0, 5)
          .Event("stays", "2024-02-10", v1::ORDER, 0, 5)
          .Event("stays", "2024-03-10", v1::ORDER, 0, 5)
          .Customer({"leaves", "services", "B"})
          .Event("leaves", "2024-01-10", v1::ORDER, 0, 5)
          .Event("leaves", "2024-02-15", v1::CANCELLATION, 0, 0, "competitor")
          .Customer({"late", "services", "B", 0, "2024-02-20"})
          .Event("late", "2024-02-25", v1::ORDER, 0, 5)
          .Build();
  v1::FeatureSet set;
  ASSERT_TRUE(ParseTextProto(R"pb(features {
                                    name: "orders_30d"
                                    window {
                                      filter { kinds: ORDER }
                                      aggregate: COUNT
                                      window_days: 30
                                    }
                                  })pb",
                             &set)
                  .ok());
  const FeatureEngine engine = FeatureEngine::Create(set).value();
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
}

}  // namespace
}  // namespace churnkit
