#include "churnkit/careplan.h"

#include <string>
#include <vector>

#include "churnkit/features.h"
#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;
constexpr int64_t kDay = 86400;
UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

// One A-tier customer signed up 2024-01-01 with a one-year contract
// (renewal 2024-12-01), a call on 2024-01-25.
Dataset OneCustomer() {
  DatasetBuilder b;
  v1::Customer c;
  c.set_id("c");
  c.set_tier("A");
  c.mutable_signup_time()->set_seconds(T("2024-01-01"));
  EXPECT_TRUE(b.AddCustomer(c, {"c", 1}).ok());
  v1::Contract k;
  k.set_id("k");
  k.set_customer_id("c");
  k.mutable_start_time()->set_seconds(T("2024-01-01"));
  k.mutable_end_time()->set_seconds(T("2025-01-01"));
  k.mutable_renewal_time()->set_seconds(T("2024-12-01"));
  EXPECT_TRUE(b.AddContract(k, {"k", 1}).ok());
  EventInput call;
  call.customer_id = "c";
  call.kind = v1::INTERACTION;
  call.subtype = v1::CALL;
  call.time = T("2024-01-25");
  EXPECT_TRUE(b.AddEvent(call, {"e", 1}).ok());
  return b.Build().value();
}

CarePlanner Planner(const std::string& text) {
  v1::CarePlan plan;
  EXPECT_TRUE(ParseTextProto(text, &plan).ok()) << text;
  absl::StatusOr<CarePlanner> p = CarePlanner::Create(plan, {"f"});
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

std::vector<std::string> Due(const CarePlanner& p, const Dataset& ds,
                             absl::string_view as_of, int days,
                             v1::Colour colour = v1::GREEN,
                             const ChurnLabel* label = nullptr) {
  ChurnLabel none;
  const std::vector<double> row = {0};
  std::vector<v1::Task> tasks =
      p.Plan({&ds, 0, row, 50, colour, label ? label : &none, T(as_of)},
             T(as_of), T(as_of) + days * kDay);
  std::vector<std::string> out;
  for (const v1::Task& t : tasks) {
    out.push_back(t.source() + "@" + FormatTime(t.due().seconds()));
  }
  return out;
}

TEST(CarePlanner, LifecycleAnchorsAndSatisfiedTasks) {
  Dataset ds = OneCustomer();
  CarePlanner p = Planner(R"pb(
    schedules {
      name: "t7"
      anchor: SIGNUP
      offset_days: 7
      task { type: "training" }
    }
    schedules {
      name: "t30"
      anchor: SIGNUP
      offset_days: 30
      task { type: "call" }
      satisfied_by { kinds: INTERACTION subtypes: CALL }
      satisfied_window_days: 10
    }
    schedules {
      name: "mid"
      anchor: CONTRACT_MIDPOINT
      task { type: "review" }
    }
    schedules {
      name: "r60"
      anchor: RENEWAL
      offset_days: -60
      task { type: "plan" }
    }
  )pb");
  EXPECT_THAT(Due(p, ds, "2024-01-05", 7),
              ::testing::ElementsAre("t7@2024-01-08"));
  // T+30 is due 2024-01-31, but the call on 01-25 already did it.
  EXPECT_TRUE(Due(p, ds, "2024-01-28", 7).empty());
  EXPECT_THAT(Due(p, ds, "2024-06-28", 7),
              ::testing::ElementsAre("mid@2024-07-02"));
  EXPECT_THAT(Due(p, ds, "2024-09-30", 7),
              ::testing::ElementsAre("r60@2024-10-02"));
}

TEST(CarePlanner, RecurringByColourAndTierAndWinBackAfterChurn) {
  Dataset ds = OneCustomer();
  CarePlanner p = Planner(R"pb(
    schedules {
      name: "red_weekly"
      anchor: RECURRING
      every_days: 7
      applies_to { colours: RED }
      task { type: "check" }
    }
    schedules {
      name: "a_monthly"
      anchor: RECURRING
      every_days: 30
      applies_to { tiers: "A" }
      task { type: "visit" }
    }
    schedules {
      name: "c_news"
      anchor: RECURRING
      every_days: 30
      applies_to { tiers: "C" }
      task { type: "news" }
    }
    schedules {
      name: "wb_week"
      anchor: CHURN
      offset_days: 7
      task { type: "win_back" }
    }
  )pb");
  // Signup 2024-01-01: weekly occurrences on Mondays 01-08, 01-15, ...;
  // monthly ones on 01-31, 03-01 ...
  EXPECT_THAT(
      Due(p, ds, "2024-01-20", 14, v1::RED),
      ::testing::ElementsAre("red_weekly@2024-01-22", "red_weekly@2024-01-29",
                             "a_monthly@2024-01-31"));
  EXPECT_THAT(Due(p, ds, "2024-01-20", 14, v1::GREEN),
              ::testing::ElementsAre("a_monthly@2024-01-31"));
  ChurnLabel churned;
  churned.churned = true;
  churned.churn_time = T("2024-05-01");
  EXPECT_THAT(Due(p, ds, "2024-05-02", 14, v1::RED, &churned),
              ::testing::ElementsAre("wb_week@2024-05-08"));
}

TEST(CarePlanner, ConfigErrorsNameThePath) {
  auto error = [](const std::string& text) {
    v1::CarePlan plan;
    EXPECT_TRUE(ParseTextProto(text, &plan).ok());
    return std::string(CarePlanner::Create(plan, {"f"}).status().message());
  };
  EXPECT_THAT(error("schedules { task { type: \"x\" } }"),
              HasSubstr("schedules[0].anchor"));
  EXPECT_THAT(error("schedules { anchor: RECURRING task { type: \"x\" } }"),
              HasSubstr("schedules[0].every_days: must be > 0"));
  EXPECT_THAT(
      error("schedules { anchor: SIGNUP every_days: 3 task { type: \"x\" } }"),
      HasSubstr("schedules[0].every_days: only RECURRING"));
  EXPECT_THAT(
      error(
          "schedules { anchor: SIGNUP task { type: \"x\" title: \"{zz}\" } }"),
      HasSubstr("schedules[0].task.title: unknown placeholder {zz}"));
  EXPECT_THAT(error("schedules { anchor: SIGNUP task { type: \"x\" } "
                    "satisfied_by { kinds: LOGIN } }"),
              HasSubstr("schedules[0].satisfied_window_days: must be > 0"));
}

TEST(DefaultCarePlan, ValidatesAgainstTheDefaultFeatures) {
  const FeatureEngine f =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  v1::CarePlan plan = DefaultCarePlan().value();
  EXPECT_TRUE(CarePlanner::Create(plan, f.names()).ok());
  EXPECT_GE(plan.schedules_size(), 15);
}

}  // namespace
}  // namespace churnkit
