#include "churnkit/rules.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "churnkit/features.h"
#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kDay = 86400;

UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

// Two customers (A and C tier), an owner with a manager.
Dataset TwoCustomers() {
  DatasetBuilder b;
  v1::Owner boss, rep;
  boss.set_id("boss");
  rep.set_id("rep");
  rep.set_manager_id("boss");
  EXPECT_TRUE(b.AddOwner(boss, {"o", 1}).ok());
  EXPECT_TRUE(b.AddOwner(rep, {"o", 2}).ok());
  for (const char* tier : {"A", "C"}) {
    v1::Customer c;
    c.set_id(std::string("cust_") + tier);
    c.set_name(std::string("Customer ") + tier);
    c.set_tier(tier);
    c.set_owner_id("rep");
    EXPECT_TRUE(b.AddCustomer(c, {"c", 1}).ok());
  }
  return b.Build().value();
}

const std::vector<std::string> kColumns = {"days_idle", "orders", "complaints"};

RuleEngine Engine(const std::string& text) {
  v1::RuleSet rules;
  EXPECT_TRUE(ParseTextProto(text, &rules).ok()) << text;
  absl::StatusOr<RuleEngine> e = RuleEngine::Create(rules, kColumns);
  EXPECT_TRUE(e.ok()) << e.status();
  return *std::move(e);
}

std::string CreateError(const std::string& text) {
  v1::RuleSet rules;
  EXPECT_TRUE(ParseTextProto(text, &rules).ok()) << text;
  absl::StatusOr<RuleEngine> e = RuleEngine::Create(rules, kColumns);
  EXPECT_FALSE(e.ok()) << text;
  return std::string(e.status().message());
}

// Names of the rules that fired.
std::vector<std::string> Fired(const RuleEngine& e, const Dataset& ds,
                               CustomerIndex c, std::vector<double> row,
                               double score = 50,
                               v1::Colour colour = v1::GREEN) {
  RuleOutcome out =
      e.Evaluate({&ds, c, row, score, colour, T("2024-06-01")}, nullptr);
  std::vector<std::string> names;
  for (const v1::Alert& a : out.alerts) names.push_back(a.rule());
  return names;
}

TEST(RuleEngine, ConditionsComparisonsAndMissingValues) {
  Dataset ds = TwoCustomers();
  RuleEngine e = Engine(R"pb(
    rules {
      name: "idle"
      level: L1
      alert: "x"
      when { compare { feature: "days_idle" op: GE value: 30 } }
    }
    rules {
      name: "never"
      level: L1
      alert: "x"
      when { compare { feature: "days_idle" op: IS_MISSING } }
    }
    rules {
      name: "two_of_three"
      level: L2
      alert: "x"
      when {
        at_least {
          k: 2
          conditions { compare { feature: "days_idle" op: GT value: 10 } }
          conditions { compare { feature: "orders" op: LT value: 1 } }
          conditions { compare { feature: "complaints" op: GE value: 2 } }
        }
      }
    }
    rules {
      name: "all_quiet"
      level: L1
      alert: "x"
      when {
        all {
          conditions { compare { feature: "orders" op: EQ value: 0 } }
          conditions {
            negate { compare { feature: "complaints" op: GT value: 0 } }
          }
        }
      }
    }
    rules {
      name: "unhealthy"
      level: L2
      alert: "x"
      when { health_below: 40 }
    }
    rules {
      name: "more_complaints_than_orders"
      level: L1
      alert: "x"
      when { compare { feature: "complaints" op: GT other_feature: "orders" } }
    }
  )pb");
  EXPECT_THAT(Fired(e, ds, 0, {30, 5, 0}), ::testing::ElementsAre("idle"));
  EXPECT_THAT(Fired(e, ds, 0, {kNaN, 5, 0}), ::testing::ElementsAre("never"));
  EXPECT_THAT(Fired(e, ds, 0, {11, 0, 0}),
              ::testing::ElementsAre("two_of_three", "all_quiet"));
  EXPECT_THAT(
      Fired(e, ds, 0, {1, 0, 3}),
      ::testing::ElementsAre("two_of_three", "more_complaints_than_orders"));
  EXPECT_THAT(Fired(e, ds, 0, {1, 5, 0}, 39.9),
              ::testing::ElementsAre("unhealthy"));
  EXPECT_TRUE(Fired(e, ds, 0, {29.9, 5, 0}).empty());
}

TEST(RuleEngine, FiltersTemplatesAndTasks) {
  Dataset ds = TwoCustomers();
  RuleEngine e = Engine(R"pb(
    rules {
      name: "tier_a_idle"
      level: L1
      applies_to { tiers: "A" }
      when { compare { feature: "days_idle" op: GE value: 15 } }
      alert: "{customer.name} ({customer.tier}) idle {days_idle} days, score {score} {colour}"
      tasks { type: "follow_up" title: "Call {customer.id}" due_in_days: 2 }
      tasks {
        type: "notify"
        title: "FYI"
        assignee: OWNER_MANAGER
        priority: HIGH
      }
      tasks { type: "review" title: "Review" assignee: EXECUTIVE }
    }
    rules {
      name: "red_only"
      level: L3
      alert: "red"
      applies_to { colours: RED }
      when { compare { feature: "orders" op: GE value: 0 } }
    }
  )pb");
  RuleOutcome a = e.Evaluate({&ds, 0, std::vector<double>{15.5, 1, 0}, 42,
                              v1::YELLOW, T("2024-06-01")},
                             nullptr);
  ASSERT_EQ(a.alerts.size(), 1u);
  EXPECT_EQ(a.alerts[0].message(),
            "Customer A (A) idle 15.50 days, score 42 YELLOW");
  EXPECT_EQ(a.alerts[0].level(), v1::L1);
  ASSERT_EQ(a.tasks.size(), 3u);
  EXPECT_EQ(a.tasks[0].title(), "Call cust_A");
  EXPECT_EQ(a.tasks[0].assignee_id(), "rep");
  EXPECT_EQ(a.tasks[0].due().seconds(), T("2024-06-03"));
  EXPECT_EQ(a.tasks[0].priority(), v1::NORMAL);
  EXPECT_EQ(a.tasks[1].assignee_id(), "boss");
  EXPECT_EQ(a.tasks[1].priority(), v1::HIGH);
  EXPECT_EQ(a.tasks[2].assignee(), v1::EXECUTIVE);
  EXPECT_EQ(a.tasks[2].assignee_id(), "");
  EXPECT_EQ(a.tasks[0].source(), "tier_a_idle");
  // Without task text, the same tasks less title and assignee_id, which
  // WriteTaskText writes as Evaluate did.
  const std::vector<double> row = {15.5, 1, 0};
  const RuleInput input{&ds, 0, row, 42, v1::YELLOW, T("2024-06-01")};
  RuleOutcome bare;
  e.Evaluate(input, nullptr, &bare, /*task_text=*/false);
  ASSERT_EQ(bare.tasks.size(), 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(bare.tasks[k].title(), "");
    EXPECT_EQ(bare.tasks[k].assignee_id(), "");
    ASSERT_TRUE(e.WriteTaskText(input, v1::L1, &bare.tasks[k]).ok());
    EXPECT_EQ(bare.tasks[k].SerializeAsString(), a.tasks[k].SerializeAsString())
        << k;
  }
  v1::Task unknown = bare.tasks[0];
  unknown.set_source("no_such_rule");
  EXPECT_THAT(e.WriteTaskText(input, v1::L1, &unknown).message(),
              ::testing::HasSubstr("no rule 'no_such_rule'"));
  unknown.set_source("tier_a_idle");
  unknown.set_type("no_such_type");
  EXPECT_EQ(e.WriteTaskText(input, v1::L1, &unknown).code(),
            absl::StatusCode::kInvalidArgument);
  // The C-tier customer is filtered out; RED customers get the L3 rule.
  EXPECT_TRUE(Fired(e, ds, 1, {99, 1, 0}).empty());
  EXPECT_THAT(Fired(e, ds, 1, {0, 1, 0}, 0, v1::RED),
              ::testing::ElementsAre("red_only"));
}

// Numbers print as %.0f when whole and %.2f otherwise (from 1e15 always
// %.2f); NaN as "n/a"; the largest doubles in full.
TEST(RuleEngine, TemplatesPrintNumbers) {
  Dataset ds = TwoCustomers();
  RuleEngine e = Engine(R"pb(
    rules {
      name: "any"
      level: L1
      alert: "{days_idle}|{orders}|{complaints}|{score}"
      when { compare { feature: "days_idle" op: GE value: -1e308 } }
    }
  )pb");
  auto message = [&](double idle, double orders, double complaints,
                     double score) {
    RuleOutcome o =
        e.Evaluate({&ds, 0, std::vector<double>{idle, orders, complaints},
                    score, v1::GREEN, T("2024-06-01")},
                   nullptr);
    return o.alerts.empty() ? std::string("none") : o.alerts[0].message();
  };
  EXPECT_EQ(message(3, -2.5, 0.125, 41.999), "3|-2.50|0.12|42.00");
  EXPECT_EQ(message(-0.001, 1e15, 1e14, 0),
            "-0.00|1000000000000000.00|"
            "100000000000000|0");
  EXPECT_EQ(message(1e22, std::nan(""), 2.675, -7),
            absl::StrCat("1", std::string(22, '0'), ".00|n/a|2.67|-7"));
  const std::string max = message(std::numeric_limits<double>::max(), 0, 0, 0);
  EXPECT_EQ(max.size(), 309 + 3 + 6) << max;  // digits, ".00", "|0|0|0"
  EXPECT_TRUE(absl::StartsWith(max, "17976931348623157")) << max;
}

// Cool-down and escalation over a sequence of as-of dates, carrying the
// history from one assessment to the next as a host would.
TEST(RuleEngine, CooldownAndEscalationOverSuccessiveAssessments) {
  Dataset ds = TwoCustomers();
  RuleEngine e = Engine(R"pb(
    rules {
      name: "idle"
      level: L1
      alert: "idle"
      when { compare { feature: "days_idle" op: GE value: 30 } }
      tasks { type: "follow_up" title: "t" }
      cooldown_days: 7
      escalate_after_days: 14
    }
  )pb");
  v1::AlertHistory history;
  auto assess = [&](absl::string_view date, double idle) {
    AlertHistoryIndex index(history);
    RuleOutcome out = e.Evaluate(
        {&ds, 0, std::vector<double>{idle, 0, 0}, 50, v1::GREEN, T(date)},
        &index);
    for (const v1::AlertHistory::Entry& entry : out.history) {
      bool replaced = false;
      for (v1::AlertHistory::Entry& old : *history.mutable_entries()) {
        if (old.customer_id() == entry.customer_id() &&
            old.rule() == entry.rule()) {
          old = entry;
          replaced = true;
        }
      }
      if (!replaced) *history.add_entries() = entry;
    }
    return out;
  };
  RuleOutcome day0 = assess("2024-06-01", 30);
  ASSERT_EQ(day0.alerts.size(), 1u);
  EXPECT_EQ(day0.alerts[0].level(), v1::L1);
  EXPECT_FALSE(day0.alerts[0].escalated());
  EXPECT_TRUE(assess("2024-06-04", 33).alerts.empty());  // cooling down
  RuleOutcome day8 = assess("2024-06-09", 38);
  ASSERT_EQ(day8.alerts.size(), 1u);  // cool-down over: fires again, still L1
  EXPECT_EQ(day8.alerts[0].level(), v1::L1);
  EXPECT_EQ(day8.alerts[0].first_fired().seconds(), T("2024-06-01"));
  RuleOutcome day16 = assess("2024-06-17", 46);
  ASSERT_EQ(day16.alerts.size(), 1u);  // open 16 days: escalated to L2
  EXPECT_EQ(day16.alerts[0].level(), v1::L2);
  EXPECT_TRUE(day16.alerts[0].escalated());
  EXPECT_EQ(day16.tasks[0].priority(), v1::HIGH);
  // The customer is contacted: the alert resolves, and a new one starts
  // over at L1.
  RuleOutcome cleared = assess("2024-06-20", 1);
  EXPECT_TRUE(cleared.alerts.empty());
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_TRUE(history.entries(0).resolved());
  RuleOutcome again = assess("2024-07-25", 35);
  ASSERT_EQ(again.alerts.size(), 1u);
  EXPECT_EQ(again.alerts[0].level(), v1::L1);
  EXPECT_EQ(again.alerts[0].first_fired().seconds(), T("2024-07-25"));
}

TEST(RuleEngine, ConfigErrorsNameThePath) {
  EXPECT_THAT(
      CreateError(R"pb(rules {
                         name: "r"
                         level: L1
                         alert: "x"
                         when { compare { feature: "nope" op: GT } }
                       })pb"),
      HasSubstr("rules[0].when.compare.feature: unknown feature 'nope'"));
  EXPECT_THAT(
      CreateError(
          R"pb(rules {
                 name: "r"
                 level: L1
                 alert: "x"
                 when { all { conditions { compare { feature: "orders" } } } }
               })pb"),
      HasSubstr("rules[0].when.all.conditions[0].compare.op"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 level: L1
                                 alert: "x"
                                 when {
                                   at_least {
                                     k: 3
                                     conditions { health_below: 1 }
                                   }
                                 }
                               })pb"),
              HasSubstr("rules[0].when.at_least.k: must be in 1..1"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 alert: "x"
                                 when { health_below: 1 }
                               })pb"),
              HasSubstr("rules[0].level: must be L1, L2 or L3"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 level: L2
                                 alert: "hi {nobody}"
                                 when { health_below: 1 }
                               })pb"),
              HasSubstr("rules[0].alert: unknown placeholder {nobody}"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 level: L2
                                 when { health_below: 1 }
                                 tasks { type: "t" title: "x" due_in_days: -1 }
                               })pb"),
              HasSubstr("rules[0].tasks[0].due_in_days: must be >= 0"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 level: L2
                                 when { health_below: 1 }
                               })pb"),
              HasSubstr("rules[0]: neither an alert nor a task"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 level: L2
                                 alert: "x"
                                 when { health_below: 1 }
                               }
                               rules {
                                 name: "r"
                                 level: L2
                                 alert: "x"
                                 when { health_below: 1 }
                               })pb"),
              HasSubstr("rules[1].name: duplicate rule 'r'"));
  EXPECT_THAT(CreateError(R"pb(rules {
                                 name: "r"
                                 level: L2
                                 alert: "x"
                                 when { health_below: 1 }
                                 cooldown_days: -3
                               })pb"),
              HasSubstr("rules[0].cooldown_days"));
}

TEST(DefaultRuleSet, HoldsEveryDomainRuleAndValidatesAgainstDefaultFeatures) {
  const FeatureEngine features =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  v1::RuleSet rules = DefaultRuleSet().value();
  ASSERT_TRUE(RuleEngine::Create(rules, features.names()).ok());
  std::vector<std::string> names;
  for (const v1::Rule& r : rules.rules()) names.push_back(r.name());
  EXPECT_THAT(
      names,
      ::testing::IsSupersetOf(
          {"no_follow_up_30d", "renewal_60d_no_contact", "negative_feedback",
           "key_contact_left", "health_below_threshold", "satisfaction_falling",
           "tier_a_15d_without_interaction", "tier_b_30d_without_order",
           "tier_c_45d_without_contact", "level1_slight_anomaly",
           "level2_several_indicators", "level3_severe"}));
}

}  // namespace
}  // namespace churnkit
