// The jobs API (jobs.h): defaults resolved in one place, every bad field
// named, and the train job equal to the steps it stands for.
#include "churnkit/jobs.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "churnkit/assess.h"
#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "churnkit/scorecard_learn.h"
#include "churnkit/segment.h"
#include "error_text.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

v1::TrainRequest Request(const std::string& text) {
  v1::TrainRequest r;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r)) << text;
  return r;
}

const Dataset& Generated() {
  static const GeneratedData* data = [] {
    v1::GeneratorConfig config;
    config.set_customers(600);
    config.set_seed(11);
    config.set_start_date("2024-01-01");
    config.set_end_date("2025-06-30");
    return new GeneratedData(GenerateInMemory(config).value());
  }();
  return data->dataset;
}

// Each request of `bad` (text format) is refused by `job` with an error
// naming the fragment.
template <typename Request, typename Job>
void ExpectRefused(absl::Span<const std::pair<std::string, std::string>> bad,
                   Job job) {
  for (const auto& [text, fragment] : bad) {
    Request r;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r));
    const auto e = job(r);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_THAT(e.status().message(), HasSubstr(fragment)) << text;
  }
}

// A CSV of `rows` customers (id, plan, tenure, churned yes/no) in the test
// directory; monthly plans churn early.
std::string PlanTable(const std::string& name, int rows) {
  const std::string path = ::testing::TempDir() + "/" + name + ".csv";
  std::ofstream out(path);
  out << "id,plan,tenure,churned\n";
  for (int i = 0; i < rows; ++i) {
    const bool monthly = i % 3 == 0;
    const int tenure = (i * 7) % 60;
    out << "c" << i << "," << (monthly ? "monthly" : "annual") << "," << tenure
        << "," << ((monthly && tenure < 40) || i % 11 == 0 ? "yes" : "no")
        << "\n";
  }
  return path;
}

constexpr char kDates[] =
    R"pb(as_of_dates: [ "2024-07-01", "2024-10-01", "2025-01-01" ])pb";

TEST(ResolveTrainRequest, FillsEveryDefault) {
  absl::StatusOr<v1::TrainRequest> r = ResolveTrainRequest(
      Request(R"pb(as_of_dates: [ "2024-07-01", "20241001" ])pb"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->as_of_dates(1), "2024-10-01");
  EXPECT_EQ(r->horizon_days(), 90);
  EXPECT_EQ(r->test_from(), "2024-10-01");
  EXPECT_EQ(r->panel_label(), v1::PANEL_LABEL_CHURN_BEGAN);
  EXPECT_EQ(r->features().SerializeAsString(),
            DefaultFeatureSet()->SerializeAsString());
  EXPECT_EQ(r->definition().SerializeAsString(),
            DefaultChurnDefinition()->SerializeAsString());
  EXPECT_EQ(r->fit().missing_values(), v1::MISSING_IMPUTE_MEAN);
  EXPECT_DOUBLE_EQ(r->fit().winsorize(), 0.01);
  EXPECT_EQ(r->top_factors(), 10);
  EXPECT_EQ(r->riskiest(), 5);
  EXPECT_EQ(r->reasons(), 3);
  // Resolving is idempotent, and given values are kept.
  absl::StatusOr<v1::TrainRequest> again = ResolveTrainRequest(*r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), r->SerializeAsString());
  absl::StatusOr<v1::TrainRequest> given = ResolveTrainRequest(
      Request(absl::StrCat(kDates, R"pb(horizon_days: 30
                                        fit { winsorize: 0 }
                                        top_factors: -1)pb")));
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->horizon_days(), 30);
  EXPECT_EQ(given->fit().winsorize(), 0);
  EXPECT_EQ(given->top_factors(), -1);
}

TEST(ResolveTrainRequest, NamesTheBadField) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "as_of_dates: at least two dates"},
      {R"pb(as_of_dates: [ "2024-07-01", "x" ])pb", "as_of_dates[1]: "},
      {R"pb(as_of_dates: [ "2024-07-01", "2024-07-01" ])pb",
       "as_of_dates[1]: 2024-07-01 is not after 2024-07-01"},
      {absl::StrCat(kDates, "horizon_days: -1"),
       "horizon_days: must be in 1..3650, got -1"},
      {absl::StrCat(kDates, "horizon_days: 3651"), "horizon_days: must be"},
      {absl::StrCat(kDates, R"pb(test_from: "2024-07-01")pb"),
       "test_from: 2024-07-01 leaves no date to train on"},
      {absl::StrCat(kDates, R"pb(test_from: "2025-02-01")pb"),
       "test_from: 2025-02-01 is after the last date"},
      {absl::StrCat(kDates, R"pb(test_from: "soon")pb"), "test_from: "},
      {absl::StrCat(kDates, "panel_label: 9"), "panel_label: unknown value 9"},
      {absl::StrCat(kDates, "fit { winsorize: 0.7 }"), "fit.winsorize"},
      {absl::StrCat(kDates, "fit { c: -1 }"), "fit.c"},
      {absl::StrCat(kDates, "top_factors: -2"), "top_factors: must be -1"},
      {absl::StrCat(kDates, "riskiest: 100001"), "riskiest: must be -1"},
      {absl::StrCat(kDates, "reasons: -5"), "reasons: must be -1"},
      {absl::StrCat(kDates, "threads: -1"), "threads: must be >= 0"},
      {absl::StrCat(kDates, "definition { passive { inactive_days: -3 } }"),
       "definition.passive[0].inactive_days"},
      {absl::StrCat(kDates, "features { features { name: \"\" } }"),
       "features.features[0]"},
  };
  for (const auto& [text, fragment] : cases) {
    absl::StatusOr<v1::TrainRequest> r = ResolveTrainRequest(Request(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(fragment)) << text;
  }
}

// The job equals its steps done by hand: panel, time split, fit on the
// early dates, evaluation of the late ones.
TEST(TrainChurnModel, EqualsThePanelFitAndEvaluationByHand) {
  const Dataset& ds = Generated();
  absl::StatusOr<v1::TrainResult> t =
      TrainChurnModel(ds, Request(absl::StrCat(kDates, "threads: 2")));
  ASSERT_TRUE(t.ok()) << t.status();

  const FeatureEngine engine =
      FeatureEngine::Create(*DefaultFeatureSet()).value();
  const ChurnLabeler labeler =
      ChurnLabeler::Create(*DefaultChurnDefinition()).value();
  std::vector<UnixSeconds> dates;
  for (const char* d : {"2024-07-01", "2024-10-01", "2025-01-01"}) {
    dates.push_back(*ParseTime(d));
  }
  TrainingPanel panel =
      BuildTrainingPanel(ds, engine, labeler, dates, 90).value();
  const TimeSplitRows split = TimeSplit(panel.features.as_of, dates.back());
  std::vector<uint8_t> train_y, test_y;
  for (size_t r : split.train) train_y.push_back(panel.labels[r]);
  for (size_t r : split.test) test_y.push_back(panel.labels[r]);
  v1::FitOptions fit;
  fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  fit.set_winsorize(0.01);
  const v1::LogisticModel model =
      FitLogistic(SelectRows(panel.features, split.train), train_y, fit)
          .value();
  ASSERT_EQ(t->model().coefficients_size(), model.coefficients_size());
  for (int j = 0; j < model.coefficients_size(); ++j) {
    EXPECT_DOUBLE_EQ(t->model().coefficients(j), model.coefficients(j));
  }
  const std::vector<double> p =
      Predict(model, MatrixView::Of(SelectRows(panel.features, split.test)))
          .value();
  const v1::Evaluation e = Evaluate(test_y, p).value();
  EXPECT_DOUBLE_EQ(t->held_out().roc_auc(), e.roc_auc());
  EXPECT_EQ(t->train().rows(), static_cast<int64_t>(split.train.size()));
  EXPECT_EQ(t->test().rows(), static_cast<int64_t>(split.test.size()));
  EXPECT_EQ(t->test().churned(), e.positives());
  EXPECT_EQ(t->num_features(), static_cast<int>(panel.features.num_cols()));
  EXPECT_EQ(t->test_from(), "2025-01-01");

  ASSERT_EQ(t->factors_size(), 10);
  for (int k = 1; k < t->factors_size(); ++k) {
    EXPECT_GE(std::abs(t->factors(k - 1).coefficient()),
              std::abs(t->factors(k).coefficient()));
  }
  // Strongest factors have the sign of their feature alone; the others
  // are listed apart and give no reasons.
  for (const v1::Factor& f : t->factors()) {
    EXPECT_GT(f.coefficient() * f.univariate_correlation(), 0) << f.feature();
  }
  EXPECT_EQ(t->adjusting_factors_size(),
            static_cast<int>(AdjustingFactors(t->model(), 10).size()));
  for (const v1::Factor& f : t->adjusting_factors()) {
    EXPECT_LE(f.coefficient() * f.univariate_correlation(), 0) << f.feature();
    for (const v1::RiskyCustomer& c : t->riskiest()) {
      for (const v1::Reason& r : c.explanation().risk()) {
        EXPECT_NE(r.feature(), f.feature());
      }
    }
  }
  ASSERT_EQ(t->riskiest_size(), 5);
  double top = 1;
  for (const v1::RiskyCustomer& c : t->riskiest()) {
    EXPECT_LE(c.explanation().probability(), top);
    top = c.explanation().probability();
    EXPECT_LE(c.explanation().risk_size(), 3);
  }

  // The same bytes whatever the thread count.
  absl::StatusOr<v1::TrainResult> one =
      TrainChurnModel(ds, Request(absl::StrCat(kDates, "threads: 1")));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->held_out().SerializeAsString(),
            t->held_out().SerializeAsString());
  EXPECT_THAT(one->model().coefficients(),
              ::testing::ElementsAreArray(t->model().coefficients()));
  EXPECT_EQ(one->riskiest(0).SerializeAsString(),
            t->riskiest(0).SerializeAsString());
}

TEST(TrainChurnModel, RefusesAHorizonPastTheDataAndEmptySides) {
  const Dataset& ds = Generated();
  absl::StatusOr<v1::TrainResult> t = TrainChurnModel(
      ds, Request(R"pb(as_of_dates: [ "2024-07-01", "2025-06-01" ])pb"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("the last date allowed"));
  t = TrainChurnModel(ds,
                      Request(R"pb(as_of_dates: [ "2010-01-01", "2024-07-01" ]
                                   test_from: "2024-07-01")pb"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("as_of: 2010-01-01"));
  EXPECT_FALSE(TrainChurnModel(Dataset(), Request(kDates)).ok());
}

// The assess job equals Assessor::Assess, and counts and ranks what it
// assessed.
TEST(AssessCustomers, EqualsTheAssessorAndSummarisesIt) {
  const Dataset& ds = Generated();
  absl::StatusOr<v1::TrainResult> trained =
      TrainChurnModel(ds, Request(kDates));
  ASSERT_TRUE(trained.ok()) << trained.status();
  v1::AssessRequest request;
  request.set_as_of("2025-04-01");
  *request.mutable_model() = trained->model();
  request.set_at_risk(7);
  request.set_backtest_days(90);
  absl::StatusOr<v1::AssessResponse> r = AssessCustomers(ds, request);
  ASSERT_TRUE(r.ok()) << r.status();

  const Assessor assessor = Assessor::Create({}).value();
  AssessOptions options;
  options.model = &trained->model();
  const AssessResult direct =
      assessor.Assess(ds, *ParseTime("2025-04-01"), options).value();
  EXPECT_EQ(r->assessment().SerializeAsString(),
            direct.assessment().SerializeAsString());

  const v1::Assessment& a = r->assessment();
  int64_t red = 0, alerts = 0;
  for (const v1::CustomerAssessment& c : a.customers()) {
    red += c.colour() == v1::RED;
    alerts += c.alerts_size();
  }
  EXPECT_EQ(r->summary().customers(), a.customers_size());
  EXPECT_EQ(r->summary().colours().at("RED"), red);
  EXPECT_EQ(r->summary().alerts(), alerts);
  ASSERT_EQ(r->at_risk_size(), 7);
  for (int k = 0; k < r->at_risk_size(); ++k) {
    const v1::CustomerAssessment& c = a.customers(r->at_risk(k));
    EXPECT_FALSE(c.churned());
    if (k > 0) {
      EXPECT_LE(c.churn_probability(),
                a.customers(r->at_risk(k - 1)).churn_probability());
    }
  }
  ASSERT_TRUE(r->has_backtest());
  EXPECT_EQ(
      r->backtest().SerializeAsString(),
      assessor.Backtest(ds, *ParseTime("2025-04-01"), 90)->SerializeAsString());

  // With the previous assessment every score gets its change.
  v1::AssessRequest next = request;
  next.set_as_of("2025-05-01");
  *next.mutable_previous() = a;
  next.set_backtest_days(0);
  absl::StatusOr<v1::AssessResponse> later = AssessCustomers(ds, next);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->has_backtest());
  int changed = 0;
  for (const v1::CustomerAssessment& c : later->assessment().customers()) {
    changed += !std::isnan(c.score_change());
  }
  EXPECT_GT(changed, 0);
}

// The checks a host runs before a long load are the jobs' own.
TEST(CheckRequests, RefuseWhatTheJobsRefuseBeforeReadingData) {
  v1::AssessRequest assess;
  EXPECT_THAT(CheckAssessRequest(assess).message(), HasSubstr("as_of"));
  assess.set_as_of("2025-01-01");
  EXPECT_TRUE(CheckAssessRequest(assess).ok());
  assess.mutable_config()->set_red_share(2);
  EXPECT_THAT(CheckAssessRequest(assess).message(),
              HasSubstr("config.red_share"));
  EXPECT_EQ(CheckAssessRequest(assess).message(),
            AssessCustomers(Generated(), assess).status().message());

  v1::SegmentRequest segment;
  EXPECT_THAT(CheckSegmentRequest(segment).message(),
              HasSubstr("options.as_of: required"));
  segment.mutable_options()->set_as_of("2025-01-01");
  EXPECT_TRUE(CheckSegmentRequest(segment).ok());
  segment.set_evidence_days(-7);
  EXPECT_THAT(CheckSegmentRequest(segment).message(),
              HasSubstr("evidence_days"));
  EXPECT_EQ(CheckSegmentRequest(segment).message(),
            SegmentCustomers(Generated(), segment).status().message());
}

TEST(AssessCustomers, NamesTheBadField) {
  const Dataset& ds = Generated();
  const std::pair<std::string, std::string> cases[] = {
      {"", "as_of: required"},
      {R"pb(as_of: "someday")pb", "as_of: "},
      {R"pb(as_of: "2025-04-01" model_reasons: -3)pb",
       "model_reasons: must be"},
      {R"pb(as_of: "2025-04-01" at_risk: 100001)pb", "at_risk: must be"},
      {R"pb(as_of: "2025-04-01" backtest_days: -1)pb",
       "backtest_days: must be"},
      {R"pb(as_of: "2025-04-01" backtest_days: 5000)pb",
       "longer than the history"},
      {R"pb(as_of: "2025-04-01" threads: -2)pb", "threads: must be >= 0"},
      {R"pb(as_of: "2025-04-01"
            config { red_share: 1.5 })pb",
       "config.red_share"},
      {R"pb(as_of: "2025-04-01"
            model { feature_names: "no_such_feature" coefficients: 1 })pb",
       "no_such_feature"},
  };
  for (const auto& [text, fragment] : cases) {
    v1::AssessRequest request;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &request))
        << text;
    absl::StatusOr<v1::AssessResponse> r = AssessCustomers(ds, request);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(fragment)) << text;
  }
}

// The segment job equals its steps: the assessment (risk from the model),
// the evidence assessment 90 days earlier, SegmentWithAssessment.
TEST(SegmentCustomers, EqualsItsStepsWithTheModelsRiskAndEvidence) {
  const Dataset& ds = Generated();
  absl::StatusOr<v1::TrainResult> trained =
      TrainChurnModel(ds, Request(kDates));
  ASSERT_TRUE(trained.ok()) << trained.status();
  v1::SegmentRequest request;
  request.mutable_options()->set_as_of("2025-06-01");
  *request.mutable_model() = trained->model();
  absl::StatusOr<v1::SegmentResponse> r = SegmentCustomers(ds, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->evidence_note(), "");

  const Assessor assessor = Assessor::Create({}).value();
  AssessOptions options;
  options.model = &trained->model();
  const UnixSeconds as_of = *ParseTime("2025-06-01");
  const AssessResult now = assessor.Assess(ds, as_of, options).value();
  const AssessResult then =
      assessor.Assess(ds, as_of - 90 * 86400, options).value();
  v1::SegmentOptions segment_options = request.options();
  segment_options.mutable_risk()->set_source(v1::CHURN_PROBABILITY);
  const v1::SegmentReport direct =
      SegmentWithAssessment(ds, segment_options, now.assessment(),
                            EvidenceFromAssessment(then.assessment()))
          .value();
  EXPECT_EQ(r->report().SerializeAsString(), direct.SerializeAsString());

  // Evidence from before the data is no error, only a note.
  request.set_evidence_days(3000);
  r = SegmentCustomers(ds, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->evidence_note(), HasSubstr("no evidence assessment 3000"));

  const std::pair<std::string, std::string> bad[] = {
      {"", "options.as_of: required"},
      {R"pb(options { as_of: "2025-06-01" }
            evidence_days: -2)pb",
       "evidence_days: must be"},
      {R"pb(options { as_of: "2025-06-01" }
            threads: -1)pb",
       "threads"},
      {R"pb(options {
              as_of: "2025-06-01"
              tiers { a_share: 1.5 }
            })pb",
       "options.tiers.a_share"},
  };
  ExpectRefused<v1::SegmentRequest>(bad, [&](const v1::SegmentRequest& r) {
    return SegmentCustomers(ds, r);
  });
}

// The CLV job equals its steps and resolves the horizon by time unit.
// An order log of 400 customers: each buys at random intervals averaging
// 8 to 67 days, around its own mean spend (30 to 79), and stops after a
// geometric number of orders. (The generator's order values are too
// heavy-tailed for a finite Gamma-Gamma mean on a few hundred customers.)
Dataset OrderLog() {
  DatasetBuilder builder;
  builder.set_implicit_customers(true);
  uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  const UnixSeconds start = *ParseTime("2024-01-01");
  for (int i = 0; i < 400; ++i) {
    const std::string id = absl::StrCat("c", i);
    const double mean = 30 + (i * 13) % 50;
    const double interval = 7 + (i * 37) % 60;
    const int orders = 1 + static_cast<int>(-4 * std::log(1 - uniform()));
    double day = i % 120;
    for (int k = 0; k < orders; ++k) {
      EventInput e;
      e.customer_id = id;
      e.kind = v1::ORDER;
      e.time = start + static_cast<int64_t>(86400 * day);
      day += 1 - interval * std::log(1 - uniform());
      e.amount = mean * (0.85 + 0.3 * uniform());
      EXPECT_TRUE(builder.AddEvent(e, {"test", 1}).ok());
    }
  }
  return builder.Build().value();
}

TEST(ComputeClv, EqualsTheFitsAndPredictionsAndResolvesDefaults) {
  const Dataset ds = OrderLog();
  v1::ClvRequest request;
  request.set_as_of("2025-06-01");
  request.mutable_fit()->set_tolerance(1e-6);
  absl::StatusOr<v1::ClvResponse> r = ComputeClv(ds, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->predict().horizon(), 365);
  const RfmSummaries rfm =
      ComputeRfmSummaries(ds, *ParseTime("2025-06-01")).value();
  const v1::ClvModel model = FitClv(rfm, request.fit()).value();
  EXPECT_EQ(r->model().SerializeAsString(), model.SerializeAsString());
  v1::ClvPredictOptions predict;
  predict.set_horizon(365);
  const ClvPredictions p =
      PredictClv(rfm, model.bg_nbd(), &model.gamma_gamma(), predict).value();
  ASSERT_EQ(r->customers_size(), static_cast<int>(rfm.size()));
  double total = 0;
  for (size_t i = 0; i < rfm.size(); ++i) {
    EXPECT_EQ(r->customers(i).clv(), p.clv[i]);
    total += p.clv[i];
  }
  EXPECT_DOUBLE_EQ(r->total_clv(), total);
  EXPECT_EQ(r->customers_without_orders(), rfm.customers_without_orders);

  // Weeks: a 52-week horizon and a monthly discount period of 52/12.
  request.mutable_rfm()->set_time_unit(v1::CLV_WEEKS);
  request.mutable_predict()->set_discount_rate(0.01);
  r = ComputeClv(ds, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->predict().horizon(), 52);
  EXPECT_DOUBLE_EQ(r->predict().discount_period(), 52.0 / 12);

  const std::pair<std::string, std::string> bad[] = {
      {"", "as_of: required"},
      {R"pb(as_of: "2025-06-01"
            rfm { time_unit: 7 })pb",
       "rfm.time_unit"},
      {R"pb(as_of: "2025-06-01"
            fit { tolerance: 1e-6 }
            predict { horizon: -5 })pb",
       "horizon: must be finite and > 0"},
      {R"pb(as_of: "2025-06-01"
            fit { penalizer_coef: -1 })pb",
       "penalizer_coef"},
  };
  ExpectRefused<v1::ClvRequest>(
      bad, [&](const v1::ClvRequest& r) { return ComputeClv(ds, r); });
}

// The table job equals EncodeTable + FitLogistic + CrossValidateLogistic.
TEST(TrainOnTable, EqualsTheFitAndCrossValidationByHand) {
  const std::string path = PlanTable("jobs_table", 200);
  v1::TrainTableRequest request;
  request.set_path(path);
  request.mutable_table()->set_label_column("churned");
  request.mutable_table()->set_id_column("id");
  absl::StatusOr<v1::TrainTableResult> t = TrainOnTable(request);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows(), 200);
  EXPECT_EQ(t->folds(), 5);
  EXPECT_EQ(t->numeric_columns(), 1);
  EXPECT_EQ(t->categorical_columns(), 1);

  const PlainTable table = ReadPlainTable(path, ',').value();
  const EncodedTable encoded = EncodeTable(table, request.table()).value();
  v1::FitOptions fit;
  fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  const v1::LogisticModel model =
      FitLogistic(encoded.features, encoded.labels, fit).value();
  EXPECT_THAT(t->model().coefficients(),
              ::testing::ElementsAreArray(model.coefficients()));
  const CrossValidation cv =
      CrossValidateLogistic(encoded.features, encoded.labels, fit, 5, 1)
          .value();
  EXPECT_DOUBLE_EQ(t->cross_validated().roc_auc(),
                   Evaluate(encoded.labels, cv.probabilities)->roc_auc());

  const std::pair<std::string, std::string> bad[] = {
      {"", "path: required"},
      {R"pb(path: "x.csv")pb", "table.label_column: required"},
      {R"pb(path: "x.csv"
            table { label_column: "c" }
            delimiter: ";;")pb",
       "delimiter: must be one character"},
      {R"pb(path: "x.csv"
            table { label_column: "c" }
            folds: 1)pb",
       "folds: must be"},
      {R"pb(path: "x.csv"
            table { label_column: "c" }
            fit { c: -2 })pb",
       "fit.c"},
      {R"pb(path: "/no/such.csv"
            table { label_column: "c" })pb",
       "/no/such.csv"},
  };
  ExpectRefused<v1::TrainTableRequest>(
      bad, [&](const v1::TrainTableRequest& r) { return TrainOnTable(r); });
}

// The scorecard job equals LearnScorecard on the panel it stands for, with
// the last date held out, and hands back an assessment config carrying it.
TEST(LearnHealthScorecard, EqualsTheLearnerOnThePanelByHand) {
  const Dataset& ds = Generated();
  v1::ScorecardRequest request;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      absl::StrCat(kDates, "options { binning: QUANTILE }"), &request));
  absl::StatusOr<v1::ScorecardResult> r = LearnHealthScorecard(ds, request);
  ASSERT_TRUE(r.ok()) << r.status();

  std::vector<UnixSeconds> dates;
  for (const char* d : {"2024-07-01", "2024-10-01", "2025-01-01"}) {
    dates.push_back(*ParseTime(d));
  }
  const TrainingPanel panel =
      BuildTrainingPanel(
          ds, FeatureEngine::Create(*DefaultFeatureSet()).value(),
          ChurnLabeler::Create(*DefaultChurnDefinition()).value(), dates, 90)
          .value();
  v1::ScorecardLearnOptions options;
  options.set_binning(v1::ScorecardLearnOptions::QUANTILE);
  options.set_holdout_from(dates.back());
  const LearnedScorecard learned =
      LearnScorecard(panel.features, panel.labels, options).value();
  EXPECT_EQ(r->scorecard().SerializeAsString(),
            learned.scorecard.SerializeAsString());
  EXPECT_DOUBLE_EQ(r->report().holdout_auc(), learned.report.holdout_auc());
  EXPECT_EQ(r->rows(), static_cast<int64_t>(panel.features.num_rows()));
  EXPECT_EQ(r->options().holdout_from(), dates.back());
  EXPECT_EQ(r->horizon_days(), 90);
  EXPECT_EQ(r->as_of_dates(2), "2025-01-01");
  EXPECT_EQ(r->assessment_config().scorecard().SerializeAsString(),
            r->scorecard().SerializeAsString());
  EXPECT_FALSE(r->assessment_config().has_features());  // the shipped set
  // The shipped features hold the Zoho scorecard's: compared on both sides.
  EXPECT_TRUE(r->has_default_train_auc());
  EXPECT_TRUE(r->has_default_holdout_auc());
  // The config it hands back assesses.
  EXPECT_TRUE(Assessor::Create(r->assessment_config()).ok());

  const std::pair<std::string, std::string> bad[] = {
      {"", "as_of_dates: at least one date is needed"},
      {R"pb(as_of_dates: [ "2024-10-01", "2024-07-01" ])pb",
       "as_of_dates[1]: 2024-07-01 is not after 2024-10-01"},
      {R"pb(as_of_dates: "2024-07-01" horizon_days: -1)pb", "horizon_days"},
      {R"pb(as_of_dates: "2024-07-01"
            options { max_bins: 1 })pb",
       "options.max_bins"},
      {R"pb(as_of_dates: "2024-07-01" test_from: "someday")pb", "test_from"},
      {R"pb(as_of_dates: "2025-06-01")pb", "the last date allowed"},
  };
  ExpectRefused<v1::ScorecardRequest>(bad, [&](const v1::ScorecardRequest& r) {
    return LearnHealthScorecard(ds, r);
  });
}

TEST(LearnHealthScorecardOnTable, EqualsTheLearnerOnTheEncodedTable) {
  const std::string path = PlanTable("scorecard_table", 300);
  v1::ScorecardTableRequest request;
  request.set_path(path);
  request.mutable_table()->set_label_column("churned");
  request.mutable_table()->set_id_column("id");
  absl::StatusOr<v1::ScorecardResult> r = LearnHealthScorecardOnTable(request);
  ASSERT_TRUE(r.ok()) << r.status();
  const EncodedTable encoded =
      EncodeTable(ReadPlainTable(path, ',').value(), request.table()).value();
  const LearnedScorecard learned =
      LearnScorecard(encoded.features, encoded.labels).value();
  EXPECT_EQ(r->scorecard().SerializeAsString(),
            learned.scorecard.SerializeAsString());
  EXPECT_EQ(r->rows(), 300);
  EXPECT_FALSE(r->has_assessment_config());
  EXPECT_FALSE(r->has_default_train_auc());  // no Zoho features here

  const std::pair<std::string, std::string> bad[] = {
      {"", "path: required"},
      {R"pb(path: "x.csv")pb", "table.label_column: required"},
      {R"pb(path: "x.csv"
            table { label_column: "c" }
            delimiter: ";;")pb",
       "delimiter: must be one character"},
      {R"pb(path: "x.csv"
            table { label_column: "c" }
            options { holdout_from: 5 })pb",
       "options.holdout_from"},
      {R"pb(path: "/no/such.csv"
            table { label_column: "c" })pb",
       "/no/such.csv"},
  };
  ExpectRefused<v1::ScorecardTableRequest>(
      bad, [&](const v1::ScorecardTableRequest& r) {
        return LearnHealthScorecardOnTable(r);
      });
}

}  // namespace
}  // namespace churnkit
