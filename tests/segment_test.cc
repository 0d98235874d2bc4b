#include "churnkit/segment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/clv.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

// Active churn on cancellation; passive after 90 days without an order or
// a payment.
constexpr char kDefinition[] = R"pb(
  active { kinds: CANCELLATION }
  passive {
    name: "quiet_90d"
    activity { kinds: [ ORDER, PAYMENT ] }
    inactive_days: 90
  }
)pb";

class Builder {
 public:
  Builder& Customer(const std::string& id, absl::string_view signup = "",
                    const std::string& margin = "") {
    v1::Customer c;
    c.set_id(id);
    if (!signup.empty()) c.mutable_signup_time()->set_seconds(T(signup));
    if (!margin.empty()) (*c.mutable_attributes())["margin_rate"] = margin;
    EXPECT_TRUE(b_.AddCustomer(c, {"t", row_++}).ok());
    return *this;
  }
  Builder& Event(const std::string& customer, absl::string_view time,
                 v1::EventKind kind, double amount = 0,
                 absl::string_view key = "",
                 v1::EventSubtype subtype = v1::EVENT_SUBTYPE_UNSPECIFIED) {
    EventInput e;
    e.customer_id = customer;
    e.kind = kind;
    e.subtype = subtype;
    e.time = T(time);
    e.amount = amount;
    e.key = key;
    EXPECT_TRUE(b_.AddEvent(e, {"t", row_++}).ok()) << customer;
    return *this;
  }
  Builder& Order(const std::string& customer, absl::string_view time,
                 double amount) {
    return Event(customer, time, v1::ORDER, amount);
  }
  Builder& Paid(const std::string& customer, absl::string_view time,
                double amount) {
    return Event(customer, time, v1::PAYMENT, amount, "", v1::PAYMENT_PAID);
  }
  Builder& Cancel(const std::string& customer, absl::string_view time,
                  absl::string_view reason) {
    return Event(customer, time, v1::CANCELLATION, 0, reason);
  }
  Builder& Contract(const std::string& customer, absl::string_view start,
                    absl::string_view end, double value) {
    v1::Contract k;
    k.set_id(absl::StrCat("k", row_));
    k.set_customer_id(customer);
    k.mutable_start_time()->set_seconds(T(start));
    k.mutable_end_time()->set_seconds(T(end));
    k.set_value(value);
    EXPECT_TRUE(b_.AddContract(k, {"t", row_++}).ok());
    return *this;
  }
  Dataset Build() { return b_.Build().value(); }

 private:
  DatasetBuilder b_;
  int row_ = 1;
};

v1::SegmentOptions Options(absl::string_view text = "") {
  v1::SegmentOptions o;
  EXPECT_TRUE(ParseTextProto(text, &o).ok()) << text;
  if (o.as_of().empty()) o.set_as_of("2024-07-01");
  EXPECT_TRUE(ParseTextProto(kDefinition, o.mutable_definition()).ok());
  return o;
}

struct Risks {
  std::vector<std::string> ids;
  std::vector<double> values;
  RiskInput input() const { return {ids, values}; }
};

const v1::CustomerSegment& Find(const v1::SegmentReport& r,
                                absl::string_view id) {
  for (const v1::CustomerSegment& c : r.customers()) {
    if (c.customer_id() == id) return c;
  }
  ADD_FAILURE() << "no customer " << id;
  return v1::CustomerSegment::default_instance();
}

const v1::ReasonRow& Row(const v1::SegmentReport& r, absl::string_view id) {
  for (const v1::ReasonRow& row : r.reasons().rows()) {
    if (row.reason() == id) return row;
  }
  ADD_FAILURE() << "no reason row " << id;
  return v1::ReasonRow::default_instance();
}

std::vector<std::string> TierNames(absl::Span<const Tier> tiers) {
  std::vector<std::string> out;
  for (Tier t : tiers) out.push_back(TierName(t));
  return out;
}

v1::TierOptions Pareto(double a, double b) {
  v1::TierOptions t;
  t.set_method(v1::PARETO);
  t.set_a_share(a);
  t.set_b_share(b);
  return t;
}

// ---- Options ----------------------------------------------------------------

TEST(SegmentOptions, ShippedDefaultsAreValidAndNameTheSevenReasons) {
  v1::SegmentOptions o = ResolveSegmentOptions(Options()).value();
  EXPECT_TRUE(ValidateSegmentOptions(o).ok());
  EXPECT_EQ(o.tiers().method(), v1::PARETO);
  EXPECT_DOUBLE_EQ(o.tiers().a_share(), 0.80);
  EXPECT_DOUBLE_EQ(o.tiers().b_share(), 0.15);
  EXPECT_EQ(o.high_value().max_tier(), "A");
  EXPECT_EQ(o.risk().source(), v1::HEALTH_SCORE);
  EXPECT_DOUBLE_EQ(o.risk().cutoff(), 0.5);
  std::vector<std::string> ids;
  for (const v1::ChurnReason& r : o.reasons().taxonomy().reasons()) {
    ids.push_back(r.id());
    EXPECT_FALSE(r.counter_plan().empty()) << r.id();
    EXPECT_EQ(r.recoverable(), r.id() != "strategic_change") << r.id();
  }
  // The ids the generator writes into CANCELLATION keys.
  EXPECT_THAT(ids, ElementsAre("product_mismatch", "poor_service", "price",
                               "competitor", "relationship_drift",
                               "falling_value", "strategic_change"));
  EXPECT_THAT(o.strategies().high_value_high_risk(), HasSubstr("Rescue first"));
  EXPECT_THAT(o.strategies().low_value_high_risk(),
              HasSubstr("Weigh the cost"));
}

TEST(SegmentOptions, QuantileDefaultsAreTwentyAndThirtyPercent) {
  v1::SegmentOptions o =
      ResolveSegmentOptions(Options("tiers { method: QUANTILES }")).value();
  EXPECT_DOUBLE_EQ(o.tiers().a_share(), 0.20);
  EXPECT_DOUBLE_EQ(o.tiers().b_share(), 0.30);
}

TEST(SegmentOptions, BadFieldsAreNamedByPath) {
  struct Case {
    const char* text;
    const char* path;
  };
  for (const Case& c : {
           Case{"tiers { a_share: 1.5 }", "tiers.a_share"},
           Case{"tiers { a_share: 0.9 b_share: 0.2 }", "tiers.b_share"},
           Case{"risk { cutoff: 1.2 }", "risk.cutoff"},
           Case{"risk { cutoff: -0.1 }", "risk.cutoff"},
           Case{"risk { score_scale: -5 }", "risk.score_scale"},
           Case{"high_value { top_share: 1 }", "high_value.top_share"},
           Case{"high_value { max_tier: \"D\" }", "high_value.max_tier"},
           Case{"high_value { min_value: -1 }", "high_value.min_value"},
           Case{"value { window_days: -1 }", "value.window_days"},
           Case{"value { margin_rate: 2 }", "value.margin_rate"},
           Case{"value { revenue_sources: [REVENUE_ORDERS, REVENUE_ORDERS] }",
                "value.revenue_sources[1]"},
           Case{"value { clv { horizon_days: -3 } }", "value.clv.horizon_days"},
           Case{"reasons { taxonomy { reasons { id: \"a\" } reasons { id: "
                "\"a\" } } }",
                "reasons.taxonomy.reasons[1].id"},
           Case{"reasons { taxonomy { reasons { id: \"unknown\" } } }",
                "reasons.taxonomy.reasons[0].id"},
           Case{"as_of: \"not a date\"", "as_of"},
       }) {
    Dataset ds = Builder().Customer("a", "2024-01-01").Build();
    absl::StatusOr<v1::SegmentReport> r =
        Segment(ds, Options(c.text), RiskInput{});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(r.status().message(), HasSubstr(absl::StrCat(c.path, ":")))
        << c.text;
  }
  v1::SegmentOptions bad_definition = Options();
  bad_definition.mutable_definition()->mutable_passive(0)->set_inactive_days(0);
  Dataset ds = Builder().Customer("a", "2024-01-01").Build();
  EXPECT_THAT(Segment(ds, bad_definition, RiskInput{}).status().message(),
              HasSubstr("definition.passive[0].inactive_days"));
}

// ---- Tiers
// ----------------------------------------------------------------------

TEST(AssignTiers, ParetoTakesTheCustomersMakingUpEachShare) {
  // 50 + 30 = exactly 80% -> A; 15 reaches 95% -> B; 5 -> C.
  EXPECT_THAT(
      TierNames(AssignTiers({15, 50, 5, 30}, Pareto(0.8, 0.15)).value()),
      ElementsAre("B", "A", "C", "A"));
  // The customer crossing the boundary belongs to the tier it starts in.
  EXPECT_THAT(TierNames(AssignTiers({70, 20, 10}, Pareto(0.8, 0.15)).value()),
              ElementsAre("A", "A", "B"));
  // One customer holding everything.
  EXPECT_THAT(TierNames(AssignTiers({100}, Pareto(0.8, 0.15)).value()),
              ElementsAre("A"));
}

TEST(AssignTiers, TiesNeverSplit) {
  // The first 25 starts at 50% (not before the 50% boundary): both B.
  EXPECT_THAT(TierNames(AssignTiers({25, 50, 25}, Pareto(0.5, 0.5)).value()),
              ElementsAre("B", "A", "B"));
  // The first 20 starts at 40% < 80%: every 20 is A, although A then holds
  // 100%.
  EXPECT_THAT(
      TierNames(AssignTiers({20, 40, 20, 20}, Pareto(0.8, 0.15)).value()),
      ElementsAre("A", "A", "A", "A"));
  // Same for quantiles: ranks 1-4 tie, the group starts at rank 0.
  v1::TierOptions q;
  q.set_method(v1::QUANTILES);
  q.set_a_share(0.25);
  q.set_b_share(0.25);
  EXPECT_THAT(TierNames(AssignTiers({5, 5, 5, 5, 1}, q).value()),
              ElementsAre("A", "A", "A", "A", "C"));
}

TEST(AssignTiers, ZeroValuesAreAlwaysC) {
  EXPECT_THAT(TierNames(AssignTiers({0, 10, 0}, Pareto(0.8, 0.15)).value()),
              ElementsAre("C", "A", "C"));
  EXPECT_THAT(TierNames(AssignTiers({0, 0}, Pareto(0.8, 0.15)).value()),
              ElementsAre("C", "C"));
  EXPECT_TRUE(AssignTiers({}, Pareto(0.8, 0.15)).value().empty());
}

TEST(AssignTiers, QuantilesCountCustomers) {
  v1::TierOptions q;
  q.set_method(v1::QUANTILES);
  q.set_a_share(0.2);
  q.set_b_share(0.3);
  EXPECT_THAT(
      TierNames(AssignTiers({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, q).value()),
      ElementsAre("A", "A", "B", "B", "B", "C", "C", "C", "C", "C"));
}

TEST(AssignTiers, RejectsBadValuesAndShares) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(AssignTiers({1, nan}, Pareto(0.8, 0.15)).status().message(),
              HasSubstr("values[1]"));
  EXPECT_THAT(AssignTiers({-1}, Pareto(0.8, 0.15)).status().message(),
              HasSubstr("values[0]"));
  EXPECT_THAT(AssignTiers({1}, Pareto(0, 0.15)).status().message(),
              HasSubstr("tiers.a_share"));
  EXPECT_THAT(AssignTiers({1}, Pareto(0.8, 0.3)).status().message(),
              HasSubstr("tiers.b_share"));
}

TEST(TierThresholds, MergedPartitionValuesGiveTheWholesTiers) {
  // Values with ties and zeros, split into three uneven parts.
  std::vector<double> values;
  for (int i = 0; i < 500; ++i) values.push_back((i * 37 % 101) * 0.75);
  std::vector<std::vector<double>> parts(3);
  for (size_t i = 0; i < values.size(); ++i) {
    parts[i % 7 == 0 ? 0 : i % 2 + 1].push_back(values[i]);
  }
  for (const v1::TierOptions& options :
       {Pareto(0.8, 0.15), Pareto(0.5, 0.3), [] {
          v1::TierOptions q;
          q.set_method(v1::QUANTILES);
          q.set_a_share(0.2);
          q.set_b_share(0.3);
          return q;
        }()}) {
    const std::vector<Tier> whole = AssignTiers(values, options).value();
    // Each part's values in turn, in two orders of the parts.
    for (const std::vector<int>& order :
         {std::vector<int>{0, 1, 2}, std::vector<int>{2, 0, 1}}) {
      std::vector<double> merged;
      for (int k : order) {
        merged.insert(merged.end(), parts[k].begin(), parts[k].end());
      }
      const TierThresholds t = ComputeTierThresholds(merged, options).value();
      std::vector<Tier> tiers(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        tiers[i] = TierOf(values[i], t);
      }
      EXPECT_EQ(tiers, whole);
    }
  }
  // Empty tiers have infinite thresholds; everyone is C without value.
  const TierThresholds none =
      ComputeTierThresholds({0, 0}, Pareto(0.8, 0.15)).value();
  EXPECT_TRUE(std::isinf(none.a_min) && std::isinf(none.b_min));
  EXPECT_EQ(TierOf(5, none), Tier::kC);
  EXPECT_THAT(
      ComputeTierThresholds({1, -2}, Pareto(0.8, 0.15)).status().message(),
      HasSubstr("values[1]"));
}

// ---- Value
// --------------------------------------------------------------------

TEST(Segment, RevenueTakesTheFirstAvailableSourceInTheWindow) {
  Dataset ds = Builder()
                   .Customer("paid", "2023-01-01")
                   .Customer("orders", "2023-01-01")
                   .Customer("contract", "2023-01-01")
                   .Paid("paid", "2024-03-01", 100)
                   .Order("paid", "2024-02-01", 100)  // invoiced: not twice
                   .Paid("paid", "2023-06-01", 999)   // before the window
                   .Order("orders", "2024-01-10", 40)
                   .Order("orders", "2024-06-30", 60)
                   .Order("orders", "2024-07-02", 500)  // after as_of
                   .Contract("contract", "2024-01-01", "2025-01-01", 366)
                   .Paid("contract", "2024-06-01", 0)  // a payment of 0
                   .Build();
  Risks risks{{"paid", "orders", "contract"}, {80, 80, 80}};
  v1::SegmentReport r =
      Segment(ds, Options("value { window_days: 182 }"), risks.input()).value();
  EXPECT_DOUBLE_EQ(Find(r, "paid").revenue(), 100);
  EXPECT_DOUBLE_EQ(Find(r, "orders").revenue(), 100);
  // The zero payment is the first available source.
  EXPECT_DOUBLE_EQ(Find(r, "contract").revenue(), 0);

  v1::SegmentReport contracts =
      Segment(ds,
              Options("value { window_days: 182 revenue_sources: "
                      "REVENUE_CONTRACTS }"),
              risks.input())
          .value();
  // 2024-01-01 .. 2024-07-01 is 182 of the contract's 366 days.
  EXPECT_DOUBLE_EQ(Find(contracts, "contract").revenue(), 182);
  v1::SegmentReport sum =
      Segment(ds, Options("value { window_days: 182 combine: SUM_SOURCES }"),
              risks.input())
          .value();
  EXPECT_DOUBLE_EQ(Find(sum, "paid").revenue(), 200);
}

TEST(Segment, GrossMarginFromAttributeOrGlobalRate) {
  Dataset ds = Builder()
                   .Customer("a", "2023-01-01", "0.25")
                   .Customer("b", "2023-01-01")
                   .Order("a", "2024-05-01", 400)
                   .Order("b", "2024-05-01", 400)
                   .Build();
  Risks risks{{"a", "b"}, {80, 80}};
  v1::SegmentReport r =
      Segment(ds,
              Options("value { source: GROSS_MARGIN margin_attribute: "
                      "\"margin_rate\" margin_rate: 0.5 }"),
              risks.input())
          .value();
  EXPECT_DOUBLE_EQ(Find(r, "a").value(), 100);
  EXPECT_DOUBLE_EQ(Find(r, "b").value(), 200);
  EXPECT_DOUBLE_EQ(Find(r, "a").revenue(), 400);

  Dataset bad = Builder()
                    .Customer("x", "2023-01-01", "lots")
                    .Order("x", "2024-05-01", 1)
                    .Build();
  Risks one{{"x"}, {80}};
  EXPECT_THAT(Segment(bad,
                      Options("value { source: GROSS_MARGIN "
                              "margin_attribute: \"margin_rate\" }"),
                      one.input())
                  .status()
                  .message(),
              HasSubstr("customer 'x': attribute 'margin_rate'"));
}

TEST(ExpectedRemainingDays, IntegratesTheStepCurve) {
  v1::SurvivalCurve curve;
  auto point = [&](double days, double s) {
    v1::SurvivalPoint* p = curve.add_points();
    p->set_days(days);
    p->set_survival(s);
  };
  point(100, 0.8);
  point(200, 0.5);
  // From 0: 100 x 1 + 100 x 0.8 + 100 x 0.5 over 300 days.
  EXPECT_DOUBLE_EQ(ExpectedRemainingDays(curve, 0, 300), 230);
  // From 150 (S = 0.8): (50 x 0.8 + 250 x 0.5) / 0.8.
  EXPECT_DOUBLE_EQ(ExpectedRemainingDays(curve, 150, 300), 206.25);
  // Beyond the curve S stays at 0.5: the whole horizon remains.
  EXPECT_DOUBLE_EQ(ExpectedRemainingDays(curve, 400, 1000), 1000);
  point(300, 0);
  EXPECT_DOUBLE_EQ(ExpectedRemainingDays(curve, 300, 100), 0);
  EXPECT_DOUBLE_EQ(ExpectedRemainingDays(v1::SurvivalCurve(), 10, 50), 50);
}

TEST(Segment, ContractualClvUsesTheKaplanMeierCurveAtTheCustomersTenure) {
  // Tenures at 2024-01-01 (days since 2023-01-01): c1 churns at 100, c2 at
  // 200, c3 and c4 are censored at 365, c5 (signed 2023-09-01) at 122.
  // KM: S = 4/5 = 0.8 from 100, 0.8 x 2/3 from 200 (at risk: c2, c3, c4).
  Dataset ds = Builder()
                   .Customer("c1", "2023-01-01")
                   .Customer("c2", "2023-01-01")
                   .Customer("c3", "2023-01-01")
                   .Customer("c4", "2023-01-01")
                   .Customer("c5", "2023-09-01")
                   .Paid("c1", "2023-01-05", 10)
                   .Cancel("c1", "2023-04-11", "price")
                   .Cancel("c2", "2023-07-20", "price")
                   .Paid("c3", "2023-12-01", 500)
                   .Paid("c4", "2023-12-01", 500)
                   .Paid("c5", "2023-12-01", 1000)
                   .Build();
  v1::SegmentOptions o = Options(
      "as_of: \"2024-01-01\" value { source: CONTRACTUAL_CLV window_days: "
      "365 clv { horizon_days: 365 } }");
  o.mutable_definition()->clear_passive();
  Risks risks{{"c3", "c4", "c5"}, {80, 80, 80}};
  v1::SegmentReport r = Segment(ds, o, risks.input()).value();
  const double s2 = 0.8 * 2.0 / 3.0;
  const v1::CustomerSegment& c5 = Find(r, "c5");
  EXPECT_DOUBLE_EQ(c5.tenure_days(), 122);
  const double remaining = (78 * 0.8 + 287 * s2) / 0.8;
  EXPECT_NEAR(c5.expected_remaining_days(), remaining, 1e-9);
  EXPECT_NEAR(c5.value(), 1000 * remaining / 365, 1e-9);
  // c3 at 365: S flat at s2 beyond the curve, the whole horizon remains.
  EXPECT_NEAR(Find(r, "c3").expected_remaining_days(), 365, 1e-9);
  EXPECT_NEAR(Find(r, "c3").value(), 500, 1e-9);
}

// ---- The matrix
// -----------------------------------------------------------------

TEST(Segment, QuadrantsAtTheCutoffsWithStrategiesAndRevenueAtRisk) {
  Dataset ds = Builder()
                   .Customer("big_risky", "2023-01-01")
                   .Customer("big_safe", "2023-01-01")
                   .Customer("small_risky", "2023-01-01")
                   .Customer("small_safe", "2023-01-01")
                   .Order("big_risky", "2024-06-01", 1000)
                   .Order("big_safe", "2024-06-01", 1000)
                   .Order("small_risky", "2024-06-01", 999.99)
                   .Order("small_safe", "2024-06-01", 10)
                   .Build();
  // High value at exactly 1000; high risk at exactly 0.5.
  Risks risks{{"big_risky", "big_safe", "small_risky", "small_safe"},
              {0.5, 0.4999, 0.9, 0}};
  v1::SegmentReport r =
      Segment(ds,
              Options("high_value { min_value: 1000 } risk { source: "
                      "CHURN_PROBABILITY cutoff: 0.5 }"),
              risks.input())
          .value();
  EXPECT_EQ(Find(r, "big_risky").quadrant(), v1::HIGH_VALUE_HIGH_RISK);
  EXPECT_EQ(Find(r, "big_safe").quadrant(), v1::HIGH_VALUE_LOW_RISK);
  EXPECT_EQ(Find(r, "small_risky").quadrant(), v1::LOW_VALUE_HIGH_RISK);
  EXPECT_EQ(Find(r, "small_safe").quadrant(), v1::LOW_VALUE_LOW_RISK);
  EXPECT_THAT(Find(r, "big_risky").strategy(), HasSubstr("Rescue first"));
  EXPECT_EQ(r.revenue_at_risk_basis(), "churn_probability");
  EXPECT_DOUBLE_EQ(r.high_value_threshold(), 1000);

  double sum = 0, quadrant_sum = 0;
  int64_t counted = 0;
  for (const v1::CustomerSegment& c : r.customers()) {
    EXPECT_DOUBLE_EQ(c.revenue_at_risk(), c.value() * c.risk());
    sum += c.revenue_at_risk();
  }
  for (const v1::QuadrantSummary& q : r.quadrants()) {
    quadrant_sum += q.revenue_at_risk();
    counted += q.customers();
    EXPECT_EQ(q.customers(), 1);
  }
  EXPECT_DOUBLE_EQ(r.total_revenue_at_risk(), sum);
  EXPECT_DOUBLE_EQ(quadrant_sum, sum);
  EXPECT_EQ(counted, 4);
  // Save first: 999.99 x 0.9 > 1000 x 0.5 > 1000 x 0.4999 > 0.
  EXPECT_EQ(Find(r, "small_risky").save_rank(), 1);
  EXPECT_EQ(Find(r, "big_risky").save_rank(), 2);
  EXPECT_EQ(Find(r, "big_safe").save_rank(), 3);
  EXPECT_EQ(Find(r, "small_safe").save_rank(), 4);
}

TEST(Segment, HealthScoresAndColoursBecomeRisks) {
  Dataset ds = Builder()
                   .Customer("a", "2023-01-01")
                   .Customer("b", "2023-01-01")
                   .Customer("c", "2023-01-01")
                   .Order("a", "2024-06-01", 10)
                   .Build();
  Risks scores{{"a", "b", "c"}, {50, 120, -20}};
  v1::SegmentReport r = Segment(ds, Options(), scores.input()).value();
  EXPECT_DOUBLE_EQ(Find(r, "a").risk(), 0.5);
  EXPECT_TRUE(Find(r, "a").high_risk());  // score 50 is at the cut-off
  EXPECT_DOUBLE_EQ(Find(r, "b").risk(), 0);
  EXPECT_DOUBLE_EQ(Find(r, "c").risk(), 1);
  EXPECT_EQ(r.revenue_at_risk_basis(), "risk_proxy");
  Risks colours{{"a", "b", "c"}, {v1::GREEN, v1::YELLOW, v1::RED}};
  v1::SegmentReport rc =
      Segment(ds, Options("risk { source: HEALTH_COLOUR }"), colours.input())
          .value();
  EXPECT_FALSE(Find(rc, "a").high_risk());
  EXPECT_TRUE(Find(rc, "b").high_risk());
  EXPECT_TRUE(Find(rc, "c").high_risk());
}

TEST(Segment, TiersOfTheDataSetAndTheirShares) {
  Builder b;
  const double values[] = {500, 300, 100, 50, 30, 20, 0};
  Risks risks;
  for (int i = 0; i < 7; ++i) {
    const std::string id = absl::StrCat("c", i);
    b.Customer(id, "2023-01-01");
    b.Order(id, "2024-06-01", values[i]);  // 0: active, of no value
    risks.ids.push_back(id);
    risks.values.push_back(80);
  }
  const Dataset ds = b.Build();
  v1::SegmentReport r = Segment(ds, Options(), risks.input()).value();
  // 500 + 300 = 80% of 1000 -> A; 100 + 50 reach 95% -> B.
  EXPECT_EQ(Find(r, "c1").tier(), "A");
  EXPECT_EQ(Find(r, "c2").tier(), "B");
  EXPECT_EQ(Find(r, "c3").tier(), "B");
  EXPECT_EQ(Find(r, "c4").tier(), "C");
  EXPECT_EQ(Find(r, "c6").tier(), "C");
  ASSERT_EQ(r.tiers_size(), 3);
  EXPECT_EQ(r.tiers(0).customers(), 2);
  EXPECT_DOUBLE_EQ(r.tiers(0).value_share(), 0.8);
  EXPECT_DOUBLE_EQ(r.tiers(0).min_value(), 300);
  EXPECT_DOUBLE_EQ(r.tiers(1).value_share(), 0.15);
  EXPECT_EQ(r.tiers(2).customers(), 3);
  EXPECT_TRUE(Find(r, "c0").high_value());
  EXPECT_FALSE(Find(r, "c2").high_value());
  // Top 30% of customers by count: 7 x 0.3 = 2.1 -> ranks 0, 1, 2.
  v1::SegmentReport top =
      Segment(ds, Options("high_value { top_share: 0.3 }"), risks.input())
          .value();
  EXPECT_TRUE(Find(top, "c2").high_value());
  EXPECT_FALSE(Find(top, "c3").high_value());
}

// ---- Reasons
// ---------------------------------------------------------------------

TEST(Segment, ReasonMatrixLabelsCancellationsAndInferredReasons) {
  Dataset ds =
      Builder()
          .Customer("big", "2023-01-01")
          .Customer("mid", "2023-01-01")
          .Customer("cancel_price", "2023-01-01")
          .Customer("cancel_odd", "2023-01-01")
          .Customer("quiet_known", "2023-01-01")
          .Customer("quiet_unknown", "2023-01-01")
          .Order("big", "2024-06-01", 1000)
          .Order("mid", "2024-06-01", 100)
          .Order("cancel_price", "2024-01-01", 2000)
          .Cancel("cancel_price", "2024-02-01", "price")
          .Order("cancel_odd", "2024-01-01", 5)
          .Cancel("cancel_odd", "2024-02-01", "moved abroad")
          .Order("quiet_known", "2023-12-01", 50)  // passive from 2024-02-29
          .Order("quiet_unknown", "2023-12-01", 60)
          .Build();
  Risks risks{{"big", "mid"}, {20, 90}};
  // Evidence strongest first: two price indicators beat one service one.
  std::vector<ReasonEvidence> evidence = {
      {"quiet_known",
       {"complaints_90d", "discount_requests_90d", "pricing_views_3plus"}},
      {"big", {"negative_feedback"}}};
  v1::SegmentReport r = Segment(ds, Options(), risks.input(), evidence).value();
  EXPECT_EQ(Find(r, "cancel_price").reason_source(),
            v1::REASON_FROM_CANCELLATION);
  EXPECT_EQ(Find(r, "cancel_price").churn_reason(), "price");
  EXPECT_EQ(Find(r, "quiet_known").reason_source(), v1::REASON_INFERRED);
  EXPECT_EQ(Find(r, "quiet_known").churn_reason(), "price");
  EXPECT_EQ(Find(r, "quiet_unknown").reason_source(), v1::REASON_NO_EVIDENCE);
  EXPECT_EQ(Find(r, "quiet_unknown").churn_reason(), "unknown");
  EXPECT_TRUE(Find(r, "quiet_unknown").churned());
  EXPECT_EQ(Find(r, "quiet_unknown").save_rank(), 0);

  const v1::ReasonMatrix& m = r.reasons();
  EXPECT_THAT(m.segments(), ElementsAre("A", "B", "C"));
  EXPECT_EQ(m.churned(), 4);
  EXPECT_DOUBLE_EQ(m.revenue_lost(), 2000 + 5 + 50 + 60);
  // Taxonomy rows first (all seven), then the outside key, then unknown.
  ASSERT_EQ(m.rows_size(), 9);
  EXPECT_EQ(m.rows(7).reason(), "moved abroad");
  EXPECT_FALSE(m.rows(7).in_taxonomy());
  EXPECT_EQ(m.rows(8).reason(), "unknown");
  const v1::ReasonRow& price = Row(r, "price");
  EXPECT_EQ(price.customers(), 2);
  EXPECT_EQ(price.from_cancellation(), 1);
  EXPECT_EQ(price.inferred(), 1);
  EXPECT_TRUE(price.recoverable());
  EXPECT_THAT(price.counter_plan(), HasSubstr("loyalty"));
  EXPECT_DOUBLE_EQ(price.revenue_lost(), 2050);
  // Active tiers: big 1000 (A: 1000 of 1100 >= 80%), mid 100 (B). The
  // churned are placed by value: 2000 >= 1000 -> A, 50 < 100 -> C.
  EXPECT_EQ(price.cells(0).customers(), 1);
  EXPECT_DOUBLE_EQ(price.cells(0).revenue_lost(), 2000);
  EXPECT_EQ(price.cells(2).customers(), 1);
  EXPECT_FALSE(Row(r, "strategic_change").recoverable());
  EXPECT_EQ(Row(r, "strategic_change").customers(), 0);
  EXPECT_EQ(Row(r, "unknown").customers(), 1);

  v1::SegmentReport by_quadrant =
      Segment(ds, Options("reasons { segment_by: BY_QUADRANT }"), risks.input(),
              evidence)
          .value();
  EXPECT_THAT(
      by_quadrant.reasons().segments(),
      ElementsAre("HIGH_VALUE_HIGH_RISK", "LOW_VALUE_HIGH_RISK",
                  "HIGH_VALUE_LOW_RISK", "LOW_VALUE_LOW_RISK", "unknown"));
  EXPECT_EQ(Row(by_quadrant, "price").cells(4).customers(), 2);
}

TEST(Segment, AssessmentGivesRisksAndEvidence) {
  Dataset ds = Builder()
                   .Customer("a", "2023-01-01")
                   .Customer("gone", "2023-01-01")
                   .Order("a", "2024-06-01", 100)
                   .Order("gone", "2023-12-01", 100)
                   .Build();
  v1::Assessment a;
  a.mutable_as_of()->set_seconds(T("2024-07-01"));
  v1::CustomerAssessment* ca = a.add_customers();
  ca->set_customer_id("a");
  ca->set_score(30);
  ca->set_colour(v1::RED);
  ca->set_churn_probability(std::numeric_limits<double>::quiet_NaN());
  v1::CustomerAssessment* cg = a.add_customers();
  cg->set_customer_id("gone");
  cg->set_score(10);
  cg->set_churned(true);
  cg->set_churn_probability(std::numeric_limits<double>::quiet_NaN());
  cg->add_churn_reasons()->set_feature("competitor_trials_90d");
  v1::SegmentOptions o = Options();
  o.clear_as_of();
  v1::SegmentReport r = SegmentWithAssessment(ds, o, a).value();
  EXPECT_EQ(r.as_of(), "2024-07-01");
  EXPECT_DOUBLE_EQ(Find(r, "a").risk(), 0.7);
  EXPECT_EQ(Find(r, "gone").churn_reason(), "competitor");
  EXPECT_EQ(Find(r, "gone").reason_source(), v1::REASON_INFERRED);
  // Churn probabilities asked for but the assessment had no model.
  v1::SegmentOptions p = Options("risk { source: CHURN_PROBABILITY }");
  EXPECT_THAT(SegmentWithAssessment(ds, p, a).status().message(),
              HasSubstr("assessment.customers[0].churn_probability"));
}

// ---- Bad input
// -----------------------------------------------------------------

TEST(Segment, EmptyDataSetGivesAnEmptyReport) {
  Dataset ds = Builder().Build();
  v1::SegmentReport r = Segment(ds, Options(), RiskInput{}).value();
  EXPECT_EQ(r.customers_size(), 0);
  EXPECT_EQ(r.active_customers(), 0);
  EXPECT_EQ(r.quadrants_size(), 4);
  EXPECT_FALSE(r.has_high_value_threshold());
  EXPECT_EQ(r.reasons().rows_size(), 7);
}

TEST(Segment, RejectsBadRiskInput) {
  Dataset ds = Builder()
                   .Customer("a", "2023-01-01")
                   .Customer("b", "2023-01-01")
                   .Order("a", "2024-06-01", 1)
                   .Order("b", "2024-06-01", 1)
                   .Build();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const v1::SegmentOptions prob = Options("risk { source: CHURN_PROBABILITY }");
  struct Case {
    Risks risks;
    const char* message;
  };
  for (const Case& c : {
           Case{{{"a", "b"}, {0.1}}, "risk: 2 ids for 1 values"},
           Case{{{"a", "zz"}, {0.1, 0.2}},
                "risk.customer_ids[1]: unknown customer 'zz'"},
           Case{{{"a", "a"}, {0.1, 0.2}}, "risk.customer_ids[1]"},
           Case{{{"a", "b"}, {0.1, nan}}, "risk.values[1]"},
           Case{{{"a", "b"}, {-0.1, 0.2}}, "risk.values[0]"},
           Case{{{"a", "b"}, {0.1, 1.5}}, "risk.values[1]"},
           Case{{{"a"}, {0.1}}, "no value for active customer 'b'"},
       }) {
    absl::StatusOr<v1::SegmentReport> r = Segment(ds, prob, c.risks.input());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
  Risks colours{{"a", "b"}, {1, 7}};
  EXPECT_THAT(
      Segment(ds, Options("risk { source: HEALTH_COLOUR }"), colours.input())
          .status()
          .message(),
      HasSubstr("risk.values[1]: must be a colour"));
  Risks scores{{"a", "b"}, {50, std::numeric_limits<double>::infinity()}};
  EXPECT_THAT(Segment(ds, Options(), scores.input()).status().message(),
              HasSubstr("risk.values[1]"));
  std::vector<ReasonEvidence> evidence = {{"nobody", {"x"}}};
  Risks ok{{"a", "b"}, {50, 50}};
  EXPECT_THAT(Segment(ds, Options(), ok.input(), evidence).status().message(),
              HasSubstr("evidence[0].customer_id: unknown customer 'nobody'"));
  EXPECT_THAT(Segment(ds, Options("as_of: \"2020-01-01\""), ok.input())
                  .status()
                  .message(),
              HasSubstr("as_of"));
  EXPECT_THAT(Segment(ds,
                      Options("value { source: CONTRACTUAL_CLV clv { "
                              "group_by: \"colour\" } }"),
                      ok.input())
                  .status()
                  .message(),
              HasSubstr("value.clv.group_by"));
}

// ---- Non-contractual value
// -----------------------------------------------------

TEST(Segment, NonContractualValueIsTheBgNbdGammaGammaClv) {
  v1::LoadOptions o;
  ASSERT_TRUE(
      ReadConfigFile(
          testing::SourceDir() + "/configs/mappings/cdnow_sample.textproto", &o)
          .ok());
  o.set_base_dir(testing::SharedDataDir());
  absl::StatusOr<LoadResult> loaded = LoadDataset(o);
  if (!loaded.ok()) GTEST_SKIP() << "no CDNOW sample: " << loaded.status();
  const Dataset& ds = loaded->dataset;
  Risks risks;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    risks.ids.push_back(std::string(ds.customer_id(c)));
    risks.values.push_back(0.2);
  }
  v1::SegmentOptions options = Options(
      "as_of: \"1997-10-01\" value { source: NON_CONTRACTUAL_CLV "
      "margin_rate: 0.3 clv { horizon_days: 365 } } "
      "risk { source: CHURN_PROBABILITY }");
  absl::StatusOr<v1::SegmentReport> r = Segment(ds, options, risks.input());
  ASSERT_TRUE(r.ok()) << r.status();

  // The same CLV straight from clv.h: 30% margin on a year of purchases.
  const UnixSeconds as_of = ParseTime("1997-10-01").value();
  const RfmSummaries rfm = ComputeRfmSummaries(ds, as_of).value();
  const v1::BgNbdModel bg = FitBgNbd(rfm).value();
  const v1::GammaGammaModel gg = FitGammaGamma(rfm).value();
  v1::ClvPredictOptions predict;
  predict.set_horizon(365);
  const ClvPredictions p = PredictClv(rfm, bg, &gg, predict).value();
  ASSERT_EQ(r->customers_size(), static_cast<int>(rfm.size()));
  for (size_t i = 0; i < rfm.size(); i += 97) {
    EXPECT_NEAR(Find(*r, rfm.customer_ids[i]).value(), 0.3 * p.clv[i],
                1e-9 * (1 + p.clv[i]))
        << rfm.customer_ids[i];
  }

  // Degenerate data is an error naming the source: no repeat buyer.
  const Dataset one = Builder()
                          .Customer("solo", "2024-01-01")
                          .Order("solo", "2024-02-01", 50)
                          .Build();
  Risks solo{{"solo"}, {0.5}};
  EXPECT_THAT(Segment(one,
                      Options("value { source: NON_CONTRACTUAL_CLV } "
                              "risk { source: CHURN_PROBABILITY }"),
                      solo.input())
                  .status()
                  .message(),
              HasSubstr("value.source NON_CONTRACTUAL_CLV"));
}

// ---- Generated data
// ------------------------------------------------------------

TEST(Segment, GeneratedDataMatchesTheConfiguredReasonSharesAndPareto) {
  v1::GeneratorConfig config;
  config.set_customers(3000);
  config.set_seed(11);
  GeneratedData data = GenerateInMemory(config).value();
  const v1::GeneratorConfig resolved = ResolveGeneratorConfig(config);
  const UnixSeconds as_of = T(resolved.end_date()) + 86400;
  v1::SegmentOptions o;
  o.set_as_of(FormatTime(as_of));
  o.mutable_reasons()->set_window_days(3650);
  o.mutable_risk()->set_source(v1::CHURN_PROBABILITY);
  Risks risks;
  for (CustomerIndex c = 0; c < data.dataset.num_customers(); ++c) {
    risks.ids.emplace_back(data.dataset.customer_id(c));
    risks.values.push_back(0.1);
  }
  v1::SegmentReport r = Segment(data.dataset, o, risks.input()).value();

  int64_t cancelled = 0;
  std::map<std::string, int64_t> by_reason;
  for (const v1::ReasonRow& row : r.reasons().rows()) {
    cancelled += row.from_cancellation();
    by_reason[row.reason()] = row.from_cancellation();
    EXPECT_EQ(row.inferred(), 0);  // no evidence given
  }
  ASSERT_GT(cancelled, 100);
  for (const auto& reason : resolved.churn().reasons()) {
    const double share =
        static_cast<double>(by_reason[reason.name()]) / cancelled;
    EXPECT_NEAR(share, reason.share(), 0.06) << reason.name();
  }

  // The top 20% of active customers hold roughly 80% of the value.
  std::vector<double> values;
  for (const v1::CustomerSegment& c : r.customers()) {
    if (!c.churned()) values.push_back(c.value());
  }
  std::sort(values.rbegin(), values.rend());
  double total = 0, top = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    total += values[i];
    if (i < values.size() / 5) top += values[i];
  }
  EXPECT_GT(top / total, 0.65);
  EXPECT_LT(top / total, 0.95);
  EXPECT_NEAR(r.tiers(0).value_share(), 0.80, 0.05);
}

}  // namespace
}  // namespace churnkit
