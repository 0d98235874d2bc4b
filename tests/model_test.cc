#include "churnkit/model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "churnkit/features.h"
#include "churnkit/io.h"
#include "churnkit/metrics.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- The synthetic data of tests/reference/make_model_fixtures.py ----------

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Normal() {
    double s = 0;
    for (int k = 0; k < 12; ++k) s += Uniform();
    return s - 6.0;
  }

 private:
  uint64_t state_;
};

struct Data {
  FeatureMatrix x;
  std::vector<uint8_t> y;
};

// Rows x_j = normal * (1 + j) + 10 j with labels drawn from the logistic
// model of `beta` (the fixture script's generator for n = 3000, d = 8).
Data Synthetic(size_t n = 3000, uint64_t seed = 20240601,
               std::vector<double> beta = {1.0, -0.5, 0.25, 0.0, 0.0, 0.8, -1.2,
                                           0.0},
               double intercept = -0.5) {
  SplitMix64 rng(seed);
  Data data;
  const size_t d = beta.size();
  for (size_t j = 0; j < d; ++j)
    data.x.columns.push_back("x" + std::to_string(j));
  for (size_t i = 0; i < n; ++i) {
    double eta = intercept;
    for (size_t j = 0; j < d; ++j) {
      const double z = rng.Normal();
      data.x.values.push_back(z * (1.0 + j) + 10.0 * j);
      eta += beta[j] * z;
    }
    data.y.push_back(rng.Uniform() < 1.0 / (1.0 + std::exp(-eta)) ? 1 : 0);
    data.x.customer_ids.push_back("c" + std::to_string(i));
    data.x.as_of.push_back(kNoTime);
  }
  return data;
}

// ---- Fixtures
// ------------------------------------------------------------------

const pb::Struct& Fixtures() {
  static const pb::Struct* fixtures = [] {
    auto* s = new pb::Struct;
    std::ifstream in(testing::SourceDir() +
                     "/tests/reference/model_fixtures.json");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(pb::util::JsonStringToMessage(text.str(), s).ok())
        << "cannot read tests/reference/model_fixtures.json";
    return s;
  }();
  return *fixtures;
}

const pb::Struct& Fixture(const std::string& name) {
  const auto& fields = Fixtures().fields();
  auto it = fields.find(name);
  EXPECT_NE(it, fields.end()) << "no fixture " << name;
  static const pb::Struct empty;
  return it == fields.end() ? empty : it->second.struct_value();
}

double Number(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << key;
  return it == s.fields().end() ? kNaN : it->second.number_value();
}

std::vector<double> Numbers(const pb::Struct& s, const std::string& key) {
  std::vector<double> out;
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << key;
  if (it == s.fields().end()) return out;
  for (const pb::Value& v : it->second.list_value().values()) {
    out.push_back(v.number_value());
  }
  return out;
}

std::vector<std::string> Strings(const pb::Struct& s, const std::string& key) {
  std::vector<std::string> out;
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << key;
  if (it == s.fields().end()) return out;
  for (const pb::Value& v : it->second.list_value().values()) {
    out.push_back(v.string_value());
  }
  return out;
}

std::vector<double> Coefficients(const v1::LogisticModel& m) {
  return {m.coefficients().begin(), m.coefficients().end()};
}

std::vector<double> Support(const std::vector<double>& coefficients) {
  std::vector<double> support;
  for (size_t j = 0; j < coefficients.size(); ++j) {
    if (coefficients[j] != 0) support.push_back(static_cast<double>(j));
  }
  return support;
}

// Objective within 1e-8 relative, coefficients and intercept within `tol`.
void ExpectMatches(const v1::LogisticModel& model, const pb::Struct& ref,
                   double tol = 1e-5) {
  const double objective = Number(ref, "objective");
  EXPECT_NEAR(model.report().objective(), objective,
              1e-8 * std::abs(objective));
  EXPECT_NEAR(model.intercept(), Number(ref, "intercept"), tol);
  const std::vector<double> coef = Numbers(ref, "coefficients");
  ASSERT_EQ(static_cast<size_t>(model.coefficients_size()), coef.size());
  for (size_t j = 0; j < coef.size(); ++j) {
    EXPECT_NEAR(model.coefficients(static_cast<int>(j)), coef[j], tol)
        << model.feature_names(static_cast<int>(j));
  }
  EXPECT_EQ(Support(Coefficients(model)), Numbers(ref, "support"));
  EXPECT_TRUE(model.report().converged());
}

// ---- Agreement with scikit-learn
// ---------------------------------------------

TEST(FitLogistic, MatchesReferenceOnSyntheticL2) {
  const Data data = Synthetic();
  v1::FitOptions options;
  options.set_c(0.1);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->report().solver(), v1::SOLVER_NEWTON_CHOLESKY);
  ExpectMatches(*m, Fixture("synthetic_l2"));
}

TEST(FitLogistic, MatchesReferenceWithBalancedClassWeights) {
  const Data data = Synthetic();
  v1::FitOptions options;
  options.set_c(0.1);
  options.mutable_class_weights()->set_balanced(true);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectMatches(*m, Fixture("synthetic_l2_balanced"));
}

TEST(FitLogistic, LbfgsMatchesReferenceOnSyntheticL2) {
  const Data data = Synthetic();
  v1::FitOptions options;
  options.set_c(0.1);
  options.set_solver(v1::SOLVER_LBFGS);
  options.set_tolerance(1e-10);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->report().solver(), v1::SOLVER_LBFGS);
  ExpectMatches(*m, Fixture("synthetic_l2"));
}

TEST(FitLogistic, MatchesReferenceSupportOnSyntheticL1) {
  const Data data = Synthetic();
  v1::FitOptions options;
  options.set_c(0.005);
  options.set_penalty(v1::PENALTY_L1);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->report().solver(), v1::SOLVER_COORDINATE_DESCENT);
  ExpectMatches(*m, Fixture("synthetic_l1"));
  EXPECT_EQ(
      m->report().nonzero_coefficients(),
      static_cast<int>(Numbers(Fixture("synthetic_l1"), "support").size()));
}

TEST(FitLogistic, MatchesReferenceOnSyntheticElasticNet) {
  const Data data = Synthetic();
  v1::FitOptions options;
  options.set_c(0.005);
  options.set_penalty(v1::PENALTY_ELASTIC_NET);
  options.set_l1_ratio(0.5);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectMatches(*m, Fixture("synthetic_elastic_net"));
}

TEST(FitLogistic, LambdaIsTheObjectiveDividedByTheWeightSum) {
  const Data data = Synthetic();
  v1::FitOptions by_c, by_lambda;
  by_c.set_c(0.1);
  by_lambda.set_lambda(1.0 / (0.1 * 3000));
  absl::StatusOr<v1::LogisticModel> a = FitLogistic(data.x, data.y, by_c);
  absl::StatusOr<v1::LogisticModel> b = FitLogistic(data.x, data.y, by_lambda);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->report().c(), 0.1, 1e-15);
  for (int j = 0; j < a->coefficients_size(); ++j) {
    EXPECT_NEAR(a->coefficients(j), b->coefficients(j), 1e-10);
  }
}

TEST(FitLogistic, SolversAgreeOnTheL2Objective) {
  const Data data = Synthetic();
  double objectives[3];
  int k = 0;
  for (v1::Solver solver : {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_LBFGS,
                            v1::SOLVER_COORDINATE_DESCENT}) {
    v1::FitOptions options;
    options.set_c(10);
    options.set_solver(solver);
    options.set_tolerance(1e-10);
    absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
    ASSERT_TRUE(m.ok()) << v1::Solver_Name(solver) << ": " << m.status();
    objectives[k++] = m->report().objective();
  }
  EXPECT_NEAR(objectives[1], objectives[0], 1e-10 * objectives[0]);
  EXPECT_NEAR(objectives[2], objectives[0], 1e-10 * objectives[0]);
}

// Telco read in place through churnkit's own CSV reader and table encoding.
class Telco : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path =
        testing::SharedDataDir() + "/telco/Telco-Customer-Churn.csv";
    if (!fs::exists(path)) {
      GTEST_SKIP() << "Telco data not found at " << path
                   << " (set CHURNKIT_SHARED_DATA to the shared data dir)";
    }
    absl::StatusOr<PlainTable> t = ReadPlainTable(path);
    ASSERT_TRUE(t.ok()) << t.status();
    table_ = *std::move(t);
  }

  EncodedTable Encode(bool l1_subset) {
    v1::TableOptions options;
    options.set_label_column("Churn");
    options.set_positive_label("Yes");
    options.set_id_column("customerID");
    if (l1_subset) {
      const std::vector<std::string> keep =
          Strings(Fixture("telco_l1"), "columns");  // names after encoding
      for (const std::string& c : table_.columns) {
        bool used = false;
        for (const std::string& k : keep) {
          used |= k == c || k.rfind(c + "=", 0) == 0;
        }
        if (!used && c != "Churn" && c != "customerID") options.add_ignore(c);
      }
      options.set_drop_first_level(true);
    }
    absl::StatusOr<EncodedTable> e = EncodeTable(table_, options);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *std::move(e) : EncodedTable{};
  }

  PlainTable table_;
};

TEST_F(Telco, MatchesReferenceObjectiveAndCoefficients) {
  const EncodedTable e = Encode(false);
  const pb::Struct& ref = Fixture("telco_l2");
  EXPECT_EQ(e.features.columns, Strings(ref, "columns"));
  ASSERT_EQ(e.features.num_rows(), 7043u);
  v1::FitOptions options;
  options.set_c(1.0);
  options.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(e.features, e.labels, options);
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectMatches(*m, ref);
  // Metrics of the in-sample probabilities against scikit-learn's figures.
  absl::StatusOr<std::vector<double>> p =
      Predict(*m, MatrixView::Of(e.features));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NEAR(*RocAuc(e.labels, *p), Number(ref, "roc_auc"), 1e-9);
  EXPECT_NEAR(*AveragePrecision(e.labels, *p), Number(ref, "average_precision"),
              1e-9);
  EXPECT_NEAR(*LogLoss(e.labels, *p), Number(ref, "log_loss"), 1e-9);
  EXPECT_NEAR(*BrierScore(e.labels, *p), Number(ref, "brier"), 1e-9);

  // Calibration of the log-odds against scikit-learn's.
  std::vector<double> logit;
  for (double q : *p) logit.push_back(std::log(q / (1 - q)));
  const pb::Struct& cal = Fixture("telco_calibration");
  absl::StatusOr<v1::Calibration> iso = FitIsotonic(e.labels, logit);
  ASSERT_TRUE(iso.ok()) << iso.status();
  const std::vector<double> probe = Numbers(cal, "isotonic_probe");
  absl::StatusOr<std::vector<double>> fitted = ApplyCalibration(*iso, probe);
  ASSERT_TRUE(fitted.ok());
  const std::vector<double> expected = Numbers(cal, "isotonic_values");
  for (size_t k = 0; k < probe.size(); ++k) {
    EXPECT_NEAR((*fitted)[k], expected[k], 1e-6) << "probe " << probe[k];
  }
  // scikit-learn's Platt fit stops at BFGS's default gradient tolerance;
  // ours is Newton-converged, so the parameters agree to that tolerance.
  absl::StatusOr<v1::Calibration> platt = FitPlatt(e.labels, logit);
  ASSERT_TRUE(platt.ok());
  EXPECT_NEAR(platt->platt().a(), Number(cal, "platt_a"), 1e-4);
  EXPECT_NEAR(platt->platt().b(), Number(cal, "platt_b"), 1e-4);
}

TEST_F(Telco, MatchesReferenceUnderAStrongPenalty) {
  const EncodedTable e = Encode(false);
  v1::FitOptions options;
  options.set_c(0.001);
  options.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(e.features, e.labels, options);
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectMatches(*m, Fixture("telco_l2_strong"));
}

TEST_F(Telco, L1HasTheReferenceSupport) {
  const EncodedTable e = Encode(true);
  const pb::Struct& ref = Fixture("telco_l1");
  EXPECT_EQ(e.features.columns, Strings(ref, "columns"));
  v1::FitOptions options;
  options.set_c(0.005);
  options.set_penalty(v1::PENALTY_L1);
  options.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(e.features, e.labels, options);
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectMatches(*m, ref);
}

TEST_F(Telco, ExplainsWithCategoricalLevelsAndScoresNewTables) {
  EncodedTable e = Encode(false);
  v1::FitOptions options;
  options.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(e.features, e.labels, options);
  ASSERT_TRUE(m.ok()) << m.status();
  *m->mutable_encoding() = e.encoding;
  absl::StatusOr<EncodedTable> again = EncodeForModel(*m, table_);
  ASSERT_TRUE(again.ok()) << again.status();
  absl::StatusOr<std::vector<double>> p1 =
      Predict(*m, MatrixView::Of(e.features));
  absl::StatusOr<std::vector<double>> p2 =
      Predict(*m, MatrixView::Of(again->features));
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(*p1, *p2);
  EXPECT_EQ(again->labels, e.labels);
  absl::StatusOr<v1::Explanations> why =
      Explain(*m, MatrixView::Of(e.features), {.top_k = 3});
  ASSERT_TRUE(why.ok()) << why.status();
  // The first customer (7590-VHVEG) is on a month-to-month contract.
  const v1::Explanation& first = why->rows(0);
  EXPECT_EQ(first.customer_id(), "7590-VHVEG");
  bool contract = false;
  for (const v1::Reason& r : first.risk()) {
    contract |= r.text() == "Contract is Month-to-month";
  }
  EXPECT_TRUE(contract) << first.DebugString();
}

// ---- Fitting behaviour
// ------------------------------------------------------------

TEST(FitLogistic, IsBitIdenticalForEveryThreadCount) {
  const Data data = Synthetic(20000, 7);
  std::string reference;
  for (int threads : {1, 2, 3, 8}) {
    for (v1::Solver solver : {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_LBFGS}) {
      v1::FitOptions options;
      options.set_threads(threads);
      options.set_solver(solver);
      absl::StatusOr<v1::LogisticModel> m =
          FitLogistic(data.x, data.y, options);
      ASSERT_TRUE(m.ok()) << m.status();
      m->mutable_options()->clear_threads();
      absl::StatusOr<std::string> bytes = SerializeModel(*m);
      ASSERT_TRUE(bytes.ok());
      if (solver == v1::SOLVER_NEWTON_CHOLESKY) {
        if (reference.empty()) reference = *bytes;
        EXPECT_EQ(*bytes, reference) << threads << " threads";
      }
      // Too few rows for a 1/16 subsample; L-BFGS starts from a 1/4 one
      // (runs of 64 rows of every 256), Newton cold.
      const bool lbfgs = solver == v1::SOLVER_LBFGS;
      EXPECT_EQ(m->report().subsample_rows(), lbfgs ? 20000 / 256 * 64 : 0);
      EXPECT_EQ(m->report().subsample_evaluations() > 0, lbfgs);
      absl::StatusOr<std::vector<double>> p1 =
          Predict(*m, MatrixView::Of(data.x), 1);
      absl::StatusOr<std::vector<double>> p2 =
          Predict(*m, MatrixView::Of(data.x), threads);
      ASSERT_TRUE(p1.ok() && p2.ok());
      EXPECT_EQ(*p1, *p2);
    }
  }
}

// 70000 rows: the solvers start from a fit on a subsample (see
// internal/logistic.h), here with sample and class weights.
TEST(FitLogistic, WarmStartedFitsAreBitIdenticalForEveryThreadCount) {
  const Data data = Synthetic(70000, 11);
  std::vector<double> weights(data.y.size());
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = (i % 7) * 0.25;
  for (v1::Solver solver : {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_LBFGS}) {
    std::string reference;
    for (int threads : {1, 2, 3}) {
      v1::FitOptions options;
      options.set_threads(threads);
      options.set_solver(solver);
      options.mutable_class_weights()->set_balanced(true);
      absl::StatusOr<v1::LogisticModel> m =
          FitLogistic(data.x, data.y, options, weights);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_TRUE(m->report().converged());
      EXPECT_EQ(m->report().subsample_rows(), 70000 / 1024 * 64);
      EXPECT_GT(m->report().subsample_evaluations(), 0);
      m->mutable_options()->clear_threads();
      absl::StatusOr<std::string> bytes = SerializeModel(*m);
      ASSERT_TRUE(bytes.ok());
      if (reference.empty()) reference = *bytes;
      EXPECT_EQ(*bytes, reference) << solver << ", " << threads << " threads";
    }
  }
}

TEST(FitLogistic, RejectsBadLabelsAndShapes) {
  Data data = Synthetic(100);
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(data.x, absl::MakeSpan(data.y).subspan(1));
  EXPECT_THAT(m.status().message(),
              HasSubstr("labels: 99 values for 100 rows"));
  data.y[5] = 2;
  m = FitLogistic(data.x, data.y);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("labels[5] is 2"));
  std::fill(data.y.begin(), data.y.end(), 1);
  m = FitLogistic(data.x, data.y);
  EXPECT_THAT(m.status().message(), HasSubstr("a single class"));
  data = Synthetic(100);
  std::vector<double> weights(100, 1.0);
  weights[3] = -1;
  m = FitLogistic(data.x, data.y, {}, weights);
  EXPECT_THAT(m.status().message(), HasSubstr("sample_weights[3] is -1"));
  // Zero weight on every positive leaves a single class.
  for (size_t i = 0; i < 100; ++i) weights[i] = data.y[i] ? 0.0 : 1.0;
  m = FitLogistic(data.x, data.y, {}, weights);
  EXPECT_THAT(m.status().message(), HasSubstr("a single class"));
  FeatureMatrix empty;
  empty.columns = {"a"};
  EXPECT_THAT(FitLogistic(empty, {}).status().message(), HasSubstr("no rows"));
  data.x.columns[1] = "x0";
  EXPECT_THAT(FitLogistic(data.x, data.y).status().message(),
              HasSubstr("duplicate column name 'x0'"));
}

TEST(FitLogistic, NamesTheRowAndColumnOfANaNOrInfinity) {
  Data data = Synthetic(100);
  data.x.values[7 * 8 + 3] = kNaN;
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(),
              HasSubstr("row 7, column 'x3' is NaN (not defined)"));
  EXPECT_THAT(m.status().message(), HasSubstr("MISSING_IMPUTE_MEAN"));
  data.x.values[2 * 8 + 5] = -kInf;
  m = FitLogistic(data.x, data.y);
  EXPECT_THAT(m.status().message(), HasSubstr("row 2, column 'x5' is -inf"));
  v1::FitOptions impute;
  impute.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  m = FitLogistic(data.x, data.y, impute);  // NaN imputed, inf still refused
  EXPECT_THAT(m.status().message(), HasSubstr("row 2, column 'x5' is -inf"));
}

TEST(FitLogistic, ImputedMissingValuesActAsTheMean) {
  Data data = Synthetic(500);
  data.x.values[10 * 8 + 2] = kNaN;
  data.x.values[11 * 8 + 0] = kNaN;
  v1::FitOptions options;
  options.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok()) << m.status();
  // The mean is that of the defined values.
  double sum = 0;
  for (size_t i = 0; i < 500; ++i) {
    if (i != 10) sum += data.x.values[i * 8 + 2];
  }
  EXPECT_NEAR(m->means(2), sum / 499, 1e-12);
  // Scoring a NaN equals scoring the mean.
  FeatureMatrix row;
  row.columns = data.x.columns;
  row.customer_ids = {"a", "b"};
  row.values.assign(data.x.values.begin() + 10 * 8,
                    data.x.values.begin() + 11 * 8);
  row.values.insert(row.values.end(), row.values.begin(), row.values.end());
  row.values[8 + 2] = m->means(2);
  absl::StatusOr<std::vector<double>> p = Predict(*m, MatrixView::Of(row));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NEAR((*p)[0], (*p)[1], 1e-15);
}

TEST(FitLogistic, ConstantColumnsGetScaleOneAndCoefficientZero) {
  Data data = Synthetic(300);
  for (size_t i = 0; i < 300; ++i) data.x.values[i * 8 + 4] = 0.1;
  for (v1::Penalty penalty :
       {v1::PENALTY_L2, v1::PENALTY_L1, v1::PENALTY_NONE}) {
    v1::FitOptions options;
    options.set_penalty(penalty);
    absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
    ASSERT_TRUE(m.ok()) << v1::Penalty_Name(penalty) << ": " << m.status();
    EXPECT_EQ(m->scales(4), 1.0);
    EXPECT_EQ(m->means(4), 0.1);
    EXPECT_EQ(m->coefficients(4), 0.0);
    for (double c : m->coefficients()) EXPECT_TRUE(std::isfinite(c));
  }
}

TEST(FitLogistic, OnlyConstantColumnsFitTheInterceptAlone) {
  // Every feature constant: the start (the base rate's log-odds) is the
  // optimum, for every solver.
  FeatureMatrix x;
  x.columns = {"a", "b"};
  std::vector<uint8_t> y;
  for (int i = 0; i < 40; ++i) {
    x.customer_ids.push_back("c" + std::to_string(i));
    x.values.insert(x.values.end(), {3.0, -1.0});
    y.push_back(i % 4 == 0);
  }
  for (v1::Solver solver : {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_LBFGS,
                            v1::SOLVER_COORDINATE_DESCENT}) {
    SCOPED_TRACE(v1::Solver_Name(solver));
    v1::FitOptions o;
    o.set_solver(solver);
    absl::StatusOr<v1::LogisticModel> m = FitLogistic(x, y, o);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_TRUE(m->report().converged());
    EXPECT_EQ(m->coefficients(0), 0);
    EXPECT_EQ(m->coefficients(1), 0);
    EXPECT_NEAR(m->intercept(), std::log(10.0 / 30.0), 1e-12);
  }
}

TEST(FitLogistic, MoreFeaturesThanRowsNeedsAPenalty) {
  // 20 rows, 40 features.
  Data data = Synthetic(20, 3, std::vector<double>(40, 0.3), 0.0);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y);
  ASSERT_TRUE(m.ok()) << m.status();
  v1::FitOptions none;
  none.set_penalty(v1::PENALTY_NONE);
  m = FitLogistic(data.x, data.y, none);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("without a penalty 41"));
}

TEST(FitLogistic, SeparableDataNeedAPenalty) {
  FeatureMatrix x;
  x.columns = {"a", "b"};
  std::vector<uint8_t> y;
  for (int i = 0; i < 40; ++i) {
    x.values.push_back(i < 20 ? -1.0 - i * 0.1 : 1.0 + i * 0.1);
    x.values.push_back(i % 3);
    x.customer_ids.push_back(std::to_string(i));
    y.push_back(i < 20 ? 0 : 1);
  }
  for (v1::Solver solver : {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_LBFGS}) {
    v1::FitOptions none;
    none.set_solver(solver);
    none.set_c(kInf);
    absl::StatusOr<v1::LogisticModel> m = FitLogistic(x, y, none);
    EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(m.status().message(), HasSubstr("perfectly separable"));
  }
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(x, y);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GT(m->coefficients(0), 0);
}

TEST(FitLogistic, CollinearColumnsWithoutPenaltyAreSingular) {
  Data data = Synthetic(400);
  for (size_t i = 0; i < 400; ++i) {
    data.x.values[i * 8 + 7] = 2 * data.x.values[i * 8 + 0] + 1;
  }
  v1::FitOptions none;
  none.set_penalty(v1::PENALTY_NONE);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, none);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(m.status().message(), HasSubstr("singular"));
  EXPECT_TRUE(FitLogistic(data.x, data.y).ok());
}

TEST(FitLogistic, ValidatesOptions) {
  v1::FitOptions o;
  o.set_c(0);
  EXPECT_THAT(ValidateFitOptions(o).message(), HasSubstr("c: must be > 0"));
  o.set_lambda(-1);
  EXPECT_THAT(ValidateFitOptions(o).message(), HasSubstr("lambda"));
  o.Clear();
  o.set_l1_ratio(1.5);
  EXPECT_THAT(ValidateFitOptions(o).message(), HasSubstr("l1_ratio"));
  o.Clear();
  o.set_tolerance(2);
  EXPECT_THAT(ValidateFitOptions(o).message(), HasSubstr("tolerance"));
  o.Clear();
  o.set_penalty(v1::PENALTY_L1);
  o.set_solver(v1::SOLVER_LBFGS);
  EXPECT_THAT(ValidateFitOptions(o).message(),
              HasSubstr("SOLVER_LBFGS cannot fit PENALTY_L1"));
  o.Clear();
  o.mutable_class_weights()->set_positive(-2);
  EXPECT_THAT(ValidateFitOptions(o).message(),
              HasSubstr("class_weights.positive"));
  o.Clear();
  o.set_max_iterations(-1);
  EXPECT_THAT(ValidateFitOptions(o).message(), HasSubstr("max_iterations"));
  EXPECT_TRUE(ValidateFitOptions(v1::FitOptions()).ok());
}

TEST(FitLogistic, ReportsNonConvergenceUnlessAllowed) {
  const Data data = Synthetic(500);
  v1::FitOptions options;
  options.set_solver(v1::SOLVER_LBFGS);
  options.set_max_iterations(2);
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(data.x, data.y, options);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(m.status().message(), HasSubstr("did not converge in 2"));
  options.set_allow_not_converged(true);
  m = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->report().converged());
  EXPECT_EQ(m->report().iterations(), 2);
}

TEST(FitLogistic, WithoutStandardizationCoefficientsAreInRawUnits) {
  const Data data = Synthetic();
  v1::FitOptions options;
  options.set_standardize(false);
  options.set_c(kInf);
  absl::StatusOr<v1::LogisticModel> raw = FitLogistic(data.x, data.y, options);
  options.clear_standardize();
  absl::StatusOr<v1::LogisticModel> std = FitLogistic(data.x, data.y, options);
  ASSERT_TRUE(raw.ok() && std.ok());
  // Without a penalty both are the same model.
  const RawCoefficients a = ToRawUnits(*raw), b = ToRawUnits(*std);
  for (size_t j = 0; j < 8; ++j) {
    EXPECT_EQ(raw->scales(static_cast<int>(j)), 1.0);
    EXPECT_NEAR(a.coefficients[j], b.coefficients[j], 1e-8);
  }
  EXPECT_NEAR(a.intercept, b.intercept, 1e-7);
}

// ---- Scoring, reasons, persistence
// ------------------------------------------------

v1::LogisticModel SmallModel() {
  Data data = Synthetic(400);
  return FitLogistic(data.x, data.y).value();
}

TEST(Predict, RefusesColumnsThatDoNotMatchNamingTheFirst) {
  const v1::LogisticModel m = SmallModel();
  Data data = Synthetic(10);
  std::swap(data.x.columns[2], data.x.columns[5]);
  absl::StatusOr<std::vector<double>> p = Predict(m, MatrixView::Of(data.x));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(),
              HasSubstr("column 2 is 'x5'; the model expects 'x2'"));
  data = Synthetic(10);
  data.x.columns.pop_back();
  data.x.values.resize(10 * 7);
  p = Predict(m, MatrixView::Of(data.x));
  EXPECT_THAT(p.status().message(), HasSubstr("column 7 'x7' is missing"));
}

// Found by fuzz_capi_bytes: finite values and extreme coefficients of both
// signs make the log-odds inf - inf.
TEST(Predict, RefusesLogOddsThatOverflowInsteadOfReturningNaN) {
  v1::LogisticModel m;
  m.set_format_version(1);
  for (const char* name : {"a", "b"}) {
    m.add_feature_names(name);
    m.add_means(0);
    m.add_scales(1);
  }
  m.add_coefficients(1e308);
  m.add_coefficients(-1e308);
  FeatureMatrix x;
  x.columns = {"a", "b"};
  x.values = {10, 10, 0, 0};
  x.customer_ids = {"over", "fine"};
  absl::StatusOr<std::vector<double>> p = Predict(m, MatrixView::Of(x));
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("row 0: the model's log-odds overflow"));
}

TEST(Predict, ComputesTheLogisticOfTheStandardizedScore) {
  const v1::LogisticModel m = SmallModel();
  Data data = Synthetic(50, 99);
  absl::StatusOr<std::vector<double>> p = Predict(m, MatrixView::Of(data.x));
  ASSERT_TRUE(p.ok());
  for (size_t i = 0; i < 50; ++i) {
    double eta = m.intercept();
    for (int j = 0; j < 8; ++j) {
      eta += m.coefficients(j) * (data.x.values[i * 8 + j] - m.means(j)) /
             m.scales(j);
    }
    EXPECT_NEAR((*p)[i], 1 / (1 + std::exp(-eta)), 1e-13);
  }
  data.x.values[3 * 8 + 1] = kNaN;
  p = Predict(m, MatrixView::Of(data.x));
  EXPECT_THAT(p.status().message(), HasSubstr("row 3, column 'x1' is NaN"));
  data.x.values[3 * 8 + 1] = kInf;
  p = Predict(m, MatrixView::Of(data.x));
  EXPECT_THAT(p.status().message(),
              HasSubstr("row 3, column 'x1' is infinite"));
  std::vector<double> out(3);
  data = Synthetic(4);
  EXPECT_THAT(
      PredictInto(m, MatrixView::Of(data.x), absl::MakeSpan(out)).message(),
      HasSubstr("the output holds 3 values for 4 rows"));
}

TEST(FitLogistic, WinsorizingClipsToTrainingQuantilesWhenScoring) {
  Data data = Synthetic(1001);
  data.x.values[7 * 8 + 0] = 1e9;  // one extreme value in x0
  v1::FitOptions o;
  o.set_winsorize(0.05);
  const v1::LogisticModel m = FitLogistic(data.x, data.y, o).value();
  ASSERT_EQ(m.clip_lower_size(), 8);
  ASSERT_EQ(m.clip_upper_size(), 8);
  for (int j = 0; j < 8; ++j) {
    // Nearest-rank quantiles of 1001 values: the 51st smallest and largest.
    std::vector<double> column;
    for (size_t i = 0; i < 1001; ++i)
      column.push_back(data.x.values[i * 8 + j]);
    std::sort(column.begin(), column.end());
    EXPECT_EQ(m.clip_lower(j), column[50]) << j;
    EXPECT_EQ(m.clip_upper(j), column[950]) << j;
  }
  // The same fit as on data clipped by hand, without winsorizing.
  Data clipped = data;
  for (size_t i = 0; i < clipped.x.values.size(); ++i) {
    const int j = static_cast<int>(i % 8);
    clipped.x.values[i] =
        std::clamp(clipped.x.values[i], m.clip_lower(j), m.clip_upper(j));
  }
  const v1::LogisticModel by_hand =
      FitLogistic(clipped.x, clipped.y, {}).value();
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(m.coefficients(j), by_hand.coefficients(j));
  }
  // Scoring clips too: an extreme row scores as the row at the bound, and
  // its reason shows the raw value with the clipped contribution.
  FeatureMatrix two;
  two.columns = data.x.columns;
  two.customer_ids = {"far", "bound"};
  two.values.assign(16, 0.0);
  for (int j = 0; j < 8; ++j) two.values[j] = two.values[8 + j] = m.means(j);
  two.values[0] = 1e12;
  two.values[8] = m.clip_upper(0);
  const std::vector<double> p = Predict(m, MatrixView::Of(two)).value();
  EXPECT_EQ(p[0], p[1]);
  const v1::Explanations why =
      Explain(m, MatrixView::Of(two), {.top_k = 8}).value();
  EXPECT_EQ(why.rows(0).probability(), why.rows(1).probability());
  for (const auto* list : {&why.rows(0).risk(), &why.rows(0).protective()}) {
    for (const v1::Reason& r : *list) {
      if (r.feature() == "x0") {
        EXPECT_EQ(r.value(), 1e12);
      }
    }
  }
  // An infinite value is still an error, not an extreme clipped in range.
  two.values[0] = INFINITY;
  EXPECT_THAT(Predict(m, MatrixView::Of(two)).status().message(),
              HasSubstr("row 0, column 'x0' is infinite"));
  EXPECT_FALSE(Explain(m, MatrixView::Of(two), {.top_k = 8}).ok());
  // Bounds survive serialization; bad bounds are refused.
  EXPECT_EQ(ParseModel(SerializeModel(m).value()).value().clip_upper(0),
            m.clip_upper(0));
  v1::LogisticModel bad = m;
  bad.mutable_clip_upper()->RemoveLast();
  EXPECT_THAT(ValidateModel(bad).message(),
              HasSubstr("clip_upper: 7 values for 8 feature_names"));
  bad = m;
  bad.set_clip_lower(3, m.clip_upper(3) + 1);
  EXPECT_THAT(ValidateModel(bad).message(),
              HasSubstr("clip_lower[3]: must be <= clip_upper[3]"));
  for (double q : {-0.1, 0.5, kNaN}) {
    o.set_winsorize(q);
    EXPECT_THAT(ValidateFitOptions(o).message(), HasSubstr("winsorize"));
  }
}

TEST(SelectColumns, PicksNamedColumnsInOrderAndNamesAMissingOne) {
  const Data data = Synthetic(5);
  const std::vector<std::string> names = {"x3", "x0"};
  const FeatureMatrix m = SelectColumns(data.x, names).value();
  EXPECT_EQ(m.columns, names);
  EXPECT_EQ(m.customer_ids, data.x.customer_ids);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(m.row(i)[0], data.x.row(i)[3]);
    EXPECT_EQ(m.row(i)[1], data.x.row(i)[0]);
  }
  const std::vector<std::string> unknown = {"x1", "logins_30d"};
  EXPECT_THAT(SelectColumns(data.x, unknown).status().message(),
              HasSubstr("no column 'logins_30d'"));
}

TEST(Explain, ContributionsAddUpAndFillDescriptions) {
  const v1::LogisticModel m = SmallModel();
  Data data = Synthetic(30, 5);
  v1::FeatureSet set;
  v1::FeatureSpec* spec = set.add_features();
  spec->set_name("x6");
  spec->set_description("logins down {value:%} over 3 weeks");
  spec = set.add_features();
  spec->set_name("x0");
  spec->set_description("{value} days since the last order");
  absl::StatusOr<v1::Explanations> why =
      Explain(m, MatrixView::Of(data.x), {.top_k = 8, .feature_set = &set});
  ASSERT_TRUE(why.ok()) << why.status();
  ASSERT_EQ(why->rows_size(), 30);
  absl::StatusOr<std::vector<double>> p = Predict(m, MatrixView::Of(data.x));
  for (int r = 0; r < 30; ++r) {
    const v1::Explanation& e = why->rows(r);
    EXPECT_EQ(e.customer_id(), "c" + std::to_string(r));
    double sum = e.baseline_log_odds();
    double last = kInf;
    for (const v1::Reason& reason : e.risk()) {
      EXPECT_GT(reason.contribution(), 0);
      EXPECT_LE(reason.contribution(), last);
      last = reason.contribution();
      sum += reason.contribution();
    }
    last = -kInf;
    for (const v1::Reason& reason : e.protective()) {
      EXPECT_LT(reason.contribution(), 0);
      EXPECT_GE(reason.contribution(), last);
      last = reason.contribution();
      sum += reason.contribution();
    }
    // top_k = d: every nonzero contribution is listed, but those of the
    // features adjusting for correlated ones, summed in `adjustment`.
    EXPECT_NEAR(sum + e.adjustment(), e.log_odds(), 1e-12);
    EXPECT_NEAR(e.probability(), (*p)[r], 1e-13);
    for (const auto* list : {&e.risk(), &e.protective()}) {
      for (const v1::Reason& reason : *list) {
        if (reason.feature() == "x6") {
          EXPECT_THAT(reason.text(), HasSubstr("logins down "));
          EXPECT_THAT(reason.text(), HasSubstr("% over 3 weeks"));
        } else if (reason.feature() == "x0") {
          EXPECT_THAT(reason.text(), HasSubstr(" days since the last order"));
        } else {
          EXPECT_THAT(reason.text(), HasSubstr(reason.feature() + " = "));
        }
      }
    }
  }
  why = Explain(m, MatrixView::Of(data.x), {.top_k = 1});
  ASSERT_TRUE(why.ok());
  EXPECT_LE(why->rows(0).risk_size(), 1);
  EXPECT_LE(why->rows(0).protective_size(), 1);
  EXPECT_FALSE(Explain(m, MatrixView::Of(data.x), {.top_k = -1}).ok());
}

TEST(Explain, PercentAndNumberFormats) {
  FeatureMatrix x;
  x.columns = {"drop"};
  std::vector<uint8_t> y;
  for (int i = 0; i < 20; ++i) {
    x.values.push_back(i * 0.05);
    x.customer_ids.push_back(std::to_string(i));
    y.push_back(i % 2 == 0 && i > 6 ? 1 : i > 14);
  }
  const v1::LogisticModel m = FitLogistic(x, y).value();
  ASSERT_GT(m.coefficients(0), 0);
  v1::FeatureSet set;
  set.add_features()->set_name("drop");
  set.mutable_features(0)->set_description("activity down {value:%}");
  FeatureMatrix one;
  one.columns = {"drop"};
  one.values = {0.95};
  one.customer_ids = {"c"};
  absl::StatusOr<v1::Explanations> why =
      Explain(m, MatrixView::Of(one), {.top_k = 1, .feature_set = &set});
  ASSERT_TRUE(why.ok());
  ASSERT_EQ(why->rows(0).risk_size(), 1);
  EXPECT_EQ(why->rows(0).risk(0).text(), "activity down 95%");
  // A level is said against the reference its contribution is measured
  // from: the training mean (0.05 x 19 / 2).
  set.mutable_features(0)->set_description("{value} days");
  why = Explain(m, MatrixView::Of(one), {.top_k = 1, .feature_set = &set});
  EXPECT_EQ(why->rows(0).risk(0).text(), "0.95 days (2x the average 0.47)");
}

// Two strongly correlated features (r about 0.96) of which the joint fit
// gives the second the sign opposite to its own direction: churn rises
// with both alone, but given `a`, more `b` protects. Plus two independent
// features.
Data Collinear(size_t n = 4000, uint64_t seed = 77) {
  SplitMix64 rng(seed);
  Data data;
  data.x.columns = {"a", "b", "c", "d"};
  for (size_t i = 0; i < n; ++i) {
    const double z = rng.Normal(), e = rng.Normal();
    const double c = rng.Normal(), d = rng.Normal();
    const double a = z, b = z + 0.3 * e;
    data.x.values.insert(data.x.values.end(), {a, b, 5 + 2 * c, d});
    const double eta = -0.5 + 3 * a - 1.5 * b + 0.6 * c - 0.8 * d;
    data.y.push_back(rng.Uniform() < 1.0 / (1.0 + std::exp(-eta)) ? 1 : 0);
    data.x.customer_ids.push_back("c" + std::to_string(i));
  }
  return data;
}

// Pearson correlation of column j with the labels, computed directly.
double Pearson(const Data& data, size_t j) {
  const size_t n = data.y.size(), d = data.x.num_cols();
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += data.x.values[i * d + j];
    my += data.y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = data.x.values[i * d + j] - mx, dy = data.y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(Factors, AFlippedSignIsAnAdjustmentNotAStrongestFactorNorAReason) {
  const Data data = Collinear();
  const v1::LogisticModel m = FitLogistic(data.x, data.y).value();
  ASSERT_EQ(m.univariate_correlation_size(), 4);
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_NEAR(m.univariate_correlation(static_cast<int>(j)), Pearson(data, j),
                1e-12)
        << j;
  }
  // The premise: b raises churn alone, the joint fit gives it a minus.
  ASSERT_GT(m.univariate_correlation(1), 0.2);
  ASSERT_LT(m.coefficients(1), -0.5);
  ASSERT_GT(m.coefficients(1) * -1, std::abs(m.coefficients(2)));

  const std::vector<v1::Factor> strongest = StrongestFactors(m, 10);
  std::vector<std::string> names;
  for (const v1::Factor& f : strongest) {
    names.push_back(f.feature());
    ASSERT_TRUE(f.has_univariate_correlation());
    EXPECT_GT(f.coefficient() * f.univariate_correlation(), 0) << f.feature();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "d", "c"}));
  const std::vector<v1::Factor> adjusting = AdjustingFactors(m, 10);
  ASSERT_EQ(adjusting.size(), 1u);
  EXPECT_EQ(adjusting[0].feature(), "b");
  EXPECT_EQ(adjusting[0].coefficient(), m.coefficients(1));
  EXPECT_EQ(adjusting[0].univariate_correlation(), m.univariate_correlation(1));
  EXPECT_EQ(StrongestFactors(m, 2).size(), 2u);

  // Never a reason, on either side; its contributions are the adjustment.
  const v1::Explanations why =
      Explain(m, MatrixView::Of(data.x), {.top_k = 4}).value();
  int b_risk = 0;
  for (int r = 0; r < why.rows_size(); ++r) {
    const v1::Explanation& e = why.rows(r);
    double sum = e.baseline_log_odds();
    for (const auto* list : {&e.risk(), &e.protective()}) {
      for (const v1::Reason& reason : *list) {
        EXPECT_NE(reason.feature(), "b") << r;
        sum += reason.contribution();
      }
    }
    const double b = data.x.values[r * 4 + 1];
    const double expected = m.coefficients(1) * (b - m.means(1)) / m.scales(1);
    EXPECT_NEAR(e.adjustment(), expected, 1e-12) << r;
    EXPECT_NEAR(sum + e.adjustment(), e.log_odds(), 1e-12) << r;
    b_risk += expected > 0;
  }
  EXPECT_GT(b_risk, 100);  // b would have been a risk reason this often
}

TEST(Factors, TheCorrelationIsTheSameForAnyThreadCountAndHonoursWeights) {
  const Data data = Collinear(20000, 5);
  v1::FitOptions o;
  o.set_threads(1);
  const v1::LogisticModel one = FitLogistic(data.x, data.y, o).value();
  o.set_threads(4);
  const v1::LogisticModel four = FitLogistic(data.x, data.y, o).value();
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(one.univariate_correlation(j), four.univariate_correlation(j));
  }
  // Integer weights are repeated rows; unstandardized fits agree too.
  Data twice = data;
  std::vector<double> weights(data.y.size(), 1.0);
  weights[0] = 2;
  twice.x.values.insert(twice.x.values.end(), data.x.values.begin(),
                        data.x.values.begin() + 4);
  twice.y.push_back(data.y[0]);
  twice.x.customer_ids.push_back("again");
  o.set_standardize(false);
  const v1::LogisticModel weighted =
      FitLogistic(data.x, data.y, o, weights).value();
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(weighted.univariate_correlation(j), Pearson(twice, j), 1e-12);
  }
}

// L-BFGS takes its first point, whose gradient gives the correlations, from
// the statistics pass (the churners' column sums) instead of a pass over the
// rows: still Pearson's, standardized or not, with sample and class weights.
TEST(Factors, LbfgsCorrelationsFromTheStatisticsPassArePearsons) {
  const Data data = Collinear(20000, 5);
  Data twice = data;  // integer weights are repeated rows
  std::vector<double> weights(data.y.size(), 1.0);
  weights[7] = 2;
  twice.x.values.insert(twice.x.values.end(), data.x.values.begin() + 28,
                        data.x.values.begin() + 32);
  twice.y.push_back(data.y[7]);
  twice.x.customer_ids.push_back("again");
  for (bool standardize : {true, false}) {
    for (bool balanced : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "standardize " << standardize
                                        << ", balanced " << balanced);
      v1::FitOptions o;
      o.set_standardize(standardize);
      o.mutable_class_weights()->set_balanced(balanced);
      o.set_solver(v1::SOLVER_LBFGS);
      const v1::LogisticModel lbfgs =
          FitLogistic(data.x, data.y, o, weights).value();
      o.set_solver(v1::SOLVER_NEWTON_CHOLESKY);
      const v1::LogisticModel newton =
          FitLogistic(data.x, data.y, o, weights).value();
      ASSERT_EQ(lbfgs.report().solver(), v1::SOLVER_LBFGS);
      for (int j = 0; j < 4; ++j) {
        EXPECT_NEAR(lbfgs.univariate_correlation(j), Pearson(twice, j), 1e-12);
        EXPECT_NEAR(lbfgs.coefficients(j), newton.coefficients(j), 1e-5);
      }
      EXPECT_NEAR(lbfgs.report().initial_gradient_norm(),
                  newton.report().initial_gradient_norm(),
                  1e-10 * newton.report().initial_gradient_norm());
    }
  }
}

TEST(Factors, OldModelsWithoutDirectionsListAndExplainAsBefore) {
  const Data data = Collinear();
  v1::LogisticModel m = FitLogistic(data.x, data.y).value();
  m.clear_univariate_correlation();  // a model fitted before the field
  m = ParseModel(SerializeModel(m).value()).value();
  const std::vector<v1::Factor> strongest = StrongestFactors(m, 10);
  std::vector<std::string> names;
  for (const v1::Factor& f : strongest) {
    names.push_back(f.feature());
    EXPECT_FALSE(f.has_univariate_correlation());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "d", "c"}));
  EXPECT_TRUE(AdjustingFactors(m, 10).empty());
  const v1::Explanations why =
      Explain(m, MatrixView::Of(data.x), {.top_k = 4}).value();
  int b_reasons = 0;
  for (const v1::Explanation& e : why.rows()) {
    EXPECT_EQ(e.adjustment(), 0);
    double sum = e.baseline_log_odds();
    int listed = 0;
    for (const auto* list : {&e.risk(), &e.protective()}) {
      for (const v1::Reason& reason : *list) {
        b_reasons += reason.feature() == "b";
        sum += reason.contribution();
        ++listed;
      }
    }
    EXPECT_NEAR(sum, e.log_odds(), 1e-12);
    EXPECT_EQ(listed, 4);  // every feature, b included
  }
  EXPECT_EQ(b_reasons, why.rows_size());
}

TEST(Factors, ValidateModelNamesABadCorrelation) {
  v1::LogisticModel m = FitLogistic(Collinear(500).x, Collinear(500).y).value();
  v1::LogisticModel bad = m;
  bad.mutable_univariate_correlation()->RemoveLast();
  EXPECT_THAT(
      ValidateModel(bad).message(),
      HasSubstr("univariate_correlation: 3 values for 4 feature_names"));
  for (double r : {1.5, kNaN}) {
    bad = m;
    bad.set_univariate_correlation(2, r);
    EXPECT_THAT(ValidateModel(bad).message(),
                HasSubstr("univariate_correlation[2]: "));
    EXPECT_FALSE(SerializeModel(bad).ok());
  }
}

// A hand-made model of a level and its change, with directions: fewer
// orders raise risk, and so does a fall against the baseline.
v1::LogisticModel OrdersModel() {
  v1::LogisticModel m;
  m.set_format_version(1);
  m.add_feature_names("orders_90d");
  m.add_means(8);
  m.add_scales(4);
  m.add_coefficients(-1);
  m.add_univariate_correlation(-0.3);
  m.add_feature_names("orders_change_30d");
  m.add_means(0);
  m.add_scales(0.5);
  m.add_coefficients(-0.2);
  m.add_univariate_correlation(-0.1);
  m.set_intercept(-2);
  return m;
}

v1::FeatureSet OrdersFeatures() {
  v1::FeatureSet set;
  v1::FeatureSpec* level = set.add_features();
  level->set_name("orders_90d");
  level->set_description("{value} orders in 90 days");
  level->set_change_feature("orders_change_30d");
  v1::FeatureSpec* change = set.add_features();
  change->set_name("orders_change_30d");
  change->set_description("orders {value:%} against the 90-day baseline");
  return set;
}

std::string RiskText(const v1::LogisticModel& m, const v1::FeatureSet& set,
                     std::vector<double> row, int top_k = 1, int k = 0) {
  FeatureMatrix x;
  x.columns = {"orders_90d", "orders_change_30d"};
  x.values = std::move(row);
  const v1::Explanations why =
      Explain(m, MatrixView::Of(x), {.top_k = top_k, .feature_set = &set})
          .value();
  if (why.rows(0).risk_size() <= k) return "(none)";
  return why.rows(0).risk(k).text();
}

TEST(Reasons, ALevelReadsAgainstTheAverageLedByItsChange) {
  const v1::LogisticModel m = OrdersModel();
  const v1::FeatureSet set = OrdersFeatures();
  // Below the average and down against the baseline: the change leads.
  EXPECT_EQ(RiskText(m, set, {2, -0.6}),
            "orders -60% against the 90-day baseline (2 orders in 90 days, "
            "75% below the average 8)");
  // The change is a reason of its own: not said twice.
  EXPECT_EQ(RiskText(m, set, {2, -0.6}, 2, 0),
            "2 orders in 90 days (75% below the average 8)");
  EXPECT_EQ(RiskText(m, set, {2, -0.6}, 2, 1),
            "orders -60% against the 90-day baseline");
  // A change pointing the other way (or none) does not lead.
  EXPECT_EQ(RiskText(m, set, {6, 0.2}),
            "6 orders in 90 days (25% below the average 8)");
  EXPECT_EQ(RiskText(m, set, {6, 0}),
            "6 orders in 90 days (25% below the average 8)");
  // A column without a description is a level too.
  EXPECT_EQ(RiskText(m, v1::FeatureSet(), {2, -0.6}),
            "orders_90d = 2 (75% below the average 8)");
  // Without the change feature in the set, the level alone.
  v1::FeatureSet plain = set;
  plain.mutable_features(0)->clear_change_feature();
  EXPECT_EQ(RiskText(m, plain, {2, -0.6}),
            "2 orders in 90 days (75% below the average 8)");
  // Above the average: by percent, then by multiple (here as protective
  // levels of a model where more orders raise the risk).
  v1::LogisticModel more = m;
  more.set_coefficients(0, 1);
  more.set_univariate_correlation(0, 0.3);
  EXPECT_EQ(RiskText(more, plain, {10, 0}),
            "10 orders in 90 days (25% above the average 8)");
  EXPECT_EQ(RiskText(more, set, {20, 0.5}),
            "orders 50% against the 90-day baseline (20 orders in 90 days, "
            "2.5x the average 8)");
  // Ten times a rare event's mean or more: the mean alone, with two
  // significant digits when small.
  more.set_means(0, 0.0012);
  EXPECT_EQ(RiskText(more, plain, {1, 0}),
            "1 orders in 90 days (average 0.0012)");
  more.set_means(0, 0.5);
  EXPECT_EQ(RiskText(more, plain, {4.9, 0}),
            "4.9 orders in 90 days (9.8x the average 0.5)");
  // A negative mean has no ratio.
  more.set_means(0, -3);
  EXPECT_EQ(RiskText(more, plain, {1, 0}), "1 orders in 90 days (average -3)");
}

TEST(SerializeModel, RoundTripsExactly) {
  v1::LogisticModel m = SmallModel();
  absl::StatusOr<std::string> bytes = SerializeModel(m);
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<v1::LogisticModel> back = ParseModel(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  absl::StatusOr<std::string> again = SerializeModel(*back);
  EXPECT_EQ(*again, *bytes);
  back->clear_checksum();
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*back, m));
  Data data = Synthetic(100, 11);
  EXPECT_EQ(*Predict(m, MatrixView::Of(data.x)),
            *Predict(*back, MatrixView::Of(data.x)));
}

TEST(ParseModel, RefusesCorruptedBytes) {
  const std::string bytes = SerializeModel(SmallModel()).value();
  // Every single-byte change is refused, never a crash or a silent model.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x24);
    absl::StatusOr<v1::LogisticModel> m = ParseModel(bad);
    EXPECT_FALSE(m.ok()) << "byte " << i;
  }
  EXPECT_EQ(ParseModel(bytes.substr(0, bytes.size() / 2)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(ParseModel("").ok());
  EXPECT_EQ(ParseModel("\xff\xff\xff").status().code(),
            absl::StatusCode::kDataLoss);
  v1::LogisticModel newer = SmallModel();
  newer.set_format_version(kLogisticModelFormat + 1);
  std::string raw;
  newer.SerializeToString(&raw);
  EXPECT_THAT(ParseModel(raw).status().message(), HasSubstr("is newer"));
  v1::LogisticModel broken = SmallModel();
  broken.set_scales(3, 0);
  broken.SerializeToString(&raw);
  EXPECT_THAT(ParseModel(raw).status().message(), HasSubstr("scales[3]"));
  broken = SmallModel();
  broken.mutable_coefficients()->RemoveLast();
  EXPECT_THAT(SerializeModel(broken).status().message(),
              HasSubstr("coefficients: 7 values for 8 feature_names"));
}

// ---- Plain tables
// --------------------------------------------------------------

class TableTest : public ::testing::Test {
 protected:
  PlainTable Write(const std::string& text) {
    const std::string path =
        (fs::path(::testing::TempDir()) /
         (std::string(
              ::testing::UnitTest::GetInstance()->current_test_info()->name()) +
          ".csv"))
            .string();
    std::ofstream(path) << text;
    absl::StatusOr<PlainTable> t = ReadPlainTable(path);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *std::move(t) : PlainTable{};
  }
};

TEST_F(TableTest, DetectsNumericAndCategoricalColumns) {
  const PlainTable t = Write(
      "id,plan,spend,churned,notes\n"
      "a,pro, 10 ,yes,x\n"
      "b,basic,,no,y\n"
      "c,pro,3.5,YES,z\n"
      "d,enterprise,NA,0,w\n");
  v1::TableOptions o;
  o.set_label_column("churned");
  o.set_id_column("id");
  o.add_ignore("notes");
  absl::StatusOr<EncodedTable> e = EncodeTable(t, o);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->features.columns,
            (std::vector<std::string>{"plan=basic", "plan=enterprise",
                                      "plan=pro", "spend"}));
  EXPECT_EQ(e->labels, (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(e->features.customer_ids,
            (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(e->features.at(0, 2), 1.0);
  EXPECT_EQ(e->features.at(0, 3), 10.0);
  EXPECT_TRUE(std::isnan(e->features.at(1, 3)));
  EXPECT_TRUE(std::isnan(e->features.at(3, 3)));
  o.set_drop_first_level(true);
  e = EncodeTable(t, o);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->features.columns,
            (std::vector<std::string>{"plan=enterprise", "plan=pro", "spend"}));
  EXPECT_EQ(e->features.at(1, 0), 0.0);  // "basic": all indicators 0
  EXPECT_EQ(e->features.at(1, 1), 0.0);
}

TEST_F(TableTest, RejectsBadLabelsColumnsAndTooManyLevels) {
  const PlainTable t = Write(
      "id,plan,spend,churned\n"
      "a,pro,10,maybe\n"
      "b,basic,x,no\n");
  v1::TableOptions o;
  EXPECT_THAT(EncodeTable(t, o).status().message(),
              HasSubstr("label_column: required"));
  o.set_label_column("churn");
  EXPECT_THAT(EncodeTable(t, o).status().message(),
              HasSubstr("no label column 'churn'; columns are: id, plan"));
  o.set_label_column("churned");
  EXPECT_THAT(EncodeTable(t, o).status().message(),
              HasSubstr(":2: column 'churned': 'maybe' is not a label"));
  o.set_positive_label("maybe");
  o.set_max_levels(1);
  EXPECT_THAT(EncodeTable(t, o).status().message(),
              HasSubstr("column 'id' has more than 1 distinct values"));
  o.set_id_column("id");
  o.set_max_levels(5);
  o.add_numeric("spend");
  EXPECT_THAT(EncodeTable(t, o).status().message(),
              HasSubstr(":3: column 'spend': 'x' is not a number"));
}

TEST_F(TableTest, UnseenLevelsContributeNothing) {
  std::string csv = "id,plan,spend,churned\n";
  for (int i = 0; i < 60; ++i) {
    const char* plan = i % 3 == 0 ? "pro" : i % 3 == 1 ? "basic" : "team";
    csv += "c" + std::to_string(i) + "," + plan + "," + std::to_string(i % 7) +
           "," + (i % 3 == 1 || i % 5 == 0 ? "1" : "0") + "\n";
  }
  const PlainTable train = Write(csv);
  v1::TableOptions o;
  o.set_label_column("churned");
  o.set_id_column("id");
  absl::StatusOr<EncodedTable> e = EncodeTable(train, o);
  ASSERT_TRUE(e.ok()) << e.status();
  absl::StatusOr<v1::LogisticModel> m = FitLogistic(e->features, e->labels);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(EncodeForModel(*m, train).ok());  // no encoding stored yet
  *m->mutable_encoding() = e->encoding;
  ASSERT_TRUE(ValidateModel(*m).ok());
  const PlainTable fresh = Write("spend,plan,id\n3,gold,new\n3,pro,old\n");
  absl::StatusOr<EncodedTable> scored = EncodeForModel(*m, fresh);
  ASSERT_TRUE(scored.ok()) << scored.status();
  EXPECT_TRUE(scored->labels.empty());
  absl::StatusOr<v1::Explanations> why =
      Explain(*m, MatrixView::Of(scored->features), {.top_k = 5});
  ASSERT_TRUE(why.ok());
  for (const auto* list : {&why->rows(0).risk(), &why->rows(0).protective()}) {
    for (const v1::Reason& r : *list) {
      EXPECT_EQ(r.feature(), "spend") << "an unseen plan must add nothing";
    }
  }
  const PlainTable missing = Write("id,spend\nx,1\n");
  EXPECT_THAT(EncodeForModel(*m, missing).status().message(),
              HasSubstr("no feature column 'plan'"));
}

TEST(ReadPlainTable, ReportsMissingFilesAndRaggedRows) {
  EXPECT_EQ(ReadPlainTable("/nonexistent/x.csv").status().code(),
            absl::StatusCode::kNotFound);
  const std::string path =
      (fs::path(::testing::TempDir()) / "ragged.csv").string();
  std::ofstream(path) << "a,b\n1,2\n3\n";
  EXPECT_THAT(ReadPlainTable(path).status().message(),
              HasSubstr(":3: 1 fields; the header has 2"));
  std::ofstream(path) << "a,a\n1,2\n";
  EXPECT_THAT(ReadPlainTable(path).status().message(),
              HasSubstr("duplicate header column 'a'"));
}

// ---- Cross-validation
// ------------------------------------------------------------

TEST(CrossValidateLogistic, ScoresEveryRowOutOfFold) {
  const Data data = Synthetic(1000);
  absl::StatusOr<CrossValidation> cv =
      CrossValidateLogistic(data.x, data.y, {}, 5, 42);
  ASSERT_TRUE(cv.ok()) << cv.status();
  ASSERT_EQ(cv->fold_auc.size(), 5u);
  for (double auc : cv->fold_auc) EXPECT_GT(auc, 0.75);
  absl::StatusOr<double> auc = RocAuc(data.y, cv->probabilities);
  ASSERT_TRUE(auc.ok());
  EXPECT_GT(*auc, 0.75);
  // The same seed gives the same folds.
  absl::StatusOr<CrossValidation> again =
      CrossValidateLogistic(data.x, data.y, {}, 5, 42);
  EXPECT_EQ(again->probabilities, cv->probabilities);
  EXPECT_FALSE(CrossValidateLogistic(data.x, data.y, {}, 1, 42).ok());
}

}  // namespace
}  // namespace churnkit
