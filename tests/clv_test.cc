// Tests of churnkit/clv.h: RFM summaries, BG/NBD and Gamma-Gamma fits,
// predictions, and the special functions behind them. Reference numbers
// come from tests/reference/clv_fixtures.json, written by
// tests/reference/clv_reference.py (lifetimes' formulas in numpy/scipy).
#include "churnkit/clv.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "internal/special.h"
#include "test_paths.h"

namespace churnkit {
namespace {

namespace pb = google::protobuf;
using ::testing::HasSubstr;

// ---- Fixtures and data
// -------------------------------------------------------

const pb::Struct& Fixtures() {
  static const pb::Struct* fixtures = [] {
    auto* s = new pb::Struct;
    std::ifstream in(testing::SourceDir() +
                     "/tests/reference/clv_fixtures.json");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(pb::util::JsonStringToMessage(text.str(), s).ok())
        << "cannot read tests/reference/clv_fixtures.json";
    return s;
  }();
  return *fixtures;
}

const pb::Value& Get(const pb::Value& v, const std::string& key) {
  return v.struct_value().fields().at(key);
}
const pb::Value& Fixture(const std::string& key) {
  return Fixtures().fields().at(key);
}
double Num(const pb::Value& v, const std::string& key) {
  return Get(v, key).number_value();
}

std::string CdnowFile(const std::string& name) {
  return testing::SharedDataDir() + "/cdnow/" + name;
}

#define SKIP_WITHOUT(file)                                          \
  if (!std::filesystem::exists(file)) {                             \
    GTEST_SKIP() << file << " not found; set CHURNKIT_SHARED_DATA"; \
  }

// Reads a summary CSV (ID plus frequency,recency,T or x,t_x,T[,zbar]).
RfmSummaries ReadSummaryCsv(const std::string& path) {
  RfmSummaries rfm;
  absl::StatusOr<PlainTable> t = ReadPlainTable(path);
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) return rfm;
  auto col = [&](const char* a, const char* b) {
    std::optional<size_t> c = t->ColumnIndex(a);
    return c ? c : t->ColumnIndex(b);
  };
  const auto id = col("ID", "ID"), x = col("frequency", "x"),
             tx = col("recency", "t_x"), age = col("T", "T"),
             m = col("zbar", "monetary");
  for (size_t r = 0; r < t->num_rows(); ++r) {
    double v[4] = {0, 0, 0, 0};
    EXPECT_TRUE(absl::SimpleAtod(t->cell(r, *x), &v[0]));
    EXPECT_TRUE(absl::SimpleAtod(t->cell(r, *tx), &v[1]));
    EXPECT_TRUE(absl::SimpleAtod(t->cell(r, *age), &v[2]));
    rfm.customer_ids.push_back(t->cell(r, *id));
    rfm.frequency.push_back(v[0]);
    rfm.recency.push_back(v[1]);
    rfm.age.push_back(v[2]);
    if (m) {
      EXPECT_TRUE(absl::SimpleAtod(t->cell(r, *m), &v[3]));
      rfm.monetary.push_back(v[3]);
    }
  }
  rfm.time_unit = v1::CLV_WEEKS;
  return rfm;
}

v1::BgNbdModel Bg(double r, double alpha, double a, double b) {
  v1::BgNbdModel m;
  m.set_r(r);
  m.set_alpha(alpha);
  m.set_a(a);
  m.set_b(b);
  return m;
}

v1::BgNbdModel Published() {
  return Bg(0.242593, 4.413532, 0.792886, 2.425752);
}

RfmSummaries Tiny(std::vector<double> x, std::vector<double> tx,
                  std::vector<double> t, std::vector<double> m = {}) {
  RfmSummaries rfm;
  rfm.frequency = std::move(x);
  rfm.recency = std::move(tx);
  rfm.age = std::move(t);
  rfm.monetary = std::move(m);
  return rfm;
}

// ---- Special functions
// ---------------------------------------------------------

TEST(Hyp2F1, MatchesScipyAtFixturePoints) {
  for (const pb::Value& p : Fixture("hyp2f1").list_value().values()) {
    absl::StatusOr<double> v =
        internal::Hyp2F1(Num(p, "a"), Num(p, "b"), Num(p, "c"), Num(p, "z"));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_NEAR(*v, Num(p, "value"), 1e-12 * std::fabs(Num(p, "value")))
        << "a=" << Num(p, "a") << " b=" << Num(p, "b") << " c=" << Num(p, "c")
        << " z=" << Num(p, "z");
  }
}

TEST(Hyp2F1, RejectsPolesAndZOutsideTheUnitInterval) {
  EXPECT_EQ(internal::Hyp2F1(1, 1, -2, 0.5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(internal::Hyp2F1(1, 1, 2, 1.0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(internal::Hyp2F1(1, 1, 2, NAN).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A terminating series before the pole is a polynomial: 1 - 2 * 0.5 = 0.
  EXPECT_DOUBLE_EQ(*internal::Hyp2F1(-1, 1, -2, 0.5), 1 + 0.5 * 0.5);
  EXPECT_EQ(internal::Hyp2F1(1, 1, 2, 0.9999999, 1000).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Digamma, MatchesKnownValues) {
  EXPECT_NEAR(internal::Digamma(1), -0.57721566490153286, 1e-14);
  EXPECT_NEAR(internal::Digamma(0.5), -1.9635100260214235, 1e-14);
  EXPECT_NEAR(internal::Digamma(10), 2.2517525890667211, 1e-14);
  EXPECT_NEAR(internal::Digamma(1e-3), -1000.5755719318103, 1e-9);
  EXPECT_TRUE(std::isnan(internal::Digamma(0)));
}

// ---- Log-likelihoods by hand
// ---------------------------------------------------

TEST(BgNbdLogLikelihood, MatchesHandComputedTinyCases) {
  // r = alpha = a = b = 1.
  // Customer 1, x = 0, T = 2: A1 = r log alpha = 0, A2 = 0, A3 = -(r + x)
  //   log(alpha + T) = -log 3; no A4 term: ll = -log 3.
  // Customer 2, x = 1, t_x = 1, T = 2: A1 = lgamma(2) - lgamma(1) = 0;
  //   A2 = lgamma(2) + lgamma(2) - lgamma(1) - lgamma(3) = -log 2;
  //   A3 = -2 log 3; A4 = log a - log(b + x - 1) - 2 log(alpha + t_x)
  //   = -2 log 2; ll = -log 2 + log(1/9 + 1/4) = log(13 / 72).
  const v1::BgNbdModel ones = Bg(1, 1, 1, 1);
  EXPECT_NEAR(*BgNbdLogLikelihood(ones, Tiny({0}, {0}, {2})), -std::log(3.0),
              1e-14);
  EXPECT_NEAR(*BgNbdLogLikelihood(ones, Tiny({1}, {1}, {2})),
              std::log(13.0 / 72.0), 1e-14);
  EXPECT_NEAR(*BgNbdLogLikelihood(ones, Tiny({0, 1}, {0, 1}, {2, 2})),
              std::log(13.0 / 72.0) - std::log(3.0), 1e-14);
  // r = 2, alpha = 3, a = 0.5, b = 4; x = 2, t_x = 1, T = 5:
  //   A1 = lgamma(4) - lgamma(2) + 2 log 3 = log 6 + 2 log 3 = log 54;
  //   A2 = lgamma(4.5) + lgamma(6) - lgamma(4) - lgamma(6.5)
  //      = log(120 / 6) + log(Gamma(4.5) / Gamma(6.5)) = log 20 - log(5.5 *
  //      4.5) = log(20 / 24.75);
  //   A3 = -4 log 8; A4 = log 0.5 - log 5 - 4 log 4 = log(0.1 / 256);
  //   ll = log 54 + log(20 / 24.75) + log(8^-4 + 0.1 / 256).
  const double expected = std::log(54.0) + std::log(20 / 24.75) +
                          std::log(std::pow(8.0, -4) + 0.1 / 256);
  EXPECT_NEAR(*BgNbdLogLikelihood(Bg(2, 3, 0.5, 4), Tiny({2}, {1}, {5})),
              expected, 1e-13);
}

TEST(GammaGammaLogLikelihood, MatchesHandComputedTinyCases) {
  v1::GammaGammaModel gg;
  gg.set_p(1);
  gg.set_q(1);
  gg.set_v(1);
  // x = 1, m = 2: lgamma(2) - lgamma(1) - lgamma(1) + log 1 + 0 * log 2
  //   + 1 * log 1 - 2 log(1 * 2 + 1) = -2 log 3.
  EXPECT_NEAR(*GammaGammaLogLikelihood(gg, Tiny({1}, {1}, {2}, {2})),
              -2 * std::log(3.0), 1e-14);
  // The customer with x = 0 does not count.
  EXPECT_NEAR(
      *GammaGammaLogLikelihood(gg, Tiny({1, 0}, {1, 0}, {2, 3}, {2, 0})),
      -2 * std::log(3.0), 1e-14);
  // p = 2, q = 3, v = 4; x = 2, m = 5: lgamma(7) - lgamma(4) - lgamma(3)
  //   + 3 log 4 + 3 log 5 + 4 log 2 - 7 log 14
  //   = log(720 / 12) + log(64 * 125 * 16) - 7 log 14.
  gg.set_p(2);
  gg.set_q(3);
  gg.set_v(4);
  EXPECT_NEAR(*GammaGammaLogLikelihood(gg, Tiny({2}, {1}, {2}, {5})),
              std::log(60.0 * 64 * 125 * 16) - 7 * std::log(14.0), 1e-12);
}

// ---- CDNOW
// --------------------------------------------------------------------

TEST(FitBgNbd, ReproducesThePublishedCdnowParameters) {
  SKIP_WITHOUT(CdnowFile("cdnow_customers_summary.csv"));
  const RfmSummaries rfm =
      ReadSummaryCsv(CdnowFile("cdnow_customers_summary.csv"));
  ASSERT_EQ(rfm.size(), 2357u);
  absl::StatusOr<v1::BgNbdModel> m = FitBgNbd(rfm);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->converged());
  EXPECT_EQ(m->num_customers(), 2357);
  EXPECT_EQ(m->time_unit(), v1::CLV_WEEKS);
  // Published (lifetimes' quickstart), within 0.5%; we hold 1e-5.
  const v1::BgNbdModel pub = Published();
  EXPECT_NEAR(m->r() / pub.r(), 1, 1e-5);
  EXPECT_NEAR(m->alpha() / pub.alpha(), 1, 1e-5);
  EXPECT_NEAR(m->a() / pub.a(), 1, 1e-5);
  EXPECT_NEAR(m->b() / pub.b(), 1, 1e-5);
  // The scipy fit of the same likelihood.
  const pb::Value& ref = Fixture("bgnbd_cdnow");
  EXPECT_NEAR(m->r() / Num(ref, "r"), 1, 1e-6);
  EXPECT_NEAR(m->alpha() / Num(ref, "alpha"), 1, 1e-6);
  EXPECT_NEAR(m->a() / Num(ref, "a"), 1, 1e-6);
  EXPECT_NEAR(m->b() / Num(ref, "b"), 1, 1e-6);
  EXPECT_NEAR(m->log_likelihood(), Num(ref, "log_likelihood"), 1e-7);
  EXPECT_GE(m->log_likelihood(), Num(ref, "log_likelihood") - 1e-9);
  // The likelihood itself at the published parameters.
  EXPECT_NEAR(*BgNbdLogLikelihood(pub, rfm), Num(ref, "ll_at_published"), 1e-8);
}

TEST(FitBgNbd, PenalizerMatchesTheLifetimesObjective) {
  SKIP_WITHOUT(CdnowFile("cdnow_customers_summary.csv"));
  const RfmSummaries rfm =
      ReadSummaryCsv(CdnowFile("cdnow_customers_summary.csv"));
  const pb::Value& ref = Fixture("bgnbd_cdnow_penalized");
  v1::ClvFitOptions o;
  o.set_penalizer_coef(Num(ref, "penalizer"));
  absl::StatusOr<v1::BgNbdModel> m = FitBgNbd(rfm, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->r() / Num(ref, "r"), 1, 1e-5);
  EXPECT_NEAR(m->alpha() / Num(ref, "alpha"), 1, 1e-5);
  EXPECT_NEAR(m->a() / Num(ref, "a"), 1, 1e-5);
  EXPECT_NEAR(m->b() / Num(ref, "b"), 1, 1e-5);
  EXPECT_DOUBLE_EQ(m->penalizer_coef(), 0.01);
}

TEST(FitGammaGamma, ReproducesThePublishedCdnowParameters) {
  SKIP_WITHOUT(CdnowFile("cdnow_customers_summary_with_transactions.csv"));
  const RfmSummaries rfm = ReadSummaryCsv(
      CdnowFile("cdnow_customers_summary_with_transactions.csv"));
  absl::StatusOr<v1::GammaGammaModel> m = FitGammaGamma(rfm);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->num_customers(), 946);
  EXPECT_EQ(m->num_skipped(), 2357 - 946);
  EXPECT_TRUE(m->converged());
  // Published: p ~ 6.25, q ~ 3.74, v ~ 15.45 (to their printed digits).
  EXPECT_NEAR(m->p(), 6.25, 0.005);
  EXPECT_NEAR(m->q(), 3.74, 0.005);
  EXPECT_NEAR(m->v(), 15.45, 0.005);
  const pb::Value& ref = Fixture("gamma_gamma_cdnow");
  EXPECT_NEAR(m->p() / Num(ref, "p"), 1, 1e-6);
  EXPECT_NEAR(m->q() / Num(ref, "q"), 1, 1e-6);
  EXPECT_NEAR(m->v() / Num(ref, "v"), 1, 1e-6);
  EXPECT_NEAR(m->log_likelihood(), Num(ref, "log_likelihood"), 1e-7);

  // A repeat buyer who returned everything (monetary 0) is left out: the
  // same fit, one more skipped.
  RfmSummaries refunded = rfm;
  refunded.customer_ids.push_back("refunded");
  refunded.frequency.push_back(3);
  refunded.recency.push_back(20);
  refunded.age.push_back(30);
  refunded.monetary.push_back(0);
  absl::StatusOr<v1::GammaGammaModel> same = FitGammaGamma(refunded);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->num_customers(), 946);
  EXPECT_EQ(same->num_skipped(), 2357 - 946 + 1);
  EXPECT_DOUBLE_EQ(same->p(), m->p());
  EXPECT_DOUBLE_EQ(same->log_likelihood(), m->log_likelihood());
}

TEST(PredictClv, MatchesLifetimesFormulasOnCdnow) {
  SKIP_WITHOUT(CdnowFile("cdnow_customers_summary.csv"));
  const RfmSummaries rfm =
      ReadSummaryCsv(CdnowFile("cdnow_customers_summary.csv"));
  const v1::BgNbdModel pub = Published();
  for (const pb::Value& p : Fixture("predictions").list_value().values()) {
    const size_t i = static_cast<size_t>(Num(p, "index"));
    absl::StatusOr<double> e = ExpectedPurchases(
        pub, rfm.frequency[i], rfm.recency[i], rfm.age[i], Num(p, "t"));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_NEAR(*e, Num(p, "expected"), 1e-11 * (1 + Num(p, "expected")))
        << "customer " << i << " t " << Num(p, "t");
    EXPECT_NEAR(
        ProbabilityAlive(pub, rfm.frequency[i], rfm.recency[i], rfm.age[i]),
        Num(p, "p_alive"), 1e-13);
  }
  const pb::Value& gg_ref = Fixture("gamma_gamma_cdnow");
  v1::GammaGammaModel gg;
  gg.set_p(Num(gg_ref, "p"));
  gg.set_q(Num(gg_ref, "q"));
  gg.set_v(Num(gg_ref, "v"));
  for (const pb::Value& s : Fixture("expected_spend").list_value().values()) {
    EXPECT_NEAR(ExpectedSpend(gg, Num(s, "x"), Num(s, "m")), Num(s, "value"),
                1e-11);
  }
}

TEST(ExpectedPurchases, IsContinuousAcrossTheSingularityAtAEqualsOne) {
  // lifetimes' formula divides by a - 1; the value there is the limit.
  const double ref = Fixture("expected_near_a1").number_value();
  for (double a : {1.0, 1.0 + 1e-6, 1.0 - 1e-9}) {
    absl::StatusOr<double> e =
        ExpectedPurchases(Bg(0.3, 2.0, a, 3.0), 2, 5, 20, 10);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_NEAR(*e, ref, 1e-6 * ref) << "a = " << a;
  }
  // a + b + x - 1 = 0 (x = 0, a + b = 1) is removable as well.
  absl::StatusOr<double> e0 =
      ExpectedPurchases(Bg(0.3, 2.0, 0.4, 0.6), 0, 0, 20, 10);
  absl::StatusOr<double> e1 =
      ExpectedPurchases(Bg(0.3, 2.0, 0.4, 0.6001), 0, 0, 20, 10);
  ASSERT_TRUE(e0.ok() && e1.ok());
  EXPECT_NEAR(*e0, *e1, 1e-3 * *e1);
}

TEST(ComputeRfmSummaries, ReproducesTheCdnowSummaryFiles) {
  SKIP_WITHOUT(CdnowFile("CDNOW_sample.txt"));
  SKIP_WITHOUT(CdnowFile("cdnow_customers_summary_with_transactions.csv"));
  v1::LoadOptions o;
  ASSERT_TRUE(
      ReadConfigFile(
          testing::SourceDir() + "/configs/mappings/cdnow_sample.textproto", &o)
          .ok());
  o.set_base_dir(testing::SharedDataDir());
  o.mutable_validation()->set_policy(v1::STRICT);
  absl::StatusOr<LoadResult> loaded = LoadDataset(o);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // lifetimes' observation_period_end 1997-09-30 (inclusive) is as_of
  // 1997-10-01 (exclusive); weeks are days / 7.
  v1::RfmOptions options;
  options.set_time_unit(v1::CLV_WEEKS);
  absl::StatusOr<RfmSummaries> ours =
      ComputeRfmSummaries(loaded->dataset, *ParseTime("1997-10-01"), options);
  ASSERT_TRUE(ours.ok()) << ours.status();
  const RfmSummaries file = ReadSummaryCsv(
      CdnowFile("cdnow_customers_summary_with_transactions.csv"));
  ASSERT_EQ(ours->size(), file.size());
  EXPECT_EQ(ours->customers_without_orders, 0);
  const RfmSummaries plain =
      ReadSummaryCsv(CdnowFile("cdnow_customers_summary.csv"));
  for (size_t i = 0; i < ours->size(); ++i) {
    int id = 0;
    ASSERT_TRUE(absl::SimpleAtoi(ours->customer_ids[i], &id));
    const size_t k = static_cast<size_t>(id - 1);  // the files' ID order
    ASSERT_EQ(file.customer_ids[k], std::to_string(id));
    EXPECT_EQ(ours->frequency[i], file.frequency[k]) << id;
    EXPECT_EQ(std::round(ours->recency[i] * 100) / 100, plain.recency[k]) << id;
    EXPECT_EQ(std::round(ours->age[i] * 100) / 100, plain.age[k]) << id;
    // Printed to 2 decimals; ties of the third may round either way.
    EXPECT_NEAR(ours->monetary[i], file.monetary[k], 0.005 + 1e-9) << id;
  }
  // And the fit on our unrounded summaries stays within 0.5% of the
  // published parameters (fitted on the rounded file).
  absl::StatusOr<v1::BgNbdModel> m = FitBgNbd(*ours);
  ASSERT_TRUE(m.ok()) << m.status();
  const v1::BgNbdModel pub = Published();
  EXPECT_NEAR(m->r() / pub.r(), 1, 0.005);
  EXPECT_NEAR(m->alpha() / pub.alpha(), 1, 0.005);
  EXPECT_NEAR(m->a() / pub.a(), 1, 0.005);
  EXPECT_NEAR(m->b() / pub.b(), 1, 0.005);
}

// ---- Summaries of a small data set
// ---------------------------------------------

Dataset SmallOrders() {
  DatasetBuilder builder;
  builder.set_implicit_customers(true);
  auto add = [&](const char* id, const char* when, double amount,
                 v1::EventKind kind = v1::ORDER) {
    EventInput e;
    e.customer_id = id;
    e.kind = kind;
    e.time = *ParseTime(when);
    e.amount = amount;
    e.value = 1;
    EXPECT_TRUE(builder.AddEvent(e, {"test", 1}).ok());
  };
  // c1: first day two orders (10 + 5), then 2024-01-08 (20) and two on
  // 2024-01-15 (30 + 10); one after as_of (ignored).
  add("c1", "2024-01-01T09:00:00", 10);
  add("c1", "2024-01-01T17:00:00", 5);
  add("c1", "2024-01-08", 20);
  add("c1", "2024-01-15T08:00:00", 30);
  add("c1", "2024-01-15T20:00:00", 10);
  add("c1", "2024-03-01", 99);
  // c2: a single order. c3: only a login (no order). c4: orders only after.
  add("c2", "2024-01-20", 50);
  add("c3", "2024-01-02", 0, v1::LOGIN);
  add("c4", "2024-02-10", 10);
  absl::StatusOr<Dataset> ds = builder.Build();
  EXPECT_TRUE(ds.ok()) << ds.status();
  return std::move(*ds);
}

TEST(ComputeRfmSummaries, MergesSameDayOrdersAndSkipsCustomersWithout) {
  const Dataset ds = SmallOrders();
  const UnixSeconds as_of = *ParseTime("2024-02-01");  // last day: Jan 31
  absl::StatusOr<RfmSummaries> s = ComputeRfmSummaries(ds, as_of);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ(s->customers_without_orders, 2);  // c3 (login only), c4 (later)
  EXPECT_EQ(s->time_unit, v1::CLV_DAYS);
  EXPECT_EQ(s->customer_ids, (std::vector<std::string>{"c1", "c2"}));
  // c1: purchases on Jan 1, 8, 15 -> x = 2, t_x = 14, T = 30 days; repeat
  // values 20 and 40 -> monetary 30.
  EXPECT_EQ(s->frequency[0], 2);
  EXPECT_EQ(s->recency[0], 14);
  EXPECT_EQ(s->age[0], 30);
  EXPECT_EQ(s->monetary[0], 30);
  // c2: x = 0, T = 11 days (Jan 20 .. Jan 31).
  EXPECT_EQ(s->frequency[1], 0);
  EXPECT_EQ(s->recency[1], 0);
  EXPECT_EQ(s->age[1], 11);
  EXPECT_EQ(s->monetary[1], 0);
  EXPECT_TRUE(ValidateRfmSummaries(*s, true).ok());

  v1::RfmSummaries proto = ToProto(*s, as_of);
  ASSERT_EQ(proto.customers_size(), 2);
  EXPECT_EQ(proto.customers(0).customer_id(), "c1");
  EXPECT_EQ(proto.customers(0).monetary(), 30);
  EXPECT_EQ(proto.customers_without_orders(), 2);
}

TEST(ComputeRfmSummaries, KeepsSameDayOrdersAndUsesValuesWhenAsked) {
  const Dataset ds = SmallOrders();
  v1::RfmOptions o;
  o.set_keep_same_day_orders(true);
  o.set_amount_source(v1::CLV_EVENT_VALUE);
  o.set_time_unit(v1::CLV_WEEKS);
  absl::StatusOr<RfmSummaries> s =
      ComputeRfmSummaries(ds, *ParseTime("2024-02-01"), o);
  ASSERT_TRUE(s.ok()) << s.status();
  // c1: 5 orders -> x = 4; t_x from Jan 1 09:00 to Jan 15 20:00; T to as_of.
  EXPECT_EQ(s->frequency[0], 4);
  EXPECT_NEAR(s->recency[0], (14 + 11.0 / 24) / 7, 1e-12);
  EXPECT_NEAR(s->age[0], (31 - 9.0 / 24) / 7, 1e-12);
  EXPECT_EQ(s->monetary[0], 1);  // every value is 1
}

TEST(ComputeRfmSummaries, RejectsBadOptions) {
  const Dataset ds = SmallOrders();
  EXPECT_EQ(ComputeRfmSummaries(ds, kNoTime).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::RfmOptions o;
  o.set_time_unit(static_cast<v1::ClvTimeUnit>(9));
  absl::Status s = ComputeRfmSummaries(ds, 0, o).status();
  EXPECT_THAT(s.message(), HasSubstr("time_unit"));
}

TEST(ComputeRfmSummaries, EmptyDataSetGivesNoSummariesAndFitsFailClearly) {
  DatasetBuilder builder;
  absl::StatusOr<Dataset> ds = builder.Build();
  ASSERT_TRUE(ds.ok());
  absl::StatusOr<RfmSummaries> s = ComputeRfmSummaries(*ds, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 0u);
  absl::Status fit = FitBgNbd(*s).status();
  EXPECT_EQ(fit.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fit.message(), HasSubstr("no customers"));
}

// ---- Bad input
// -------------------------------------------------------------------

TEST(ValidateRfmSummaries, NamesTheCustomerAndField) {
  RfmSummaries r = Tiny({1, 2}, {3, 50}, {10, 40});
  r.customer_ids = {"a", "b"};
  absl::Status s = ValidateRfmSummaries(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("customer 'b' (index 1)"));
  EXPECT_THAT(s.message(), HasSubstr("recency 50 > age 40"));

  EXPECT_THAT(ValidateRfmSummaries(Tiny({1}, {0}, {5})).message(),
              HasSubstr("frequency 1 with recency 0"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({0}, {2}, {5})).message(),
              HasSubstr("recency 2 with frequency 0"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({-1}, {0}, {5})).message(),
              HasSubstr("customer 0: frequency -1"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({1.5}, {1}, {5})).message(),
              HasSubstr("not a whole number"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({1}, {NAN}, {5})).message(),
              HasSubstr("recency nan"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({1}, {1}, {INFINITY})).message(),
              HasSubstr("age inf"));
  // A repeat buyer who returned everything: valid, left out of the fit.
  EXPECT_TRUE(ValidateRfmSummaries(Tiny({1}, {1}, {5}, {0}), true).ok());
  EXPECT_THAT(FitGammaGamma(Tiny({1}, {1}, {5}, {0})).status().message(),
              HasSubstr("with spend left after returns"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({1}, {1}, {5}, {-2})).message(),
              HasSubstr("monetary -2"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({1}, {1}, {5}, {1, 2})).message(),
              HasSubstr("monetary has 2 values"));
  RfmSummaries uneven = Tiny({1}, {1}, {5});
  uneven.age.push_back(3);
  EXPECT_THAT(ValidateRfmSummaries(uneven).message(),
              HasSubstr("different lengths"));
  EXPECT_THAT(ValidateRfmSummaries(Tiny({1}, {1}, {5}), true).message(),
              HasSubstr("monetary values are needed"));
}

TEST(FitBgNbd, FailsClearlyOnDegenerateData) {
  // No repeat buyer: r -> 0 without bound.
  absl::Status none = FitBgNbd(Tiny({0, 0, 0}, {0, 0, 0}, {5, 6, 7})).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.message(), HasSubstr("no customer has a repeat purchase"));
  // A single customer: no interior maximum; a clear error, never NaN.
  absl::StatusOr<v1::BgNbdModel> one = FitBgNbd(Tiny({2}, {4}, {10}));
  if (one.ok()) {
    EXPECT_TRUE(std::isfinite(one->r()) &&
                std::isfinite(one->log_likelihood()));
  } else {
    EXPECT_EQ(one.status().code(), absl::StatusCode::kFailedPrecondition);
  }
  // With a penalizer the same data fit to finite parameters.
  v1::ClvFitOptions o;
  o.set_penalizer_coef(0.1);
  absl::StatusOr<v1::BgNbdModel> pen = FitBgNbd(Tiny({2}, {4}, {10}), o);
  ASSERT_TRUE(pen.ok()) << pen.status();
  EXPECT_TRUE(std::isfinite(pen->r()) && std::isfinite(pen->b()));
  // Invalid summaries and options.
  EXPECT_THAT(FitBgNbd(Tiny({1}, {6}, {5})).status().message(),
              HasSubstr("recency 6 > age 5"));
  o.set_penalizer_coef(-1);
  EXPECT_THAT(FitBgNbd(Tiny({1}, {1}, {5}), o).status().message(),
              HasSubstr("penalizer_coef"));
  o.set_penalizer_coef(0);
  o.set_tolerance(2);
  EXPECT_THAT(FitBgNbd(Tiny({1}, {1}, {5}), o).status().message(),
              HasSubstr("tolerance"));
}

TEST(FitBgNbd, ReportsNonConvergenceUnlessAllowed) {
  SKIP_WITHOUT(CdnowFile("cdnow_customers_summary.csv"));
  const RfmSummaries rfm =
      ReadSummaryCsv(CdnowFile("cdnow_customers_summary.csv"));
  v1::ClvFitOptions o;
  o.set_max_iterations(2);
  EXPECT_EQ(FitBgNbd(rfm, o).status().code(),
            absl::StatusCode::kFailedPrecondition);
  o.set_allow_not_converged(true);
  absl::StatusOr<v1::BgNbdModel> m = FitBgNbd(rfm, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->converged());
  EXPECT_EQ(m->iterations(), 2);
}

TEST(FitGammaGamma, RejectsNegativeSpendAndNoRepeatBuyers) {
  RfmSummaries r = Tiny({1, 2}, {1, 2}, {5, 5}, {10, -1});
  r.customer_ids = {"x1", "x2"};
  absl::Status s = FitGammaGamma(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("customer 'x2'"));
  EXPECT_THAT(FitGammaGamma(Tiny({0}, {0}, {5}, {0})).status().message(),
              HasSubstr("no customer has a repeat purchase"));
  EXPECT_THAT(FitGammaGamma(Tiny({1}, {1}, {5})).status().message(),
              HasSubstr("monetary values are needed"));
}

// ---- PredictClv
// --------------------------------------------------------------------

TEST(PredictClv, CombinesPurchasesSpendAndMargin) {
  const RfmSummaries rfm =
      Tiny({0, 1, 5}, {0, 3, 30}, {39, 20, 39}, {0, 12, 40});
  v1::GammaGammaModel gg;
  gg.set_p(6);
  gg.set_q(4);
  gg.set_v(15);
  v1::ClvPredictOptions o;
  o.set_horizon(52);
  o.set_margin(0.3);
  absl::StatusOr<ClvPredictions> p = PredictClv(rfm, Published(), &gg, o);
  ASSERT_TRUE(p.ok()) << p.status();
  for (size_t i = 0; i < rfm.size(); ++i) {
    EXPECT_DOUBLE_EQ(p->p_alive[i],
                     ProbabilityAlive(Published(), rfm.frequency[i],
                                      rfm.recency[i], rfm.age[i]));
    EXPECT_DOUBLE_EQ(p->expected_spend[i],
                     ExpectedSpend(gg, rfm.frequency[i], rfm.monetary[i]));
    EXPECT_DOUBLE_EQ(p->clv[i],
                     p->expected_purchases[i] * p->expected_spend[i] * 0.3);
  }
  EXPECT_EQ(p->p_alive[0], 1.0);
  EXPECT_DOUBLE_EQ(p->expected_spend[0], 15.0 * 6 / 3);  // population mean
  const v1::CustomerClv row = CustomerClvRow(rfm, *p, 2);
  EXPECT_EQ(row.frequency(), 5);
  EXPECT_EQ(row.clv(), p->clv[2]);

  // Discounting: one period of the whole horizon divides by (1 + d).
  v1::ClvPredictOptions d = o;
  d.set_discount_rate(0.1);
  d.set_discount_period(52);
  absl::StatusOr<ClvPredictions> one = PredictClv(rfm, Published(), &gg, d);
  ASSERT_TRUE(one.ok()) << one.status();
  for (size_t i = 0; i < rfm.size(); ++i) {
    EXPECT_NEAR(one->clv[i], p->clv[i] / 1.1, 1e-12 * p->clv[i]);
  }
  // Twelve periods at the same rate: between the whole value discounted
  // once and discounted twelve times.
  d.set_discount_period(52.0 / 12);
  absl::StatusOr<ClvPredictions> monthly = PredictClv(rfm, Published(), &gg, d);
  ASSERT_TRUE(monthly.ok()) << monthly.status();
  for (size_t i = 0; i < rfm.size(); ++i) {
    EXPECT_LT(monthly->clv[i], one->clv[i]);
    EXPECT_GT(monthly->clv[i], p->clv[i] / std::pow(1.1, 12));
  }
  // Without a spend model, spend and CLV are 0.
  absl::StatusOr<ClvPredictions> no_spend =
      PredictClv(rfm, Published(), nullptr, o);
  ASSERT_TRUE(no_spend.ok());
  EXPECT_EQ(no_spend->clv[1], 0);
}

TEST(PredictClv, RejectsBadModelsAndOptions) {
  const RfmSummaries rfm = Tiny({1}, {3}, {20}, {12});
  v1::ClvPredictOptions o;
  EXPECT_THAT(PredictClv(rfm, Published(), nullptr, o).status().message(),
              HasSubstr("horizon"));
  o.set_horizon(10);
  EXPECT_THAT(PredictClv(rfm, Bg(0.2, -1, 1, 1), nullptr, o).status().message(),
              HasSubstr("alpha"));
  EXPECT_THAT(PredictClv(rfm, Bg(NAN, 1, 1, 1), nullptr, o).status().message(),
              HasSubstr("r: must be finite"));
  v1::GammaGammaModel gg;
  gg.set_p(1);
  gg.set_q(0.5);
  gg.set_v(1);
  EXPECT_EQ(PredictClv(rfm, Published(), &gg, o).status().code(),
            absl::StatusCode::kFailedPrecondition);
  o.set_margin(0);
  EXPECT_THAT(PredictClv(rfm, Published(), nullptr, o).status().message(),
              HasSubstr("margin"));
  o.clear_margin();
  o.set_discount_rate(0.1);
  EXPECT_THAT(PredictClv(rfm, Published(), nullptr, o).status().message(),
              HasSubstr("discount_period"));
  // A horizon far beyond the time scale: a clear error, never NaN.
  v1::ClvPredictOptions far;
  far.set_horizon(1e12);
  RfmSummaries named = rfm;
  named.customer_ids = {"zz"};
  absl::Status s = PredictClv(named, Published(), nullptr, far).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("customer 'zz'"));
}

// ---- Pattern summaries
// ------------------------------------------------------------

// Deterministic summaries shaped like day-granular data in weeks: many
// customers share a pattern (one-time buyers of a cohort, spend rounded).
RfmSummaries Synthetic(size_t n) {
  RfmSummaries rfm;
  rfm.time_unit = v1::CLV_WEEKS;
  uint64_t state = 12345;
  auto next = [&](uint64_t mod) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % mod;
  };
  for (size_t i = 0; i < n; ++i) {
    const double age_days = 100 + static_cast<double>(next(170));
    const double x = next(3) == 0 ? static_cast<double>(next(9)) : 0;
    const double tx_days =
        x > 0 ? 1 + static_cast<double>(next(static_cast<uint64_t>(age_days)))
              : 0;
    rfm.customer_ids.push_back(absl::StrCat("c", i));
    rfm.frequency.push_back(x);
    rfm.recency.push_back(tx_days / 7);
    rfm.age.push_back(age_days / 7);
    rfm.monetary.push_back(x > 0 ? 5 + static_cast<double>(next(40)) : 0);
  }
  return rfm;
}

// Customers i with i % parts == k, for each k.
std::vector<RfmSummaries> Split(const RfmSummaries& rfm, size_t parts) {
  std::vector<RfmSummaries> out(parts);
  for (RfmSummaries& p : out) p.time_unit = rfm.time_unit;
  for (size_t i = 0; i < rfm.size(); ++i) {
    RfmSummaries& p = out[(i * 7 + i / 5) % parts];
    p.customer_ids.push_back(rfm.customer_ids[i]);
    p.frequency.push_back(rfm.frequency[i]);
    p.recency.push_back(rfm.recency[i]);
    p.age.push_back(rfm.age[i]);
    if (!rfm.monetary.empty()) p.monetary.push_back(rfm.monetary[i]);
  }
  return out;
}

std::vector<v1::RfmPatterns> PatternsOf(const std::vector<RfmSummaries>& s) {
  std::vector<v1::RfmPatterns> out;
  for (const RfmSummaries& p : s) out.push_back(*SummarizeRfmPatterns(p));
  return out;
}

std::string Bytes(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(m.SerializeToString(&out));
  return out;
}

TEST(RfmPatterns, MergeInAnyOrderGivesTheWholesBytes) {
  const RfmSummaries rfm = Synthetic(3000);
  absl::StatusOr<v1::RfmPatterns> whole = SummarizeRfmPatterns(rfm);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_TRUE(ValidateRfmPatterns(*whole).ok());
  EXPECT_TRUE(whole->has_monetary());
  EXPECT_LT(whole->frequency_size(), 3000);  // patterns repeat
  int64_t customers = 0;
  for (int64_t c : whole->customers()) customers += c;
  EXPECT_EQ(customers, 3000);

  std::vector<v1::RfmPatterns> parts = PatternsOf(Split(rfm, 4));
  const std::string forward = Bytes(*MergeRfmPatterns(parts));
  std::reverse(parts.begin(), parts.end());
  EXPECT_EQ(Bytes(*MergeRfmPatterns(parts)), forward);
  std::rotate(parts.begin(), parts.begin() + 1, parts.end());
  EXPECT_EQ(Bytes(*MergeRfmPatterns(parts)), forward);
  // Nested merges (a tree of workers) and an empty partition.
  const v1::RfmPatterns left = *MergeRfmPatterns({parts[0], parts[1]});
  const v1::RfmPatterns right = *MergeRfmPatterns({parts[2], parts[3]});
  const v1::RfmPatterns empty =
      *SummarizeRfmPatterns(RfmSummaries{.time_unit = v1::CLV_WEEKS});
  EXPECT_FALSE(empty.has_monetary());
  EXPECT_EQ(Bytes(*MergeRfmPatterns({right, empty, left})), forward);
  EXPECT_EQ(forward, Bytes(*whole));
}

TEST(RfmPatterns, FitFromMergedPatternsEqualsTheSingleProcessFit) {
  RfmSummaries rfm = Synthetic(3000);
  std::vector<v1::RfmPatterns> parts = PatternsOf(Split(rfm, 3));
  std::swap(parts[0], parts[2]);
  absl::StatusOr<v1::RfmPatterns> merged = MergeRfmPatterns(parts);
  ASSERT_TRUE(merged.ok()) << merged.status();
  v1::ClvFitOptions options;
  options.set_penalizer_coef(0.001);
  absl::StatusOr<v1::ClvModel> single = FitClv(rfm, options);
  ASSERT_TRUE(single.ok()) << single.status();
  absl::StatusOr<v1::ClvModel> distributed = FitClv(*merged, options);
  ASSERT_TRUE(distributed.ok()) << distributed.status();
  // Bit for bit: the same patterns, the same code.
  EXPECT_EQ(Bytes(*distributed), Bytes(*single));
  EXPECT_EQ(distributed->bg_nbd().num_customers(), 3000);
  EXPECT_EQ(distributed->bg_nbd().time_unit(), v1::CLV_WEEKS);
  EXPECT_EQ(distributed->gamma_gamma().num_customers() +
                distributed->gamma_gamma().num_skipped(),
            3000);

  // On CDNOW, too, where the fits reproduce the published parameters.
  const std::string file =
      CdnowFile("cdnow_customers_summary_with_transactions.csv");
  if (!std::filesystem::exists(file)) return;
  rfm = ReadSummaryCsv(file);
  absl::StatusOr<v1::ClvModel> cdnow = FitClv(rfm);
  ASSERT_TRUE(cdnow.ok()) << cdnow.status();
  absl::StatusOr<v1::ClvModel> merged_cdnow =
      FitClv(*MergeRfmPatterns(PatternsOf(Split(rfm, 5))));
  ASSERT_TRUE(merged_cdnow.ok()) << merged_cdnow.status();
  EXPECT_EQ(Bytes(*merged_cdnow), Bytes(*cdnow));
  EXPECT_NEAR(merged_cdnow->bg_nbd().r() / Published().r(), 1, 1e-5);
  EXPECT_EQ(merged_cdnow->gamma_gamma().num_customers(), 946);
}

TEST(RfmPatterns, BgNbdOnlyWithoutMonetary) {
  RfmSummaries rfm = Synthetic(500);
  rfm.monetary.clear();
  absl::StatusOr<v1::RfmPatterns> p = SummarizeRfmPatterns(rfm);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->has_monetary());
  EXPECT_EQ(p->spend_frequency_size(), 0);
  v1::ClvFitOptions options;
  options.set_penalizer_coef(0.001);
  absl::StatusOr<v1::ClvModel> m = FitClv(*p, options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->has_gamma_gamma());
  EXPECT_THAT(FitGammaGamma(*p).status().message(),
              HasSubstr("monetary values are needed"));
}

TEST(RfmPatterns, RejectsBadPatternsAndMismatchedParts) {
  const v1::RfmPatterns good = *SummarizeRfmPatterns(Synthetic(200));
  auto message = [](const v1::RfmPatterns& p) {
    return std::string(ValidateRfmPatterns(p).message());
  };
  v1::RfmPatterns p = good;
  p.set_customers(1, -3);
  EXPECT_THAT(message(p),
              HasSubstr("patterns: purchases[1]: customers -3 < 1"));
  p = good;
  p.set_customers(0, int64_t{1} << 53);
  EXPECT_THAT(message(p), HasSubstr("more than 2^53"));
  p = good;
  p.add_age(3);
  EXPECT_THAT(message(p), HasSubstr("different lengths"));
  p = good;
  p.set_recency(p.frequency_size() - 1, 1e9);
  EXPECT_THAT(message(p), HasSubstr("> age"));
  p = good;
  p.mutable_frequency()->SwapElements(0, 1);  // two whole patterns
  p.mutable_recency()->SwapElements(0, 1);
  p.mutable_age()->SwapElements(0, 1);
  EXPECT_THAT(message(p), HasSubstr("canonical order"));
  p = good;
  p.set_spend_monetary(0, -1);
  EXPECT_THAT(message(p), HasSubstr("spend[0]: monetary -1"));
  p = good;
  p.set_spend_customers(0, 1000000);
  EXPECT_THAT(message(p), HasSubstr("more than the 200 in all"));
  p = good;
  p.set_has_monetary(false);
  EXPECT_THAT(message(p), HasSubstr("spend patterns without has_monetary"));
  p = good;
  p.set_time_unit(static_cast<v1::ClvTimeUnit>(77));
  EXPECT_THAT(message(p), HasSubstr("time_unit 77"));
  // A fit refuses invalid patterns before fitting.
  p = good;
  p.set_customers(0, 0);
  EXPECT_EQ(FitClv(p).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FitBgNbd(v1::RfmPatterns()).status().message(),
              HasSubstr("no customers"));

  // Merging: no parts, a bad part named, mismatched units and monetary.
  EXPECT_THAT(MergeRfmPatterns({}).status().message(), HasSubstr("parts"));
  p = good;
  p.set_customers(0, 0);
  EXPECT_THAT(MergeRfmPatterns({good, p}).status().message(),
              HasSubstr("parts[1]: purchases[0]: customers 0 < 1"));
  p = good;
  p.set_time_unit(v1::CLV_DAYS);
  EXPECT_THAT(MergeRfmPatterns({good, p}).status().message(),
              HasSubstr("parts[1]: time_unit CLV_DAYS differs from parts[0]'s "
                        "CLV_WEEKS"));
  RfmSummaries no_money = Synthetic(50);
  no_money.monetary.clear();
  EXPECT_THAT(MergeRfmPatterns({good, *SummarizeRfmPatterns(no_money)})
                  .status()
                  .message(),
              HasSubstr("parts[1]: has_monetary false differs"));
  p = good;
  p.set_customers(0, (int64_t{1} << 53) - 199);
  EXPECT_THAT(MergeRfmPatterns({p, good}).status().message(),
              HasSubstr("more than 2^53 customers"));
  // Summaries are checked as ValidateRfmSummaries does, naming the customer.
  RfmSummaries bad = Synthetic(10);
  bad.age[4] = -1;
  EXPECT_THAT(SummarizeRfmPatterns(bad).status().message(),
              HasSubstr("customer 'c4' (index 4): age -1"));
  bad = Synthetic(10);
  bad.customers_without_orders = -1;
  EXPECT_THAT(SummarizeRfmPatterns(bad).status().message(),
              HasSubstr("customers_without_orders"));
}

}  // namespace
}  // namespace churnkit
