#include "churnkit/features.h"

#include <cmath>
#include <random>
#include <string>

#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;

UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

// A small history builder: one customer "c" unless told otherwise.
class History {
 public:
  History& Customer(const std::string& id, const std::string& tier = "A",
                    absl::string_view signup = "2023-01-01") {
    v1::Customer c;
    c.set_id(id);
    c.set_tier(tier);
    c.set_annual_value(150000);
    c.mutable_signup_time()->set_seconds(T(signup));
    EXPECT_TRUE(b_.AddCustomer(c, {"h", row_++}).ok());
    return *this;
  }
  History& Event(absl::string_view time, v1::EventKind kind, int subtype = 0,
                 double amount = 0, double value = 0,
                 absl::string_view key = "", uint8_t flags = 0,
                 absl::string_view customer = "c") {
    EventInput e;
    e.customer_id = customer;
    e.kind = kind;
    e.subtype = subtype;
    e.time = T(time);
    e.amount = amount;
    e.value = value;
    e.key = key;
    e.flags = flags;
    EXPECT_TRUE(b_.AddEvent(e, {"h", row_++}).ok());
    return *this;
  }
  History& Contract(absl::string_view start, absl::string_view end,
                    double value = 1000) {
    v1::Contract k;
    k.set_id("k" + std::to_string(row_));
    k.set_customer_id("c");
    k.mutable_start_time()->set_seconds(T(start));
    k.mutable_end_time()->set_seconds(T(end));
    k.set_value(value);
    EXPECT_TRUE(b_.AddContract(k, {"h", row_++}).ok());
    return *this;
  }
  History& Contact(const std::string& id, bool dm, absl::string_view left) {
    v1::Contact p;
    p.set_id(id);
    p.set_customer_id("c");
    p.set_decision_maker(dm);
    if (!left.empty()) p.mutable_left_time()->set_seconds(T(left));
    EXPECT_TRUE(b_.AddContact(p, {"h", row_++}).ok());
    return *this;
  }
  Dataset Build() { return b_.Build().value(); }

 private:
  DatasetBuilder b_;
  int row_ = 1;
};

// Computes the features of `text` (a FeatureSet textproto) for customer 0.
std::vector<double> Features(const Dataset& ds, const std::string& text,
                             absl::string_view as_of) {
  v1::FeatureSet set;
  EXPECT_TRUE(ParseTextProto(text, &set).ok()) << text;
  absl::StatusOr<FeatureEngine> engine = FeatureEngine::Create(set);
  EXPECT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<FeatureMatrix> m = engine->ComputeFor(ds, {0}, T(as_of));
  EXPECT_TRUE(m.ok()) << m.status();
  return std::vector<double>(m->values.begin(), m->values.end());
}

double Feature(const Dataset& ds, const std::string& op,
               absl::string_view as_of) {
  return Features(ds, "features { name: \"f\" " + op + " }", as_of)[0];
}

TEST(WindowAggregate, HalfOpenWindowsEndingAtAsOf) {
  Dataset ds =
      History()
          .Customer("c")
          .Event("2024-01-01", v1::ORDER, 0, 10)  // exactly 30 d before
          .Event("2024-01-15", v1::ORDER, 0, 20)
          .Event("2024-01-31", v1::ORDER, 0, 40)  // exactly at as_of
          .Build();
  const std::string w = "window { filter { kinds: ORDER } window_days: 30 ";
  EXPECT_EQ(Feature(ds, w + "aggregate: COUNT }", "2024-01-31"), 2);
  EXPECT_EQ(Feature(ds, w + "aggregate: SUM_AMOUNT }", "2024-01-31"), 30);
  EXPECT_EQ(Feature(ds, w + "aggregate: MEAN_AMOUNT }", "2024-01-31"), 15);
  EXPECT_EQ(Feature(ds, w + "aggregate: MAX_AMOUNT }", "2024-01-31"), 20);
  // One second later the as_of event counts and the oldest falls out.
  EXPECT_EQ(Feature(ds, w + "aggregate: SUM_AMOUNT }", "2024-01-31T00:00:01Z"),
            60);
  // One day later the oldest falls out.
  EXPECT_EQ(Feature(ds, w + "aggregate: COUNT }", "2024-02-01"), 2);
  // Offsets shift the window into the past: [Dec 17, Jan 16).
  EXPECT_EQ(Feature(ds, w + "offset_days: 15 aggregate: COUNT }", "2024-01-31"),
            2);
  // An empty window: no mean, a zero sum.
  EXPECT_TRUE(
      std::isnan(Feature(ds, w + "aggregate: MEAN_AMOUNT }", "2024-03-15")));
  EXPECT_EQ(Feature(ds, w + "aggregate: SUM_AMOUNT }", "2024-03-15"), 0);
}

TEST(WindowAggregate, FiltersByKindSubtypeKeyAndFlags) {
  Dataset ds =
      History()
          .Customer("c")
          .Event("2024-01-10", v1::TICKET, v1::TICKET_OPENED, 0, 2, "bug",
                 kFlagComplaint)
          .Event("2024-01-11", v1::TICKET, v1::TICKET_RESOLVED, 0, 9, "bug")
          .Event("2024-01-12", v1::TICKET, v1::TICKET_OPENED, 0, 4, "ui")
          .Event("2024-01-13", v1::FEATURE_USE, 0, 0, 1, "ui")
          .Build();
  auto count = [&](const std::string& filter) {
    return Feature(
        ds,
        "window { filter { " + filter + " } aggregate: COUNT window_days: 90 }",
        "2024-02-01");
  };
  EXPECT_EQ(count(""), 4);
  EXPECT_EQ(count("kinds: TICKET"), 3);
  EXPECT_EQ(count("kinds: TICKET subtypes: TICKET_OPENED"), 2);
  EXPECT_EQ(count("keys: \"ui\""), 2);
  EXPECT_EQ(count("keys: \"nowhere\""), 0);
  EXPECT_EQ(count("flags: COMPLAINT"), 1);
  EXPECT_EQ(Feature(ds,
                    "window { filter { kinds: TICKET subtypes: TICKET_OPENED } "
                    "aggregate: MEAN_VALUE window_days: 90 }",
                    "2024-02-01"),
            3);
  EXPECT_EQ(Feature(ds,
                    "window { filter { } aggregate: DISTINCT_KEYS "
                    "window_days: 90 }",
                    "2024-02-01"),
            2);
  EXPECT_EQ(Feature(ds,
                    "window { filter { kinds: TICKET } aggregate: LAST_VALUE "
                    "window_days: 90 }",
                    "2024-02-01"),
            4);
}

TEST(DaysSince, LastAndFirstAndNaNWithoutEvents) {
  Dataset ds = History()
                   .Customer("c")
                   .Event("2024-01-01", v1::LOGIN)
                   .Event("2024-01-21T12:00:00Z", v1::LOGIN)
                   .Build();
  EXPECT_EQ(Feature(ds, "days_since { filter { kinds: LOGIN } }", "2024-01-31"),
            9.5);
  EXPECT_EQ(Feature(ds, "days_since { filter { kinds: LOGIN } first: true }",
                    "2024-01-31"),
            30);
  EXPECT_TRUE(std::isnan(
      Feature(ds, "days_since { filter { kinds: ORDER } }", "2024-01-31")));
  // An event exactly at as_of is not seen yet.
  EXPECT_EQ(Feature(ds, "days_since { filter { kinds: LOGIN } }",
                    "2024-01-21T12:00:00Z"),
            20.5);
}

History WeeklyLogins(const std::vector<int>& per_week,
                     absl::string_view start) {
  History h;
  h.Customer("c");
  UnixSeconds t = T(start);
  for (int n : per_week) {
    for (int i = 0; i < n; ++i) {
      h.Event(FormatTime(t + i * 3600), v1::LOGIN);
    }
    t += 7 * kDay;
  }
  return h;
}

TEST(Trend, EachPeriodCumulativeAndDrop) {
  // Four weeks starting 2024-01-01: 10, 6, 3, 1 logins; as_of 2024-01-29.
  Dataset ds = WeeklyLogins({10, 6, 3, 1}, "2024-01-01").Build();
  const std::string t =
      "trend { filter { kinds: LOGIN } aggregate: COUNT period_days: 7 "
      "periods: 3 ";
  EXPECT_EQ(Feature(ds, t + "min_drop: 0.4 mode: EACH_PERIOD }", "2024-01-29"),
            1);
  // 6 -> 3 is a 50% drop, 3 -> 1 a 67% drop, 10 -> 6 only 40%: not 45%.
  EXPECT_EQ(Feature(ds, t + "min_drop: 0.45 mode: EACH_PERIOD }", "2024-01-29"),
            0);
  EXPECT_EQ(Feature(ds, t + "min_drop: 0.85 mode: CUMULATIVE }", "2024-01-29"),
            1);
  EXPECT_EQ(Feature(ds, t + "min_drop: 0.95 }", "2024-01-29"), 0);
  EXPECT_DOUBLE_EQ(Feature(ds, t + "mode: DROP }", "2024-01-29"), 0.9);
  // Flat activity is no drop; an empty reference gives 0 / NaN.
  Dataset flat = WeeklyLogins({5, 5, 5, 5}, "2024-01-01").Build();
  EXPECT_EQ(Feature(flat, t + "mode: EACH_PERIOD }", "2024-01-29"), 0);
  EXPECT_EQ(Feature(flat, t + "mode: DROP }", "2024-01-29"), 0);
  EXPECT_TRUE(std::isnan(Feature(flat, t + "mode: DROP }", "2024-01-08")));
  EXPECT_EQ(Feature(flat, t + "mode: CUMULATIVE }", "2024-01-08"), 0);
}

TEST(BaselineChange, RatesPerDayAgainstTheEarlierWindow) {
  // 90-day baseline with 9 logins (0.1/day), recent 30 days with 1.5/day.
  History h;
  h.Customer("c");
  for (int i = 0; i < 9; ++i) {
    h.Event(FormatTime(T("2024-01-01") + i * 10 * kDay), v1::LOGIN);
  }
  for (int i = 0; i < 45; ++i) {
    h.Event(FormatTime(T("2024-03-31") + i * 16 * 3600), v1::LOGIN);
  }
  Dataset ds = h.Build();
  const std::string op =
      "baseline_change { filter { kinds: LOGIN } aggregate: COUNT "
      "recent_days: 30 baseline_days: 90 }";
  EXPECT_DOUBLE_EQ(Feature(ds, op, "2024-04-30"), 1.5 / 0.1 - 1);
  EXPECT_TRUE(std::isnan(Feature(ds, op, "2024-01-05")));  // no baseline
}

TEST(IntervalChange, OpenAndClosedIntervals) {
  Dataset ds = History()
                   .Customer("c")
                   .Event("2024-01-01", v1::ORDER, 0, 1)
                   .Event("2024-01-11", v1::ORDER, 0, 1)
                   .Event("2024-01-21", v1::ORDER, 0, 1)
                   .Event("2024-02-05", v1::ORDER, 0, 1)
                   .Build();
  const std::string op =
      "interval_change { filter { kinds: ORDER } lookback_days: 365 ";
  // Open: 25 days since the last order vs a 35/3-day mean interval.
  EXPECT_DOUBLE_EQ(Feature(ds, op + "}", "2024-03-01"), 25.0 / (35.0 / 3) - 1);
  // Closed: the last interval (15 days) vs the earlier mean (10 days).
  EXPECT_DOUBLE_EQ(Feature(ds, op + "closed_only: true }", "2024-03-01"), 0.5);
  EXPECT_TRUE(std::isnan(Feature(ds, op + "}", "2024-01-12")));  // 2 orders
}

TEST(RepeatedKeysAndContactsLeft, CountWhatTheyShould) {
  Dataset ds =
      History()
          .Customer("c")
          .Event("2024-01-01", v1::TICKET, v1::TICKET_OPENED, 0, 1, "sync")
          .Event("2024-01-05", v1::TICKET, v1::TICKET_OPENED, 0, 1, "sync")
          .Event("2024-01-09", v1::TICKET, v1::TICKET_OPENED, 0, 1, "sync")
          .Event("2024-01-10", v1::TICKET, v1::TICKET_OPENED, 0, 1, "login")
          .Event("2024-01-11", v1::TICKET, v1::TICKET_OPENED, 0, 1, "login")
          .Event("2024-01-20", v1::CONTACT_CHANGE, v1::CONTACT_LEFT, 0, 0, "p1",
                 kFlagDecisionMaker)
          .Contact("p1", true, "2024-01-20")
          .Contact("p2", false, "2024-01-25")
          .Contact("p3", true, "")
          .Build();
  EXPECT_EQ(Feature(ds,
                    "repeated_keys { filter { kinds: TICKET } window_days: 90 "
                    "min_repeats: 3 }",
                    "2024-02-01"),
            1);
  EXPECT_EQ(Feature(ds,
                    "repeated_keys { filter { kinds: TICKET } window_days: 90 "
                    "min_repeats: 2 }",
                    "2024-02-01"),
            2);
  // p1 appears in the table and as an event: counted once.
  EXPECT_EQ(Feature(ds, "contacts_left { window_days: 30 }", "2024-02-01"), 2);
  EXPECT_EQ(
      Feature(ds,
              "contacts_left { window_days: 30 decision_makers_only: true }",
              "2024-02-01"),
      1);
  EXPECT_EQ(Feature(ds, "attribute { field: CONTACT_COUNT }", "2024-02-01"), 1);
  EXPECT_EQ(Feature(ds, "attribute { field: CONTACT_COUNT }", "2024-01-22"), 2);
}

TEST(RenewalSilenceAndAttributes, ReadContractsAsOfTheDate) {
  Dataset ds = History()
                   .Customer("c", "A", "2023-01-01")
                   .Contract("2023-01-01", "2024-01-01", 1000)
                   .Contract("2024-01-01", "2024-07-01", 600)
                   .Event("2024-04-01", v1::INTERACTION, v1::CALL)
                   .Build();
  const std::string silence =
      "renewal_silence { within_days: 60 silence_days: 30 }";
  EXPECT_EQ(Feature(ds, silence, "2024-06-01"), 1);  // renewal in 30 d, silent
  EXPECT_EQ(Feature(ds, silence, "2024-04-20"), 0);  // renewal 72 days away
  EXPECT_EQ(Feature(ds, "renewal_silence { within_days: 90 silence_days: 30 }",
                    "2024-04-20"),
            0);  // called on 04-01
  EXPECT_TRUE(std::isnan(Feature(ds, silence, "2024-08-01")));  // no contract
  EXPECT_EQ(Feature(ds, "attribute { field: DAYS_TO_RENEWAL }", "2024-06-01"),
            30);
  EXPECT_EQ(Feature(ds, "attribute { field: CONTRACT_VALUE }", "2024-06-01"),
            600);
  EXPECT_NEAR(
      Feature(ds, "attribute { field: CONTRACT_LENGTH_CHANGE }", "2024-06-01"),
      182.0 / 365 - 1, 1e-12);
  EXPECT_EQ(Feature(ds, "attribute { field: TENURE_DAYS }", "2024-05-01"), 486);
  EXPECT_EQ(
      Feature(ds, "attribute { field: TIER_IS equals: \"A\" }", "2024-05-01"),
      1);
  EXPECT_EQ(
      Feature(ds, "attribute { field: TIER_IS equals: \"B\" }", "2024-05-01"),
      0);
  EXPECT_EQ(Feature(ds, "attribute { field: ANNUAL_VALUE }", "2024-05-01"),
            150000);
}

TEST(Derived, EvaluatesInDependencyOrder) {
  Dataset ds = History()
                   .Customer("c")
                   .Event("2024-01-10", v1::ORDER, 0, 30)
                   .Event("2024-01-20", v1::ORDER, 0, 10)
                   .Build();
  std::vector<double> v =
      Features(ds, R"pb(
                 features {
                   name: "ratio"
                   derived {
                     op: RATIO
                     inputs: [ "sum", "n" ]
                   }
                 }
                 features {
                   name: "big"
                   derived { op: GREATER inputs: "ratio" constant: 15 }
                 }
                 features {
                   name: "all"
                   derived {
                     op: ALL
                     inputs: [ "big", "n" ]
                   }
                 }
                 features {
                   name: "cnt"
                   derived {
                     op: COUNT_NONZERO
                     inputs: [ "big", "none", "n" ]
                   }
                 }
                 features {
                   name: "sum"
                   window {
                     filter { kinds: ORDER }
                     aggregate: SUM_AMOUNT
                     window_days: 90
                   }
                 }
                 features {
                   name: "n"
                   window {
                     filter { kinds: ORDER }
                     aggregate: COUNT
                     window_days: 90
                   }
                 }
                 features {
                   name: "none"
                   window {
                     filter { kinds: LOGIN }
                     aggregate: COUNT
                     window_days: 90
                   }
                 }
               )pb",
               "2024-02-01");
  EXPECT_EQ(v[0], 20);
  EXPECT_EQ(v[1], 1);
  EXPECT_EQ(v[2], 1);
  EXPECT_EQ(v[3], 2);
}

TEST(FeatureEngine, ConfigErrorsNameTheFieldPath) {
  auto error = [](const std::string& text) {
    v1::FeatureSet set;
    EXPECT_TRUE(ParseTextProto(text, &set).ok()) << text;
    absl::StatusOr<FeatureEngine> e = FeatureEngine::Create(set);
    EXPECT_FALSE(e.ok()) << text;
    return std::string(e.status().message());
  };
  EXPECT_THAT(
      error("features { name: \"a\" window { filter {} aggregate: COUNT "
            "window_days: 0 } }"),
      HasSubstr("features[0].window.window_days: must be > 0"));
  EXPECT_THAT(error("features { name: \"a\" window { aggregate: COUNT "
                    "window_days: 1 } } features { name: \"a\" "
                    "days_since {} }"),
              HasSubstr("features[1].name: duplicate feature 'a'"));
  EXPECT_THAT(error("features { name: \"Bad Name\" days_since {} }"),
              HasSubstr("features[0].name"));
  EXPECT_THAT(error("features { name: \"a\" days_since {} } features { "
                    "name: \"b\" change_feature: \"zz\" days_since {} }"),
              HasSubstr("features[1].change_feature: no feature 'zz'"));
  EXPECT_THAT(error("features { name: \"a\" change_feature: \"a\" "
                    "days_since {} }"),
              HasSubstr("features[0].change_feature: 'a' names the feature"));
  EXPECT_THAT(error("features { name: \"a\" }"), HasSubstr("has no operator"));
  EXPECT_THAT(
      error("features { name: \"a\" derived { op: SUM inputs: \"zz\" } }"),
      HasSubstr("features[0].derived.inputs[0]: unknown feature 'zz'"));
  EXPECT_THAT(
      error("features { name: \"a\" derived { op: SUM inputs: \"b\" } } "
            "features { name: \"b\" derived { op: SUM inputs: \"a\" } }"),
      HasSubstr("cycle"));
  EXPECT_THAT(error("features { name: \"a\" window { filter { kinds: ORDER "
                    "subtypes: NPS } aggregate: COUNT window_days: 1 } }"),
              HasSubstr("features[0].window.filter.subtypes[0]"));
  EXPECT_THAT(error("features { name: \"a\" trend { filter {} aggregate: COUNT "
                    "period_days: 7 periods: 2 min_drop: 1.5 } }"),
              HasSubstr("features[0].trend.min_drop"));
  EXPECT_THAT(
      error("features { name: \"a\" window { filter { kinds: 99 } "
            "aggregate: COUNT window_days: 1 } }"),
      HasSubstr("features[0].window.filter.kinds[0]: unknown event kind 99"));
}

// A random history with many kinds, for the leakage and thread tests.
Dataset RandomDataset(int customers, int events_per_customer, uint32_t seed) {
  std::mt19937 rng(seed);
  DatasetBuilder b;
  const UnixSeconds t0 = T("2023-01-01");
  for (int c = 0; c < customers; ++c) {
    v1::Customer cu;
    cu.set_id("c" + std::to_string(c));
    cu.set_tier(std::string(1, "ABC"[c % 3]));
    cu.mutable_signup_time()->set_seconds(t0);
    EXPECT_TRUE(b.AddCustomer(cu, {"r", c}).ok());
  }
  const v1::EventKind kinds[] = {v1::LOGIN, v1::ORDER, v1::INTERACTION,
                                 v1::FEATURE_USE, v1::WEB_SIGNAL};
  const char* keys[] = {"a", "b", "c"};
  for (int c = 0; c < customers; ++c) {
    const std::string id = "c" + std::to_string(c);
    for (int i = 0; i < events_per_customer; ++i) {
      EventInput e;
      e.customer_id = id;
      e.kind = kinds[rng() % 5];
      e.subtype = e.kind == v1::WEB_SIGNAL ? v1::API_CALL : 0;
      e.time = t0 + static_cast<int64_t>(rng() % (730 * kDay));
      e.amount = e.kind == v1::ORDER ? rng() % 1000 : 0;
      e.key = keys[rng() % 3];
      EXPECT_TRUE(b.AddEvent(e, {"r", i}).ok());
    }
  }
  return b.Build().value();
}

std::string Bits(const FeatureMatrix& m) {
  return std::string(reinterpret_cast<const char*>(m.values.data()),
                     m.values.size() * sizeof(double));
}

TEST(DefaultFeatureSet, ValidatesAndCoversTheDomainSignals) {
  absl::StatusOr<v1::FeatureSet> set = DefaultFeatureSet();
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<FeatureEngine> engine = FeatureEngine::Create(*set);
  ASSERT_TRUE(engine.ok()) << engine.status();
  for (const char* name : {"days_since_interaction",
                           "logins_change_30d",
                           "activity_down_40pct_3w",
                           "feature_breadth_share",
                           "login_surge_then_collapse",
                           "api_calls_change_30d",
                           "doc_search_failures_30d",
                           "order_value_down_30pct_3m",
                           "orders_down_2m",
                           "purchase_interval_change",
                           "no_orders_and_service_down",
                           "repeated_issues_180d",
                           "training_request_over_48h",
                           "satisfaction_falling",
                           "days_late_mean_180d",
                           "pricing_views_without_order",
                           "decision_makers_left_90d",
                           "owner_changes_180d",
                           "marketing_open_rate_90d",
                           "renewal_60d_no_contact",
                           "renewal_reminders_rejected_180d",
                           "opportunities_stalled_90d",
                           "data_exports_30d",
                           "seats_removed_30d",
                           "competitor_trials_90d",
                           "sudden_activity_drop_check",
                           "contract_length_change",
                           "core_customer"}) {
    EXPECT_NE(std::find(engine->names().begin(), engine->names().end(), name),
              engine->names().end())
        << name;
  }
  for (const v1::FeatureSpec& f : set->features()) {
    EXPECT_FALSE(f.description().empty()) << f.name();
    EXPECT_FALSE(f.source().empty()) << f.name();
  }
}

TEST(FeatureEngine, NothingAtOrAfterAsOfLeaksIn) {
  const v1::FeatureSet set = DefaultFeatureSet().value();
  const FeatureEngine engine = FeatureEngine::Create(set).value();
  const UnixSeconds as_of = T("2024-06-01");
  Dataset base = RandomDataset(50, 200, 7);
  FeatureMatrix before = engine.Compute(base, as_of).value();

  // Same history plus (and with changed) events at and after as_of.
  DatasetBuilder b;
  for (CustomerIndex c = 0; c < base.num_customers(); ++c) {
    ASSERT_TRUE(b.AddCustomer(base.CustomerMessage(c), {"x", 0}).ok());
  }
  std::mt19937 rng(11);
  for (CustomerIndex c = 0; c < base.num_customers(); ++c) {
    for (size_t e = base.event_begin(c); e < base.event_end(c); ++e) {
      v1::Event m = base.EventMessage(e, c);
      if (m.time().seconds() >= as_of) m.set_amount(m.amount() * 3 + 1);
      ASSERT_TRUE(b.AddEvent(ToEventInput(m), {"x", 0}).ok());
    }
    for (int i = 0; i < 20; ++i) {
      EventInput e;
      const std::string id(base.customer_id(c));
      e.customer_id = id;
      e.kind = i % 2 ? v1::LOGIN : v1::CANCELLATION;
      e.time = as_of + (i == 0 ? 0 : rng() % (200 * kDay));
      ASSERT_TRUE(b.AddEvent(e, {"x", 0}).ok());
    }
  }
  Dataset changed = b.Build().value();
  FeatureMatrix after = engine.Compute(changed, as_of).value();
  ASSERT_EQ(before.values.size(), after.values.size());
  EXPECT_EQ(Bits(before), Bits(after));
}

TEST(FeatureEngine, ResultsAreIdenticalForEveryThreadCount) {
  const FeatureEngine engine =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  Dataset ds = RandomDataset(3000, 30, 3);
  ComputeOptions one;
  one.threads = 1;
  ComputeOptions four;
  four.threads = 4;
  FeatureMatrix a = engine.Compute(ds, T("2024-03-01"), one).value();
  FeatureMatrix b = engine.Compute(ds, T("2024-03-01"), four).value();
  EXPECT_EQ(a.num_rows(), 3000u);
  EXPECT_EQ(Bits(a), Bits(b));
  EXPECT_EQ(a.customer_ids, b.customer_ids);
}

TEST(FeatureEngine, EmptyHistoriesAndBadArguments) {
  const FeatureEngine engine =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  Dataset ds = History().Customer("c", "B", "2024-01-01").Build();
  // Before the customer existed: no rows. After: defined values or NaN.
  EXPECT_EQ(engine.Compute(ds, T("2023-06-01")).value().num_rows(), 0u);
  FeatureMatrix m = engine.Compute(ds, T("2024-06-01")).value();
  ASSERT_EQ(m.num_rows(), 1u);
  EXPECT_EQ(m.at(0, *m.ColumnIndex("logins_30d")), 0);
  EXPECT_TRUE(std::isnan(m.at(0, *m.ColumnIndex("days_since_login"))));
  EXPECT_EQ(m.at(0, *m.ColumnIndex("tier_b")), 1);
  EXPECT_FALSE(m.ColumnIndex("no_such_feature").has_value());
  const CustomerIndex bad[] = {5};
  EXPECT_EQ(engine.ComputeFor(ds, bad, T("2024-06-01")).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(engine.ComputeFor(ds, {}, T("2024-06-01"), {}, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  ComputeOptions o;
  o.threads = -1;
  EXPECT_FALSE(engine.Compute(ds, T("2024-06-01"), o).ok());
  // As of a date before the first event nothing is known: an error, not
  // a matrix of zeros.
  Dataset logged =
      History().Customer("c").Event("2024-03-01", v1::LOGIN).Build();
  absl::StatusOr<FeatureMatrix> early = engine.Compute(logged, T("2024-03-01"));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(early.status().message()),
              HasSubstr("is not after the first event of the data set"));
  Dataset empty = DatasetBuilder().Build().value();
  EXPECT_EQ(engine.Compute(empty, T("2024-06-01")).value().num_rows(), 0u);
}

}  // namespace
}  // namespace churnkit
