#include "churnkit/experiments.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;
namespace pb = google::protobuf;

// ---- Fixtures of tests/reference/experiments_reference.py ------------------

const pb::Struct& Fixtures() {
  static const pb::Struct* fixtures = [] {
    auto* s = new pb::Struct;
    std::ifstream in(testing::SourceDir() +
                     "/tests/reference/experiments_fixtures.json");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(pb::util::JsonStringToMessage(text.str(), s).ok())
        << "cannot read tests/reference/experiments_fixtures.json";
    return s;
  }();
  return *fixtures;
}

const pb::ListValue& FixtureList(const std::string& name) {
  auto it = Fixtures().fields().find(name);
  EXPECT_NE(it, Fixtures().fields().end()) << name;
  static const pb::ListValue empty;
  return it == Fixtures().fields().end() ? empty : it->second.list_value();
}

double Num(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << key;
  return it == s.fields().end() ? std::nan("") : it->second.number_value();
}

int64_t Int(const pb::Struct& s, const std::string& key) {
  return static_cast<int64_t>(Num(s, key));
}

std::pair<double, double> Pair(const pb::Struct& s, const std::string& key) {
  const pb::ListValue& l = s.fields().at(key).list_value();
  return {l.values(0).number_value(), l.values(1).number_value()};
}

// |actual - expected| within a relative `rel` (absolute near 0).
void ExpectClose(double actual, double expected, double rel,
                 const std::string& what) {
  EXPECT_NEAR(actual, expected, rel * std::max(1e-300, std::fabs(expected)))
      << what;
}

// ---- The normal distribution ---------------------------------------------

TEST(NormalQuantile, MatchesScipyFromTheFarTailsToTheCentre) {
  for (const pb::Value& v : FixtureList("normal_quantile").values()) {
    const double p = v.list_value().values(0).number_value();
    const double x = v.list_value().values(1).number_value();
    absl::StatusOr<double> q = NormalQuantile(p);
    ASSERT_TRUE(q.ok()) << q.status();
    if (x == 0) {
      EXPECT_EQ(*q, 0) << p;
    } else {
      ExpectClose(*q, x, 1e-14, absl::StrCat("p = ", p));
    }
  }
}

TEST(NormalQuantile, TextbookValues) {
  // Wichura (1988), AS 241 test values; z_{0.975} of every statistics table.
  EXPECT_NEAR(*NormalQuantile(0.975), 1.959963984540054, 1e-15);
  EXPECT_NEAR(*NormalQuantile(0.25), -0.6744897501960817, 1e-15);
  EXPECT_NEAR(*NormalQuantile(0.001), -3.090232306167814, 1e-14);
}

TEST(NormalQuantile, RejectsProbabilitiesOutsideTheOpenInterval) {
  for (double p : {0.0, 1.0, -0.1, 1.5, std::nan(""),
                   std::numeric_limits<double>::infinity()}) {
    absl::StatusOr<double> q = NormalQuantile(p);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << p;
    EXPECT_THAT(q.status().message(), HasSubstr("p: must be in (0, 1)"));
  }
}

TEST(NormalCdf, MatchesScipyAndInvertsTheQuantile) {
  for (const pb::Value& v : FixtureList("normal_cdf").values()) {
    const double x = v.list_value().values(0).number_value();
    const double p = v.list_value().values(1).number_value();
    ExpectClose(NormalCdf(x), p, 1e-13, absl::StrCat("x = ", x));
  }
  for (double p : {1e-12, 0.01, 0.3, 0.5, 0.7, 0.99}) {
    EXPECT_NEAR(NormalCdf(*NormalQuantile(p)), p, 1e-15 + 1e-13 * p) << p;
  }
  EXPECT_EQ(NormalCdf(-std::numeric_limits<double>::infinity()), 0);
  EXPECT_EQ(NormalCdf(std::numeric_limits<double>::infinity()), 1);
}

// ---- Two proportions
// ---------------------------------------------------------

TEST(TwoProportionZTest, MatchesStatsmodels) {
  for (const pb::Value& v : FixtureList("proportions").values()) {
    const pb::Struct& c = v.struct_value();
    const std::string what =
        absl::StrCat(Int(c, "s1"), "/", Int(c, "n1"), " vs ", Int(c, "s2"), "/",
                     Int(c, "n2"));
    absl::StatusOr<TwoProportionTest> t = TwoProportionZTest(
        Int(c, "s1"), Int(c, "n1"), Int(c, "s2"), Int(c, "n2"));
    ASSERT_TRUE(t.ok()) << t.status();
    ExpectClose(t->z, Num(c, "z"), 1e-12, what);
    ExpectClose(t->p_value, Num(c, "p_value"), 1e-10, what);
    ExpectClose(t->p_value_greater, Num(c, "p_greater"), 1e-10, what);
    ExpectClose(t->p_value_less, Num(c, "p_less"), 1e-10, what);
    EXPECT_FALSE(t->degenerate);
  }
}

TEST(TwoProportionZTest, TextbookAspirinStudy) {
  // Agresti, Categorical Data Analysis (2nd ed., 2002), §2.2.3: myocardial
  // infarction in 189 of 11,034 physicians on placebo and 104 of 11,037 on
  // aspirin; difference 0.0077, z about 5.0.
  absl::StatusOr<TwoProportionTest> t =
      TwoProportionZTest(189, 11034, 104, 11037);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->difference, 0.0077, 5e-5);
  EXPECT_NEAR(t->z, 5.00, 0.01);
  EXPECT_LT(t->p_value, 1e-6);
}

TEST(TwoProportionZTest, AllOrNoneRetainedIsZeroNotNaN) {
  for (const auto& [s1, n1, s2, n2] :
       {std::tuple<int64_t, int64_t, int64_t, int64_t>{10, 10, 7, 7},
        {0, 10, 0, 3}}) {
    absl::StatusOr<TwoProportionTest> t = TwoProportionZTest(s1, n1, s2, n2);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(t->degenerate);
    EXPECT_EQ(t->z, 0);
    EXPECT_EQ(t->standard_error, 0);
    EXPECT_EQ(t->difference, 0);
    EXPECT_EQ(t->p_value, 1);
    EXPECT_EQ(t->p_value_greater, 0.5);
    EXPECT_EQ(t->p_value_less, 0.5);
  }
}

TEST(TwoProportionZTest, RejectsBadCountsNamingTheArgument) {
  const std::pair<std::vector<int64_t>, std::string> cases[] = {
      {{-1, 10, 3, 10}, "successes1: -1 is negative"},
      {{1, -10, 3, 10}, "trials1: -10 is negative"},
      {{1, 10, 3, 0}, "trials2: must be > 0"},
      {{1, 0, 3, 10}, "trials1: must be > 0"},
      {{11, 10, 3, 10}, "successes1: 11 is more than trials1 (10)"},
      {{1, 10, 12, 10}, "successes2: 12 is more than trials2 (10)"},
  };
  for (const auto& [v, message] : cases) {
    absl::Status s = TwoProportionZTest(v[0], v[1], v[2], v[3]).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(s.message(), HasSubstr(message));
    s = DifferenceInterval(v[0], v[1], v[2], v[3], 0.05,
                           IntervalMethod::kNewcombe)
            .status();
    EXPECT_THAT(s.message(), HasSubstr(message));
  }
}

TEST(DifferenceInterval, WaldAndNewcombeMatchStatsmodels) {
  for (const pb::Value& v : FixtureList("proportions").values()) {
    const pb::Struct& c = v.struct_value();
    for (double alpha : {0.05, 0.01}) {
      for (const auto& [method, name] :
           {std::pair{IntervalMethod::kWald, "wald"},
            std::pair{IntervalMethod::kNewcombe, "newcomb"}}) {
        const std::string key = absl::StrCat(name, "_", alpha);
        const auto [lower, upper] = Pair(c, key);
        absl::StatusOr<Interval> ci =
            DifferenceInterval(Int(c, "s1"), Int(c, "n1"), Int(c, "s2"),
                               Int(c, "n2"), alpha, method);
        ASSERT_TRUE(ci.ok()) << ci.status();
        const std::string what =
            absl::StrCat(key, " ", Int(c, "s1"), "/", Int(c, "n1"), " vs ",
                         Int(c, "s2"), "/", Int(c, "n2"));
        EXPECT_NEAR(ci->lower, lower, 1e-12) << what;
        EXPECT_NEAR(ci->upper, upper, 1e-12) << what;
      }
    }
  }
}

TEST(DifferenceInterval, TextbookExamples) {
  // Newcombe, "Interval estimation for the difference between independent
  // proportions", Statistics in Medicine 17 (1998), Table II, method 10:
  // (a) 56/70 - 48/80: 0.0524 to 0.3339; (b) 9/10 - 3/10: 0.1705 to 0.8090.
  Interval a =
      *DifferenceInterval(56, 70, 48, 80, 0.05, IntervalMethod::kNewcombe);
  EXPECT_NEAR(a.lower, 0.0524, 5e-5);
  EXPECT_NEAR(a.upper, 0.3339, 5e-5);
  Interval b =
      *DifferenceInterval(9, 10, 3, 10, 0.05, IntervalMethod::kNewcombe);
  EXPECT_NEAR(b.lower, 0.1705, 5e-5);
  EXPECT_NEAR(b.upper, 0.8090, 5e-5);
  // The same table, Wald (method 1): 0.0575 to 0.3425.
  a = *DifferenceInterval(56, 70, 48, 80, 0.05, IntervalMethod::kWald);
  EXPECT_NEAR(a.lower, 0.0575, 5e-5);
  EXPECT_NEAR(a.upper, 0.3425, 5e-5);
  // Agresti (2002) §2.2.3, aspirin: 95% Wald interval (0.005, 0.011).
  Interval m =
      *DifferenceInterval(189, 11034, 104, 11037, 0.05, IntervalMethod::kWald);
  EXPECT_NEAR(m.lower, 0.005, 5e-4);
  EXPECT_NEAR(m.upper, 0.011, 5e-4);
}

TEST(DifferenceInterval, DegenerateGroupsStayFiniteAndNewcombeInRange) {
  // Wald collapses to a point when both groups are all or nothing; the
  // score interval does not.
  Interval w = *DifferenceInterval(10, 10, 0, 10, 0.05, IntervalMethod::kWald);
  EXPECT_EQ(w.lower, 1);
  EXPECT_EQ(w.upper, 1);
  Interval n =
      *DifferenceInterval(10, 10, 0, 10, 0.05, IntervalMethod::kNewcombe);
  EXPECT_GT(n.lower, 0.5);
  EXPECT_LE(n.upper, 1);
  for (double alpha : {0.0, 1.0, -0.5, std::nan("")}) {
    absl::Status s =
        DifferenceInterval(1, 2, 1, 2, alpha, IntervalMethod::kWald).status();
    EXPECT_THAT(s.message(), HasSubstr("alpha: must be in (0, 1)"));
  }
}

// ---- Fisher's exact test
// -------------------------------------------------------

TEST(FisherExact, MatchesScipy) {
  for (const pb::Value& v : FixtureList("fisher").values()) {
    const pb::Struct& c = v.struct_value();
    const pb::ListValue& t = c.fields().at("table").list_value();
    const int64_t a = t.values(0).number_value(),
                  b = t.values(1).number_value(),
                  cc = t.values(2).number_value(),
                  d = t.values(3).number_value();
    const std::string what =
        absl::StrCat("[[", a, ",", b, "],[", cc, ",", d, "]]");
    absl::StatusOr<FisherExactResult> r = FisherExact(a, b, cc, d);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectClose(r->p_value, Num(c, "p_value"), 1e-9, what);
    ExpectClose(r->p_less, Num(c, "p_less"), 1e-9, what);
    ExpectClose(r->p_greater, Num(c, "p_greater"), 1e-9, what);
    const pb::Value& odds = c.fields().at("odds_ratio");
    if (odds.has_string_value() && odds.string_value() == "nan") {
      EXPECT_FALSE(r->odds_ratio.has_value()) << what;
    } else if (odds.has_string_value()) {
      ASSERT_TRUE(r->odds_ratio.has_value()) << what;
      EXPECT_TRUE(std::isinf(*r->odds_ratio)) << what;
    } else {
      ASSERT_TRUE(r->odds_ratio.has_value()) << what;
      ExpectClose(*r->odds_ratio, odds.number_value(), 1e-14, what);
    }
  }
}

TEST(FisherExact, LadyTastingTea) {
  // Fisher, The Design of Experiments (1935), ch. II; Agresti (2002) §3.5.2,
  // Table 3.8: [[3, 1], [1, 3]], two-sided P = 0.486, one-sided 0.243.
  absl::StatusOr<FisherExactResult> r = FisherExact(3, 1, 1, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->p_value, 0.4857, 5e-5);
  EXPECT_NEAR(r->p_value, 34.0 / 70, 1e-14);
  EXPECT_NEAR(r->p_greater, 17.0 / 70, 1e-14);
  EXPECT_EQ(r->odds_ratio, 9.0);
}

TEST(FisherExact, LargeTablesAreSymmetricAndFinite) {
  // Swapping both rows and columns keeps the odds ratio and every p-value;
  // swapping the rows inverts the odds ratio and the one-sided p-values.
  const FisherExactResult r = *FisherExact(250000, 250000, 249000, 251000);
  const FisherExactResult t = *FisherExact(251000, 249000, 250000, 250000);
  const FisherExactResult rows = *FisherExact(249000, 251000, 250000, 250000);
  EXPECT_NEAR(r.p_value, t.p_value, 1e-12);
  EXPECT_NEAR(r.p_greater, t.p_greater, 1e-12);
  EXPECT_NEAR(r.p_value, rows.p_value, 1e-12);
  EXPECT_NEAR(r.p_greater, rows.p_less, 1e-12);
  EXPECT_NEAR(r.p_less, rows.p_greater, 1e-12);
  EXPECT_GT(r.p_value, 0);
  EXPECT_LT(r.p_value, 1);
  const FisherExactResult big = *FisherExact(400000, 100000, 395000, 105000);
  EXPECT_GT(big.p_value, 0);
  EXPECT_LT(big.p_value, 1e-25);
}

TEST(FisherExact, RejectsNegativeCells) {
  EXPECT_THAT(FisherExact(1, -1, 2, 3).status().message(),
              HasSubstr("b: -1 is negative"));
  EXPECT_THAT(FisherExact(1, 1, 2, -3).status().message(),
              HasSubstr("d: -3 is negative"));
}

// ---- Sample size
// -----------------------------------------------------------------

TEST(SampleSizePerArm, MatchesStatsmodelsRoundedUp) {
  for (const pb::Value& v : FixtureList("sample_size").values()) {
    const pb::Struct& c = v.struct_value();
    absl::StatusOr<int64_t> n = SampleSizePerArm(
        Num(c, "p1"), Num(c, "p2"), Num(c, "alpha"), Num(c, "power"));
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, static_cast<int64_t>(std::ceil(Num(c, "n"))))
        << Num(c, "p1") << " vs " << Num(c, "p2");
  }
}

TEST(SampleSizePerArm, RejectsBadArgumentsNamingThem) {
  const std::pair<absl::StatusOr<int64_t>, std::string> cases[] = {
      {SampleSizePerArm(0.3, 0.3, 0.05, 0.8), "p1, p2: equal"},
      {SampleSizePerArm(-0.1, 0.3, 0.05, 0.8), "p1: must be a proportion"},
      {SampleSizePerArm(0.1, 1.3, 0.05, 0.8), "p2: must be a proportion"},
      {SampleSizePerArm(0.1, 0.3, 0, 0.8), "alpha: must be in (0, 1)"},
      {SampleSizePerArm(0.1, 0.3, 0.05, 1), "power: must be in (0, 1)"},
      {SampleSizePerArm(0.1, 0.3, 0.05, std::nan("")),
       "power: must be in (0, 1)"},
      {SampleSizePerArm(0.5, 0.5 + 1e-12, 0.05, 0.8), "more than 10^15"},
  };
  for (const auto& [result, message] : cases) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr(message));
  }
}

// ---- Intervention analysis on a hand-made data set
// -------------------------------

UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

class Builder {
 public:
  Builder& Customer(const std::string& id) {
    v1::Customer c;
    c.set_id(id);
    c.mutable_signup_time()->set_seconds(T("2024-01-01"));
    EXPECT_TRUE(b_.AddCustomer(c, {"t", row_++}).ok());
    // Every customer logs in on January 2nd, the data set's first event.
    return Event(id, "2024-01-02", v1::LOGIN);
  }
  Builder& Event(const std::string& customer, absl::string_view time,
                 v1::EventKind kind, absl::string_view key = "",
                 absl::string_view group = "", double amount = 0) {
    EventInput e;
    e.customer_id = customer;
    e.kind = kind;
    e.time = T(time);
    e.key = key;
    e.group = group;
    e.amount = amount;
    EXPECT_TRUE(b_.AddEvent(e, {"t", row_++}).ok());
    return *this;
  }
  Builder& Treat(const std::string& customer, absl::string_view time,
                 absl::string_view strategy, absl::string_view arm,
                 double cost) {
    return Event(customer, time, v1::INTERVENTION, strategy, arm, cost);
  }
  Dataset Build() { return b_.Build().value(); }

 private:
  DatasetBuilder b_;
  int row_ = 1;
};

// Strategy "call", arms A and control; strategy "offer", one arm B. Only
// cancellations are churn.
Dataset Story() {
  Builder b;
  b.Customer("a1").Treat("a1", "2024-01-10", "call", "A", 100);
  b.Event("a1", "2024-01-20", v1::LOGIN);  // a response
  b.Customer("a2").Treat("a2", "2024-01-10", "call", "A", 100);
  b.Treat("a2", "2024-01-20", "call", "A", 100);  // a repeat
  b.Event("a2", "2024-01-25", v1::CANCELLATION, "price");
  b.Customer("a3").Treat("a3", "2024-02-20", "call", "A", 100);
  b.Customer("c1").Treat("c1", "2024-01-10", "call", "control", 0);
  b.Event("c1", "2024-02-15", v1::CANCELLATION, "price");
  b.Customer("c2").Treat("c2", "2024-01-10", "call", "control", 0);
  b.Event("c2", "2024-01-15", v1::CANCELLATION, "service");
  // Churned before its intervention, orders again 39 days later.
  b.Customer("w1").Event("w1", "2024-01-05", v1::CANCELLATION, "price");
  b.Treat("w1", "2024-01-12", "call", "A", 50);
  b.Event("w1", "2024-02-20", v1::ORDER);
  b.Customer("o1").Treat("o1", "2024-03-01", "offer", "B", 10);
  b.Treat("o1", "2024-04-02", "offer", "B", 10);  // after as_of
  return b.Build();
}

v1::ExperimentOptions StoryOptions() {
  v1::ExperimentOptions o;
  o.set_as_of("2024-04-01");
  o.set_cycle_days(30);
  o.set_cycles(2);
  o.set_min_response_rate(30);
  o.mutable_definition()->add_active()->add_kinds(v1::CANCELLATION);
  return o;
}

const v1::ArmFigures& Arm(const v1::StrategyFigures& s,
                          const std::string& name) {
  for (const v1::ArmFigures& a : s.arms()) {
    if (a.arm() == name) return a;
  }
  ADD_FAILURE() << "no arm " << name;
  static const v1::ArmFigures none;
  return none;
}

TEST(ChurnLabelerLabelAt, AgreesWithLabelAtEachDateAndChecksArguments) {
  const Dataset ds = Story();
  v1::ChurnDefinition def;
  def.add_active()->add_kinds(v1::CANCELLATION);
  const ChurnLabeler labeler = ChurnLabeler::Create(def).value();
  const std::vector<CustomerIndex> who = {0, 1, 1, 3};
  const std::vector<UnixSeconds> when = {T("2024-02-01"), T("2024-01-20"),
                                         T("2024-02-01"), T("2024-03-01")};
  absl::StatusOr<std::vector<ChurnLabel>> at = labeler.LabelAt(ds, who, when);
  ASSERT_TRUE(at.ok()) << at.status();
  for (size_t i = 0; i < who.size(); ++i) {
    const std::vector<ChurnLabel> all = labeler.Label(ds, when[i]).value();
    EXPECT_EQ((*at)[i].churned, all[who[i]].churned) << i;
    EXPECT_EQ((*at)[i].churn_time, all[who[i]].churn_time) << i;
  }
  EXPECT_FALSE((*at)[1].churned);  // a2 cancels on January 25th
  EXPECT_TRUE((*at)[2].churned);
  EXPECT_THAT(labeler.LabelAt(ds, who, {when[0]}).status().message(),
              HasSubstr("differ in length"));
  const std::vector<CustomerIndex> bad = {0, 99};
  EXPECT_THAT(labeler.LabelAt(ds, bad, {when[0], when[1]}).status().message(),
              HasSubstr("customers[1]: index 99 out of range"));
  EXPECT_THAT(labeler.LabelAt(ds, {0}, {T("2024-01-01")}).status().message(),
              HasSubstr("as_of[0]: as_of: 2024-01-01 is not after"));
}

TEST(AnalyzeExperiments, CountsSubjectsCyclesResponsesAndWinBacks) {
  const Dataset ds = Story();
  absl::StatusOr<v1::ExperimentReport> r =
      AnalyzeExperiments(ds, StoryOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->as_of(), "2024-04-01");
  EXPECT_EQ(r->cycles(), 2);
  EXPECT_EQ(r->alpha(), 0.05);
  EXPECT_EQ(r->interventions(), 8);  // o1's second one is after as_of
  ASSERT_EQ(r->strategies_size(), 2);
  const v1::StrategyFigures& call = r->strategies(0);
  EXPECT_EQ(call.strategy(), "call");
  EXPECT_EQ(call.control_arm(), "control");  // found by name
  ASSERT_EQ(call.arms_size(), 2);
  EXPECT_EQ(call.arms(0).arm(), "A");

  const v1::ArmFigures& a = Arm(call, "A");
  EXPECT_EQ(a.customers(), 4);  // a1, a2, a3, w1
  EXPECT_EQ(a.repeat_interventions(), 1);
  EXPECT_EQ(a.total_cost(), 450);
  EXPECT_EQ(a.retention_subjects(), 3);  // w1 was churned already
  ASSERT_EQ(a.cycles_size(), 2);
  // Cycle 1: a1, a2, a3 evaluated; a2 cancelled.
  EXPECT_EQ(a.cycles(0).evaluated(), 3);
  EXPECT_EQ(a.cycles(0).pending(), 0);
  EXPECT_EQ(a.cycles(0).retained(), 2);
  EXPECT_EQ(a.cycles(0).churned(), 1);
  EXPECT_NEAR(a.cycles(0).retention_rate(), 200.0 / 3, 1e-12);
  EXPECT_NEAR(a.cycles(0).churn_rate(), 100.0 / 3, 1e-12);
  EXPECT_EQ(a.cycles(0).cost(), 400);
  EXPECT_EQ(a.cycles(0).cost_per_retained(), 200);
  // Cycle 2 of a3 ends 2024-04-20, after as_of: pending.
  EXPECT_EQ(a.cycles(1).evaluated(), 2);
  EXPECT_EQ(a.cycles(1).pending(), 1);
  EXPECT_EQ(a.cycles(1).retained(), 1);
  // Responses in the first cycle: a1's login only (w1 orders too late).
  EXPECT_EQ(a.response_evaluated(), 4);
  EXPECT_EQ(a.responded(), 1);
  EXPECT_EQ(a.response_rate(), 25);
  EXPECT_TRUE(a.low_response());
  EXPECT_EQ(a.win_back().attempts(), 1);
  ASSERT_EQ(a.win_back().cycles_size(), 2);
  EXPECT_EQ(a.win_back().cycles(0).won_back(), 0);
  EXPECT_EQ(a.win_back().cycles(0).win_back_rate(), 0);
  EXPECT_EQ(a.win_back().cycles(1).won_back(), 1);
  EXPECT_EQ(a.win_back().cycles(1).win_back_rate(), 100);

  const v1::ArmFigures& control = Arm(call, "control");
  EXPECT_EQ(control.cycles(0).evaluated(), 2);
  EXPECT_EQ(control.cycles(0).retained(), 1);  // c1 cancels in cycle 2
  EXPECT_EQ(control.cycles(1).retained(), 0);
  EXPECT_FALSE(control.cycles(1).has_cost_per_retained());

  ASSERT_EQ(call.comparisons_size(), 2);
  const v1::ArmComparison& c1 = call.comparisons(0);
  EXPECT_EQ(c1.arm(), "A");
  EXPECT_EQ(c1.control_arm(), "control");
  EXPECT_EQ(c1.cycle(), 1);
  EXPECT_EQ(c1.arm_evaluated(), 3);
  EXPECT_EQ(c1.control_retained(), 1);
  EXPECT_NEAR(c1.difference(), 100.0 * (2.0 / 3 - 0.5), 1e-12);
  const TwoProportionTest z = *TwoProportionZTest(2, 3, 1, 2);
  EXPECT_NEAR(c1.z(), z.z, 1e-15);
  EXPECT_NEAR(c1.p_value(), z.p_value, 1e-15);
  EXPECT_NEAR(c1.fisher_p_value(), FisherExact(2, 1, 1, 1)->p_value, 1e-15);
  EXPECT_EQ(c1.test(), "fisher");  // tiny groups
  EXPECT_FALSE(c1.significant());
  EXPECT_LT(c1.newcombe_lower(), 0);
  EXPECT_GT(c1.newcombe_upper(), 0);
  EXPECT_TRUE(c1.has_sample_size_per_arm());
  EXPECT_TRUE(c1.has_sample_size_observed());
  // A costs 400 / 3 per subject, control 0: (400/3) / (1/6) = 800.
  EXPECT_NEAR(c1.incremental_cost_per_retained(), 800, 1e-9);
  const v1::ArmComparison& c2 = call.comparisons(1);
  EXPECT_EQ(c2.cycle(), 2);
  EXPECT_NEAR(c2.difference(), 50, 1e-12);
  EXPECT_TRUE(c2.odds_ratio_infinite());  // the control retained nobody
  EXPECT_FALSE(c2.has_odds_ratio());

  EXPECT_EQ(call.customers(), 6);
  EXPECT_EQ(call.total_cost(), 450);
  EXPECT_EQ(call.response_evaluated(), 6);
  EXPECT_EQ(call.responded(), 1);
  EXPECT_TRUE(call.low_response());
  EXPECT_EQ(call.win_back().attempts(), 1);

  const v1::StrategyFigures& offer = r->strategies(1);
  EXPECT_EQ(offer.strategy(), "offer");
  EXPECT_EQ(offer.control_arm(), "B");  // the only (first) arm
  EXPECT_EQ(offer.comparisons_size(), 0);
  EXPECT_EQ(offer.total_cost(), 10);  // not the intervention after as_of
  EXPECT_EQ(offer.arms(0).cycles(0).evaluated(), 1);
  EXPECT_EQ(offer.arms(0).cycles(1).pending(), 1);
  EXPECT_FALSE(offer.arms(0).cycles(1).has_retention_rate());
}

TEST(AnalyzeExperiments, StrategyFilterAndExplicitControl) {
  const Dataset ds = Story();
  v1::ExperimentOptions o = StoryOptions();
  o.add_strategies("call");
  o.set_control_arm("A");
  absl::StatusOr<v1::ExperimentReport> r = AnalyzeExperiments(ds, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->strategies_size(), 1);
  EXPECT_EQ(r->interventions(), 7);
  EXPECT_EQ(r->strategies(0).control_arm(), "A");
  ASSERT_EQ(r->strategies(0).comparisons_size(), 2);
  EXPECT_EQ(r->strategies(0).comparisons(0).arm(), "control");
  EXPECT_LT(r->strategies(0).comparisons(0).difference(), 0);
  // The control neither costs more nor retains more: no incremental cost.
  EXPECT_FALSE(
      r->strategies(0).comparisons(0).has_incremental_cost_per_retained());
}

TEST(AnalyzeExperiments, AWindowNotCompleteLeavesRatesAbsent) {
  const Dataset ds = Story();
  v1::ExperimentOptions o = StoryOptions();
  o.set_as_of("2024-01-20");  // no cycle of anyone is complete
  absl::StatusOr<v1::ExperimentReport> r = AnalyzeExperiments(ds, o);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::StrategyFigures& call = r->strategies(0);
  for (const v1::ArmComparison& c : call.comparisons()) {
    EXPECT_EQ(c.arm_evaluated(), 0);
    EXPECT_FALSE(c.has_difference());
    EXPECT_FALSE(c.has_p_value());
    EXPECT_FALSE(c.significant());
    EXPECT_EQ(c.test(), "");
  }
  EXPECT_FALSE(call.has_response_rate());
  EXPECT_FALSE(call.low_response());
  // a1 and a2; a3 is treated after as_of, w1 is a win-back subject.
  EXPECT_EQ(Arm(call, "A").cycles(0).pending(), 2);
  EXPECT_EQ(Arm(call, "A").win_back().cycles(0).pending(), 1);
}

TEST(AnalyzeExperiments, RejectsBadOptionsNamingThem) {
  const Dataset ds = Story();
  const std::pair<std::string, std::string> cases[] = {
      {R"(as_of: "2024-02-30")", "as_of: "},
      {R"(as_of: "2023-12-01")", "as_of: 2023-12-01 is not after the first"},
      {"cycle_days: -1", "cycle_days: must be > 0"},
      {"cycles: 4", "cycles: must be in 1..3"},
      {"cycles: -1", "cycles: must be in 1..3"},
      {"alpha: 1.5", "alpha: must be in (0, 1)"},
      {"alpha: -0.05", "alpha: must be in (0, 1)"},
      {"power: 1", "power: must be in (0, 1)"},
      {"min_response_rate: 120", "min_response_rate: must be a percentage"},
      {"min_response_rate: -1", "min_response_rate: must be a percentage"},
      {"min_detectable_lift: 100", "min_detectable_lift: must be"},
      {R"(strategies: "call" strategies: "nope")",
       "strategies[1]: no INTERVENTION with key 'nope'"},
      {R"(control_arm: "control")",
       "control_arm: 'control' is not an arm of strategy 'offer' (arms: 'B')"},
      {R"(control_arm: "Z" strategies: "call")",
       "control_arm: 'Z' is not an arm of strategy 'call'"},
      {"definition { passive { activity { kinds: LOGIN } inactive_days: 0 } }",
       "definition.passive[0].inactive_days: must be > 0"},
      {"response { kinds: ORDER } response { kinds: LOGIN subtypes: NPS }",
       "response[1].subtypes[0]: NPS belongs to none of the filter's kinds"},
  };
  for (const auto& [text, message] : cases) {
    v1::ExperimentOptions o;
    ASSERT_TRUE(ParseTextProto(text, &o).ok()) << text;
    if (o.as_of().empty()) o.set_as_of("2024-04-01");
    absl::StatusOr<v1::ExperimentReport> r = AnalyzeExperiments(ds, o);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << text;
  }
}

TEST(AnalyzeExperiments, NoInterventionsOrNoEventsGiveAnEmptyReport) {
  Builder b;
  b.Customer("x");
  const Dataset ds = b.Build();
  absl::StatusOr<v1::ExperimentReport> r = AnalyzeExperiments(ds, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->as_of(), "2024-01-03");  // midnight after the last event
  EXPECT_EQ(r->strategies_size(), 0);
  EXPECT_EQ(r->cycle_days(), 30);
  EXPECT_EQ(r->cycles(), 3);
  const Dataset empty = DatasetBuilder().Build().value();
  r = AnalyzeExperiments(empty, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->as_of(), "");
  EXPECT_EQ(r->strategies_size(), 0);
}

// ---- On generated data: the configured effect is found with its sign
// ----------

TEST(AnalyzeExperiments, DetectsTheGeneratorsConfiguredEffect) {
  // Every customer showing signals is targeted; arm "treat" averts a
  // pending recoverable churn with probability 0.9, "control" never.
  v1::GeneratorConfig config;
  ASSERT_TRUE(ParseTextProto(R"pb(
                               customers: 6000
                               seed: 11
                               interventions {
                                 targeting_share: 1
                                 strategies {
                                   id: "rescue"
                                   share: 1
                                   cost: 200
                                   arms { name: "control" share: 0.5 effect: 0 }
                                   arms { name: "treat" share: 0.5 effect: 0.9 }
                                 }
                               }
                             )pb",
                             &config)
                  .ok());
  absl::StatusOr<GeneratedData> data = GenerateInMemory(config);
  ASSERT_TRUE(data.ok()) << data.status();
  const v1::GeneratorConfig resolved = ResolveGeneratorConfig(config);
  ASSERT_EQ(resolved.interventions().strategies_size(), 1);

  // Ground truth: churns averted per arm.
  std::map<std::string, std::pair<int, int>> truth;  // treated, averted
  for (const v1::GroundTruth& t : data->truth) {
    if (t.intervention_strategy() != "rescue") continue;
    ++truth[t.intervention_arm()].first;
    truth[t.intervention_arm()].second += t.churn_averted();
  }
  EXPECT_EQ(truth["control"].second, 0);
  EXPECT_GT(truth["treat"].second, 0);

  v1::ExperimentOptions o;
  o.set_cycle_days(60);
  o.set_threads(2);
  absl::StatusOr<v1::ExperimentReport> r = AnalyzeExperiments(data->dataset, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->strategies_size(), 1);
  const v1::StrategyFigures& s = r->strategies(0);
  EXPECT_EQ(s.control_arm(), "control");
  EXPECT_EQ(s.customers(), truth["control"].first + truth["treat"].first);
  EXPECT_EQ(Arm(s, "treat").customers(), truth["treat"].first);
  EXPECT_NEAR(s.total_cost(), 200.0 * s.customers(), 1e-6);
  ASSERT_EQ(s.comparisons_size(), 3);
  for (const v1::ArmComparison& c : s.comparisons()) {
    RecordProperty(absl::StrCat("cycle", c.cycle()),
                   absl::StrCat(c.arm_retained(), "/", c.arm_evaluated(),
                                " vs ", c.control_retained(), "/",
                                c.control_evaluated(), " p=", c.p_value()));
    ASSERT_TRUE(c.has_difference());
    EXPECT_GT(c.difference(), 0) << "cycle " << c.cycle();
    EXPECT_GT(c.newcombe_upper(), c.newcombe_lower());
  }
  // By the last cycle the averted churns have shown: significant.
  const v1::ArmComparison& last = s.comparisons(2);
  EXPECT_EQ(last.test(), "z");
  EXPECT_TRUE(last.significant()) << last.p_value();
  EXPECT_GT(last.newcombe_lower(), 0);
  EXPECT_LT(last.fisher_p_value(), 0.05);
}

TEST(AnalyzeExperiments, ResultsDoNotDependOnThreads) {
  v1::GeneratorConfig config;
  config.set_customers(800);
  config.set_seed(3);
  absl::StatusOr<GeneratedData> data = GenerateInMemory(config);
  ASSERT_TRUE(data.ok()) << data.status();
  v1::ExperimentOptions o;
  o.set_threads(1);
  const std::string one =
      AnalyzeExperiments(data->dataset, o)->SerializeAsString();
  o.set_threads(4);
  EXPECT_EQ(AnalyzeExperiments(data->dataset, o)->SerializeAsString(), one);
}

}  // namespace
}  // namespace churnkit
