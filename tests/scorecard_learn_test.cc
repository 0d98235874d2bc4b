#include "churnkit/scorecard_learn.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/health.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

namespace pb = google::protobuf;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

v1::ScorecardLearnOptions Options(const std::string& text) {
  v1::ScorecardLearnOptions o;
  EXPECT_TRUE(ParseTextProto(text, &o).ok()) << text;
  return o;
}

struct Data {
  FeatureMatrix x;
  std::vector<uint8_t> y;
};

Data FromColumns(const std::vector<std::string>& names,
                 const std::vector<std::vector<double>>& rows,
                 std::vector<uint8_t> y) {
  Data d;
  d.x.columns = names;
  for (size_t i = 0; i < rows.size(); ++i) {
    d.x.values.insert(d.x.values.end(), rows[i].begin(), rows[i].end());
    d.x.customer_ids.push_back("c" + std::to_string(i));
  }
  d.y = std::move(y);
  return d;
}

// The synthetic case of tests/reference/scorecard_reference.py.
Data SyntheticRows() {
  Data d;
  d.x.columns = {"a", "b", "c"};
  for (int64_t i = 0; i < 3000; ++i) {
    const int64_t a = (i * 37) % 101;
    const bool b_missing = i % 11 == 0;
    const int64_t b = (i * 7) % 13;
    const int64_t c = (i * 53) % 7;
    const int64_t risk = a / 5 + (b_missing ? 8 : b) * 2;
    d.x.values.push_back(static_cast<double>(a));
    d.x.values.push_back(b_missing ? kNaN : static_cast<double>(b));
    d.x.values.push_back(static_cast<double>(c));
    d.x.customer_ids.push_back("s" + std::to_string(i));
    d.y.push_back((i * 7919 + 13) % 97 < 10 + risk ? 1 : 0);
  }
  return d;
}

// ---- The numpy reference ------------------------------------------------

const pb::Struct& Fixtures() {
  static const pb::Struct* fixtures = [] {
    auto* s = new pb::Struct;
    std::ifstream in(testing::SourceDir() +
                     "/tests/reference/scorecard_fixtures.json");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(pb::util::JsonStringToMessage(text.str(), s).ok())
        << "cannot read tests/reference/scorecard_fixtures.json";
    return s;
  }();
  return *fixtures;
}

std::vector<double> Numbers(const pb::Struct& s, const std::string& key) {
  std::vector<double> out;
  for (const pb::Value& v : s.fields().at(key).list_value().values()) {
    out.push_back(v.number_value());
  }
  return out;
}

// Learns `data` with the fixture's settings and compares every feature.
void ExpectMatchesReference(const Data& data, const std::string& name,
                            const v1::ScorecardLearnOptions& base) {
  ASSERT_TRUE(Fixtures().fields().contains("cases"));
  const pb::Struct& cases = Fixtures().fields().at("cases").struct_value();
  ASSERT_TRUE(cases.fields().contains(name)) << "no fixture case " << name;
  const pb::Struct& expected = cases.fields().at(name).struct_value();
  v1::ScorecardLearnOptions options = base;
  options.set_binning(v1::ScorecardLearnOptions::QUANTILE);
  options.set_max_bins(
      static_cast<int>(Fixtures().fields().at("bins").number_value()));
  options.set_woe_smoothing(
      Fixtures().fields().at("woe_smoothing").number_value());
  options.set_holdout_share(0);
  options.set_min_information_value(0);
  options.set_keep_wrong_sign(true);
  // Exact points: whole points would merge bins of equal points in the
  // report, which numpy's binning knows nothing of.
  options.set_round_points(false);
  options.set_cv_folds(0);
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(data.x, data.y, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  ASSERT_EQ(learned->report.features_size(),
            static_cast<int>(expected.fields().size()));
  for (const v1::LearnedFeature& f : learned->report.features()) {
    SCOPED_TRACE(f.feature());
    ASSERT_TRUE(expected.fields().contains(f.feature()));
    const pb::Struct& ref = expected.fields().at(f.feature()).struct_value();
    std::vector<double> cuts, counts, events, woe;
    for (const v1::ScorecardBin& b : f.bins()) {
      if (b.has_min()) cuts.push_back(b.min());
      // The reference lists the missing bin only when it holds rows.
      if (b.missing() && b.count() == 0) continue;
      counts.push_back(static_cast<double>(b.count()));
      events.push_back(static_cast<double>(b.events()));
      woe.push_back(b.woe());
    }
    EXPECT_EQ(cuts, Numbers(ref, "cuts"));
    EXPECT_EQ(counts, Numbers(ref, "counts"));
    EXPECT_EQ(events, Numbers(ref, "events"));
    const std::vector<double> ref_woe = Numbers(ref, "woe");
    ASSERT_EQ(woe.size(), ref_woe.size());
    for (size_t k = 0; k < woe.size(); ++k) {
      EXPECT_NEAR(woe[k], ref_woe[k], 1e-12) << "bin " << k;
    }
    EXPECT_NEAR(f.information_value(),
                ref.fields().at("information_value").number_value(), 1e-12);
    EXPECT_NEAR(f.auc(), ref.fields().at("auc").number_value(), 1e-12);
  }
}

TEST(LearnScorecard, WoeAndInformationValueMatchNumpyOnSyntheticData) {
  ExpectMatchesReference(SyntheticRows(), "synthetic", {});
}

TEST(LearnScorecard, WoeAndInformationValueMatchNumpyOnTelco) {
  const std::string path =
      testing::SharedDataDir() + "/telco/Telco-Customer-Churn.csv";
  absl::StatusOr<PlainTable> table = ReadPlainTable(path);
  if (!table.ok()) GTEST_SKIP() << "no Telco data: " << table.status();
  v1::TableOptions encode;
  encode.set_label_column("Churn");
  encode.set_positive_label("Yes");
  encode.set_id_column("customerID");
  absl::StatusOr<EncodedTable> e = EncodeTable(*table, encode);
  ASSERT_TRUE(e.ok()) << e.status();
  Data data{e->features, e->labels};
  ExpectMatchesReference(data, "telco", Options(R"pb(features: [
                                                       "SeniorCitizen",
                                                       "tenure",
                                                       "MonthlyCharges",
                                                       "TotalCharges"
                                                     ])pb"));
}

// ---- A generated CRM history --------------------------------------------

struct Panel {
  TrainingPanel panel;
  UnixSeconds last_date = kNoTime;
};

// 1,500 customers over 18 months; rows at three quarterly dates, labelled
// by churn within the following 90 days.
const Panel& GeneratedPanel() {
  static const Panel* panel = [] {
    auto* p = new Panel;
    v1::GeneratorConfig config;
    EXPECT_TRUE(ParseTextProto(R"pb(customers: 1500
                                    seed: 11
                                    start_date: "2024-01-01"
                                    end_date: "2025-06-30")pb",
                               &config)
                    .ok());
    absl::StatusOr<GeneratedData> data = GenerateInMemory(config);
    EXPECT_TRUE(data.ok()) << data.status();
    const FeatureEngine engine =
        FeatureEngine::Create(DefaultFeatureSet().value()).value();
    const ChurnLabeler labeler =
        ChurnLabeler::Create(DefaultChurnDefinition().value()).value();
    const std::vector<UnixSeconds> dates = {ParseTime("2024-09-01").value(),
                                            ParseTime("2024-12-01").value(),
                                            ParseTime("2025-03-01").value()};
    p->panel =
        BuildTrainingPanel(data->dataset, engine, labeler, dates, 90).value();
    p->last_date = dates.back();
    return p;
  }();
  return *panel;
}

TEST(LearnScorecard, HealthScorerGivesTheLearnersTotalsExactly) {
  const TrainingPanel& panel = GeneratedPanel().panel;
  for (bool round : {true, false}) {
    SCOPED_TRACE(round ? "rounded points" : "exact points");
    v1::ScorecardLearnOptions options;
    options.set_round_points(round);
    options.set_holdout_from(GeneratedPanel().last_date);
    absl::StatusOr<LearnedScorecard> learned =
        LearnScorecard(panel.features, panel.labels, options);
    ASSERT_TRUE(learned.ok()) << learned.status();
    absl::StatusOr<HealthScorer> scorer =
        HealthScorer::Create(learned->scorecard, panel.features.columns);
    ASSERT_TRUE(scorer.ok()) << scorer.status();
    ASSERT_EQ(learned->totals.size(), panel.features.num_rows());
    size_t fractional = 0;
    for (size_t i = 0; i < panel.features.num_rows(); ++i) {
      const HealthScore h = scorer->Score(panel.features.row(i));
      ASSERT_EQ(h.total, learned->totals[i]) << "row " << i;
      fractional += h.total != std::floor(h.total);
    }
    EXPECT_EQ(fractional == 0, round);
    // Every dimension is one feature with weight 1. Exact points list every
    // band and a missing band; whole points list no band worth 0 (those
    // are otherwise_points: 0).
    for (const v1::Dimension& d : learned->scorecard.dimensions()) {
      EXPECT_EQ(d.weight(), 1);
      ASSERT_EQ(d.criteria_size(), 1);
      const v1::Criterion& c = d.criteria(0);
      if (!round) {
        EXPECT_TRUE(c.bands().rbegin()->missing());
        EXPECT_FALSE(c.has_otherwise_points());
        continue;
      }
      for (const v1::Band& b : c.bands()) {
        EXPECT_NE(b.points(), 0) << c.feature() << " " << b.label();
      }
      if (c.has_otherwise_points()) {
        EXPECT_EQ(c.otherwise_points(), 0);
      }
    }
  }
}

TEST(LearnScorecard, MonotonicBinsHaveMonotonicChurnRates) {
  const TrainingPanel& panel = GeneratedPanel().panel;
  v1::ScorecardLearnOptions options =
      Options("min_information_value: 0 binning: MONOTONIC");
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(panel.features, panel.labels, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  ASSERT_GT(learned->report.features_size(), 3);
  const int64_t min_rows = static_cast<int64_t>(
      std::ceil(0.05 * static_cast<double>(learned->report.train_rows())));
  for (const v1::LearnedFeature& f : learned->report.features()) {
    SCOPED_TRACE(f.feature());
    std::vector<const v1::ScorecardBin*> range;
    for (const v1::ScorecardBin& b : f.bins()) {
      if (!b.missing()) range.push_back(&b);
    }
    EXPECT_LE(range.size(), 5u);
    for (size_t k = 1; k < range.size(); ++k) {
      if (f.increasing()) {
        EXPECT_LE(range[k - 1]->event_rate(), range[k]->event_rate());
      } else {
        EXPECT_GE(range[k - 1]->event_rate(), range[k]->event_rate());
      }
    }
    if (range.size() > 1) {
      for (const v1::ScorecardBin* b : range) {
        EXPECT_GE(b->count(), min_rows);
        EXPECT_GE(b->events(), 5);
      }
    }
  }
  // Quantile bins are not merged, so some zig-zag on the same data.
  options.set_binning(v1::ScorecardLearnOptions::QUANTILE);
  learned = LearnScorecard(panel.features, panel.labels, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  int zigzag = 0;
  for (const v1::LearnedFeature& f : learned->report.features()) {
    int up = 0, down = 0;
    for (int k = 1; k < f.bins_size(); ++k) {
      if (f.bins(k).missing() || f.bins(k - 1).missing()) continue;
      up += f.bins(k).event_rate() > f.bins(k - 1).event_rate();
      down += f.bins(k).event_rate() < f.bins(k - 1).event_rate();
    }
    zigzag += up > 0 && down > 0;
  }
  EXPECT_GT(zigzag, 0);
}

// One feature, 0..99, whose churn probability is `p(x)`, 6,000 rows drawn
// by a fixed generator.
Data Shaped(double (*p)(double)) {
  Data d;
  d.x.columns = {"x"};
  std::mt19937_64 rng(2024);
  for (int i = 0; i < 6000; ++i) {
    const double x = static_cast<double>(i % 100);
    d.x.values.push_back(x);
    d.x.customer_ids.push_back("u" + std::to_string(i));
    const double u = static_cast<double>(rng() >> 11) * 0x1p-53;
    d.y.push_back(u < p(x) ? 1 : 0);
  }
  return d;
}

v1::LearnedFeature::Trend LearnedTrend(const Data& d, const std::string& opt) {
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(d.x, d.y, Options(opt + " holdout_share: 0"));
  EXPECT_TRUE(learned.ok()) << learned.status();
  if (!learned.ok() || learned->report.features_size() != 1) {
    return v1::LearnedFeature::TREND_UNSPECIFIED;
  }
  return learned->report.features(0).trend();
}

TEST(LearnScorecard, AutoBinningDetectsEachFeaturesTrend) {
  // U-shaped churn (high at both ends): a valley; its mirror: a peak.
  const Data u = Shaped(
      [](double x) { return 0.04 + 0.5 * ((x - 50) / 50) * ((x - 50) / 50); });
  const Data cap = Shaped(
      [](double x) { return 0.5 - 0.45 * ((x - 50) / 50) * ((x - 50) / 50); });
  const Data down = Shaped([](double x) { return 0.4 - 0.0035 * x; });
  const Data up = Shaped([](double x) { return 0.05 + 0.003 * x; });
  EXPECT_EQ(LearnedTrend(u, ""), v1::LearnedFeature::VALLEY);
  EXPECT_EQ(LearnedTrend(u, "binning: AUTO"), v1::LearnedFeature::VALLEY);
  EXPECT_EQ(LearnedTrend(cap, ""), v1::LearnedFeature::PEAK);
  // A monotonic risk is not bent into a turn.
  EXPECT_EQ(LearnedTrend(down, ""), v1::LearnedFeature::DESCENDING);
  EXPECT_EQ(LearnedTrend(up, ""), v1::LearnedFeature::ASCENDING);
  // MONOTONIC forces one direction, and loses information on the U.
  const v1::LearnedFeature::Trend forced =
      LearnedTrend(u, "binning: MONOTONIC");
  EXPECT_TRUE(forced == v1::LearnedFeature::ASCENDING ||
              forced == v1::LearnedFeature::DESCENDING)
      << forced;
  absl::StatusOr<LearnedScorecard> mono =
      LearnScorecard(u.x, u.y, Options("binning: MONOTONIC holdout_share: 0"));
  absl::StatusOr<LearnedScorecard> autob =
      LearnScorecard(u.x, u.y, Options("holdout_share: 0"));
  ASSERT_TRUE(mono.ok() && autob.ok());
  EXPECT_GT(autob->report.features(0).information_value(),
            1.5 * mono->report.features(0).information_value());
  EXPECT_GT(autob->report.train_auc(), mono->report.train_auc() + 0.05);
  // The valley's bins fall, then rise, and still respect the bin limits.
  const v1::LearnedFeature& f = autob->report.features(0);
  std::vector<double> rates;
  for (const v1::ScorecardBin& b : f.bins()) {
    if (b.missing()) continue;
    EXPECT_GE(b.count(), 300);  // 5% of 6,000
    rates.push_back(b.event_rate());
  }
  ASSERT_GE(rates.size(), 3u);
  EXPECT_GT(rates.front(), *std::min_element(rates.begin(), rates.end()));
  EXPECT_GT(rates.back(), *std::min_element(rates.begin(), rates.end()));
  // A huge margin keeps every feature monotonic.
  EXPECT_EQ(LearnedTrend(u, "trend_margin: 100"), forced);
}

TEST(LearnScorecard, ABinaryColumnIsOneRowAndNoRowIsWorthZero) {
  // `flag` is 0/1 (churn 30% when 1, 10% when 0); `n` a count.
  Data d;
  d.x.columns = {"flag", "n"};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const double flag = i % 3 == 0 ? 1 : 0;
    const double n = static_cast<double>(i % 40);
    d.x.values.push_back(flag);
    d.x.values.push_back(n);
    d.x.customer_ids.push_back("b" + std::to_string(i));
    const double u = static_cast<double>(rng() >> 11) * 0x1p-53;
    d.y.push_back(u < (flag == 1 ? 0.3 : 0.1) + 0.003 * n ? 1 : 0);
  }
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(d.x, d.y, Options("holdout_share: 0"));
  ASSERT_TRUE(learned.ok()) << learned.status();
  ASSERT_EQ(learned->report.features_size(), 2);
  const v1::LearnedFeature& flag = learned->report.features(0);
  EXPECT_TRUE(flag.binary());
  EXPECT_FALSE(learned->report.features(1).binary());
  const v1::Criterion& c = learned->scorecard.dimensions(0).criteria(0);
  ASSERT_EQ(c.feature(), "flag");
  ASSERT_EQ(c.bands_size(), 1);  // only the "= 1" side, the risky one
  EXPECT_EQ(c.bands(0).label(), "= 1");
  EXPECT_EQ(c.bands(0).min(), 1);
  EXPECT_LT(c.bands(0).points(), 0);
  EXPECT_EQ(c.otherwise_points(), 0);
  for (const v1::Dimension& dim : learned->scorecard.dimensions()) {
    for (const v1::Band& b : dim.criteria(0).bands()) {
      EXPECT_NE(b.points(), 0) << dim.name() << " " << b.label();
    }
    // Adjacent range bands never carry equal points (they would be one).
    for (int k = 1; k < dim.criteria(0).bands_size(); ++k) {
      const v1::Band& a = dim.criteria(0).bands(k - 1);
      const v1::Band& b = dim.criteria(0).bands(k);
      if (!a.missing() && !b.missing() && a.max() == b.min()) {
        EXPECT_NE(a.points(), b.points()) << dim.name();
      }
    }
  }
  // The table's totals are still the learner's, row for row, and the
  // scaling is unchanged: the reference's points moved into base_points.
  const HealthScorer scorer =
      HealthScorer::Create(learned->scorecard, d.x.columns).value();
  for (size_t i = 0; i < d.x.num_rows(); ++i) {
    ASSERT_EQ(scorer.Score(d.x.row(i)).total, learned->totals[i]) << i;
  }
  absl::StatusOr<LearnedScorecard> exact =
      LearnScorecard(d.x, d.y, Options("holdout_share: 0 round_points: false"));
  ASSERT_TRUE(exact.ok());
  for (size_t i = 0; i < d.x.num_rows(); ++i) {
    EXPECT_NEAR(learned->totals[i], exact->totals[i], 2.0) << i;
  }
}

TEST(LearnScorecard, ReportsACrossValidatedAucNextToTheHoldout) {
  const Panel& p = GeneratedPanel();
  v1::ScorecardLearnOptions options;
  options.set_holdout_from(p.last_date);
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(p.panel.features, p.panel.labels, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  const v1::ScorecardReport& r = learned->report;
  ASSERT_TRUE(r.has_cv_auc());
  ASSERT_EQ(r.cv_fold_aucs_size(), 5);
  double sum = 0;
  for (double a : r.cv_fold_aucs()) {
    EXPECT_GT(a, 0.4);
    EXPECT_LT(a, 0.95);
    sum += a;
  }
  EXPECT_DOUBLE_EQ(r.cv_auc(), sum / 5);
  // Out-of-fold AUC is below the in-sample one (this small panel of 88
  // features overfits: measured 0.59 against 0.80 in sample).
  EXPECT_GT(r.cv_auc(), 0.5);
  EXPECT_LT(r.cv_auc(), r.train_auc());
  // Deterministic for a seed; another seed deals other folds.
  absl::StatusOr<LearnedScorecard> again =
      LearnScorecard(p.panel.features, p.panel.labels, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->report.cv_auc(), r.cv_auc());
  options.set_seed(99);
  absl::StatusOr<LearnedScorecard> other =
      LearnScorecard(p.panel.features, p.panel.labels, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->report.cv_fold_aucs(0), r.cv_fold_aucs(0));
  // Three folds; none.
  options.set_cv_folds(3);
  other = LearnScorecard(p.panel.features, p.panel.labels, options);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->report.cv_fold_aucs_size(), 3);
  options.set_cv_folds(0);
  other = LearnScorecard(p.panel.features, p.panel.labels, options);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->report.has_cv_auc());
  EXPECT_EQ(other->report.holdout_auc(), r.holdout_auc());

  // Independent rows of one real signal: out-of-fold, holdout and
  // in-sample AUC agree.
  const Data up = Shaped([](double x) { return 0.05 + 0.004 * x; });
  absl::StatusOr<LearnedScorecard> iid =
      LearnScorecard(up.x, up.y, Options("seed: 3"));
  ASSERT_TRUE(iid.ok()) << iid.status();
  ASSERT_TRUE(iid->report.has_cv_auc());
  EXPECT_GT(iid->report.cv_auc(), 0.65);
  EXPECT_NEAR(iid->report.cv_auc(), iid->report.train_auc(), 0.02);
  EXPECT_NEAR(iid->report.cv_auc(), iid->report.holdout_auc(), 0.04);
}

TEST(LearnScorecard, WarnsOfAFeatureThatLeaksTheLabel) {
  const TrainingPanel& panel = GeneratedPanel().panel;
  absl::StatusOr<LearnedScorecard> honest =
      LearnScorecard(panel.features, panel.labels, Options(""));
  ASSERT_TRUE(honest.ok()) << honest.status();
  EXPECT_TRUE(honest->report.warnings().empty());
  // The label itself, slightly disguised, as an extra column.
  FeatureMatrix leaked = panel.features;
  const size_t d = leaked.columns.size();
  leaked.columns.push_back("days_since_cancellation");
  std::vector<double> values;
  for (size_t i = 0; i < leaked.num_rows(); ++i) {
    values.insert(values.end(), leaked.values.begin() + i * d,
                  leaked.values.begin() + (i + 1) * d);
    values.push_back(panel.labels[i] ? 3.0 + (i % 7) : -1.0);
  }
  leaked.values = std::move(values);
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(leaked, panel.labels, Options(""));
  ASSERT_TRUE(learned.ok()) << learned.status();
  ASSERT_EQ(learned->report.warnings_size(), 1);
  EXPECT_THAT(learned->report.warnings(0),
              HasSubstr("feature 'days_since_cancellation' separates churners "
                        "almost perfectly on its own (AUC 1.000"));
}

TEST(LearnScorecard, BeatsTheZohoTableOnHeldOutGeneratedCustomers) {
  const Panel& p = GeneratedPanel();
  v1::ScorecardLearnOptions options;
  options.set_holdout_from(p.last_date);
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(p.panel.features, p.panel.labels, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  const v1::ScorecardReport& r = learned->report;
  ASSERT_TRUE(r.has_holdout_auc());
  const HealthScorer zoho =
      HealthScorer::Create(DefaultScorecard().value(), p.panel.features.columns)
          .value();
  std::vector<double> zoho_risk;
  std::vector<uint8_t> held;
  for (size_t i = 0; i < p.panel.features.num_rows(); ++i) {
    if (!learned->holdout[i]) continue;
    EXPECT_GE(p.panel.features.as_of[i], p.last_date);
    zoho_risk.push_back(-zoho.Score(p.panel.features.row(i)).total);
    held.push_back(p.panel.labels[i]);
  }
  const double zoho_auc = RocAuc(held, zoho_risk).value();
  std::cout << "generated panel: " << r.train_rows() << " training rows ("
            << r.train_events() << " churners), " << r.holdout_rows()
            << " held out (" << r.holdout_events() << "); " << r.features_size()
            << " features kept, " << r.dropped_size()
            << " dropped\n  learned scorecard AUC: train " << r.train_auc()
            << ", holdout " << r.holdout_auc()
            << "\n  Zoho scorecard AUC on the same holdout: " << zoho_auc
            << "\n";
  RecordProperty("holdout_auc", std::to_string(r.holdout_auc()));
  RecordProperty("zoho_holdout_auc", std::to_string(zoho_auc));
  EXPECT_GT(r.holdout_auc(), 0.65);
  EXPECT_GT(r.holdout_auc(), zoho_auc + 0.02);
  // Higher totals are healthier, and colours order the churn rates.
  ASSERT_EQ(r.colours_size(), 3);
  EXPECT_EQ(r.colours(0).colour(), v1::GREEN);
  EXPECT_LT(r.colours(0).train_churn_rate(), r.colours(2).train_churn_rate());
  EXPECT_LT(r.fitted().slope(), 0);
  EXPECT_DOUBLE_EQ(r.implied().slope(), -std::log(2.0) / 10);
}

// ---- Scaling, colours, groups ------------------------------------------

TEST(LearnScorecard, PointsFollowThePdoScaling) {
  const Data data = SyntheticRows();
  v1::ScorecardLearnOptions options = Options(
      R"pb(round_points: false
           pdo: 20
           base_score: 600
           base_odds: 50
           yellow_probability: 0.2
           red_probability: 0.4
           holdout_share: 0
           features: [ "a", "b" ])pb");
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(data.x, data.y, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  const v1::ScorecardReport& r = learned->report;
  const double factor = 20 / std::log(2.0);
  const double offset = 600 - factor * std::log(50.0);
  EXPECT_DOUBLE_EQ(r.factor(), factor);
  EXPECT_DOUBLE_EQ(r.offset(), offset);
  EXPECT_DOUBLE_EQ(learned->scorecard.base_points(),
                   offset - factor * r.intercept());
  for (const v1::LearnedFeature& f : r.features()) {
    EXPECT_LT(f.coefficient(), 0) << f.feature();
    for (const v1::ScorecardBin& b : f.bins()) {
      EXPECT_DOUBLE_EQ(b.points(), -factor * f.coefficient() * b.woe() + 0.0);
    }
  }
  // Each row's total is the implied line of its fitted log-odds.
  for (size_t i = 0; i < 50; ++i) {
    double log_odds = r.intercept();
    for (const v1::LearnedFeature& f : r.features()) {
      const double v = data.x.at(i, *data.x.ColumnIndex(f.feature()));
      for (const v1::ScorecardBin& b : f.bins()) {
        const bool in = std::isnan(v)
                            ? b.missing()
                            : !b.missing() && (!b.has_min() || v >= b.min()) &&
                                  (!b.has_max() || v < b.max());
        if (in) log_odds += f.coefficient() * b.woe();
      }
    }
    EXPECT_NEAR(learned->totals[i],
                (log_odds - r.implied().intercept()) / r.implied().slope(),
                1e-9);
  }
  EXPECT_DOUBLE_EQ(learned->scorecard.colours().green_min(),
                   offset + factor * std::log(0.8 / 0.2));
  EXPECT_DOUBLE_EQ(learned->scorecard.colours().yellow_min(),
                   offset + factor * std::log(0.6 / 0.4));

  options.clear_round_points();  // default: whole points, cut-offs rounded up
  learned = LearnScorecard(data.x, data.y, options);
  ASSERT_TRUE(learned.ok()) << learned.status();
  EXPECT_EQ(learned->scorecard.colours().green_min(),
            std::ceil(offset + factor * std::log(0.8 / 0.2)));
  for (const v1::Dimension& d : learned->scorecard.dimensions()) {
    for (const v1::Band& b : d.criteria(0).bands()) {
      EXPECT_EQ(b.points(), std::round(b.points()));
    }
  }
}

TEST(LearnScorecard, GroupsSumTheirFeaturesInOneDimension) {
  const Data data = SyntheticRows();
  absl::StatusOr<LearnedScorecard> learned = LearnScorecard(
      data.x, data.y, Options(R"pb(groups {
                                     name: "signals"
                                     description: "a and b together"
                                     features: [ "a", "b" ]
                                   }
                                   features: "c"
                                   min_information_value: 0.01)pb"));
  ASSERT_TRUE(learned.ok()) << learned.status();
  const v1::Scorecard& card = learned->scorecard;
  ASSERT_EQ(card.dimensions_size(), 1);  // c has IV 0.001: dropped
  EXPECT_EQ(card.dimensions(0).name(), "signals");
  EXPECT_EQ(card.dimensions(0).combine(), v1::Dimension::SUM);
  EXPECT_EQ(card.dimensions(0).criteria_size(), 2);
  ASSERT_EQ(learned->report.dropped_size(), 1);
  EXPECT_EQ(learned->report.dropped(0).feature(), "c");
  EXPECT_THAT(learned->report.dropped(0).reason(),
              HasSubstr("information value"));
  const HealthScorer scorer =
      HealthScorer::Create(card, data.x.columns).value();
  for (size_t i = 0; i < data.x.num_rows(); ++i) {
    ASSERT_EQ(scorer.Score(data.x.row(i)).total, learned->totals[i]);
  }
}

TEST(LearnScorecard, StratifiedHoldoutIsReproducible) {
  const Data data = SyntheticRows();
  v1::ScorecardLearnOptions options = Options("seed: 3 holdout_share: 0.25");
  const LearnedScorecard a = LearnScorecard(data.x, data.y, options).value();
  const LearnedScorecard b = LearnScorecard(data.x, data.y, options).value();
  EXPECT_EQ(a.holdout, b.holdout);
  EXPECT_EQ(a.report.holdout_rows(), 750);
  int64_t churners = 0;
  for (uint8_t y : data.y) churners += y;
  EXPECT_EQ(a.report.holdout_events(), std::llround(0.25 * churners));
  EXPECT_TRUE(a.report.has_holdout_auc());
}

// ---- Bad input ----------------------------------------------------------

absl::Status LearnError(const Data& d, const std::string& options = "") {
  return LearnScorecard(d.x, d.y, Options(options)).status();
}

TEST(LearnScorecard, RejectsBadInputNamingIt) {
  const Data good = SyntheticRows();
  auto expect = [](const absl::Status& s, const std::string& text) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(text));
  };
  // Single class.
  Data one = good;
  one.y.assign(one.y.size(), 0);
  expect(LearnError(one), "needs both classes");
  // Labels of another length, and a label that is not 0/1 (a NaN cannot
  // be a uint8_t label; the CLI rejects a NaN label cell when encoding).
  Data short_labels = good;
  short_labels.y.pop_back();
  expect(LearnError(short_labels), "2999 labels for 3000 rows");
  Data two = good;
  two.y[7] = 2;
  expect(LearnError(two), "labels[7] is 2");
  // Constant and all-missing columns: nothing to learn from.
  const Data flat =
      FromColumns({"same", "unknown"},
                  {{1, kNaN}, {1, kNaN}, {1, kNaN}, {1, kNaN}}, {0, 1, 0, 1});
  const absl::Status s = LearnError(flat, "holdout_share: 0");
  expect(s, "'same': constant");
  expect(s, "'unknown': all values missing");
  // ... but next to informative columns they are only dropped.
  Data mixed = good;
  mixed.x.columns.push_back("same");
  mixed.x.values.clear();
  for (size_t i = 0; i < good.x.num_rows(); ++i) {
    for (double v : good.x.row(i)) mixed.x.values.push_back(v);
    mixed.x.values.push_back(4);
  }
  mixed.x.columns = {"a", "b", "c", "same"};
  absl::StatusOr<LearnedScorecard> learned =
      LearnScorecard(mixed.x, mixed.y, {});
  ASSERT_TRUE(learned.ok()) << learned.status();
  bool reported = false;
  for (const v1::DroppedFeature& f : learned->report.dropped()) {
    reported |= f.feature() == "same" && f.reason() == "constant";
  }
  EXPECT_TRUE(reported);
  // Infinite values, unknown features, duplicate listings.
  Data inf = good;
  inf.x.values[5 * 3 + 1] = kInf;
  expect(LearnError(inf), "row 5, column 'b' is +inf");
  expect(LearnError(good, R"pb(features: "nope")pb"),
         "features[0]: 'nope' is not a column");
  expect(LearnError(good, R"pb(features: "a"
                               groups { name: "g" features: "a" })pb"),
         "groups[0].features[0]: 'a' is already listed at features[0]");
  expect(LearnError(good, R"pb(groups { name: "g" })pb"),
         "groups[0].features: empty");
  // holdout_from needs the rows' as-of times.
  expect(LearnError(good, "holdout_from: 100"), "holdout_from");
  // Options out of range.
  expect(LearnError(good, "pdo: 0"), "pdo: must be > 0");
  expect(LearnError(good, "cv_folds: 1"), "cv_folds: must be 0 (none) or in");
  expect(LearnError(good, "cv_folds: 21"), "cv_folds");
  expect(LearnError(good, "trend_margin: -0.5"), "trend_margin");
  expect(LearnError(good, "pdo: -20"), "pdo: must be > 0");
  expect(LearnError(good, "base_odds: 0"), "base_odds: must be > 0");
  expect(LearnError(good, "base_odds: -1"), "base_odds: must be > 0");
  expect(LearnError(good, "max_bins: 1"), "max_bins: must be >= 2");
  expect(LearnError(good, "max_bins: -3"), "max_bins: must be >= 2");
  expect(LearnError(good, "max_bins: 8 fine_bins: 6"),
         "fine_bins: must be >= max_bins");
  expect(LearnError(good, "woe_smoothing: 0"), "woe_smoothing: must be > 0");
  expect(LearnError(good, "c: 0"), "c: must be > 0");
  expect(LearnError(good, "yellow_probability: 0.5 red_probability: 0.4"),
         "yellow_probability: must be <= red_probability");
  expect(LearnError(good, "red_probability: 1"), "red_probability");
  expect(LearnError(good, "holdout_share: 1"), "holdout_share");
  expect(LearnError(good, "min_bin_share: 0.6"), "min_bin_share");
  expect(LearnError(good, "pdo: nan"), "pdo: must be finite");
  // Shapes.
  Data ragged = good;
  ragged.x.values.pop_back();
  EXPECT_EQ(
      LearnScorecard(MatrixView::Of(ragged.x), ragged.y, {}).status().code(),
      absl::StatusCode::kInvalidArgument);
  Data none;
  none.x.columns = {"a"};
  expect(LearnError(none), "no rows");
}

}  // namespace
}  // namespace churnkit
