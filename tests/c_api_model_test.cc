// Tests of the C ABI's churn model (ck_model_*): fitting, prediction,
// explanations, metrics and learned scorecards.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {
namespace {

// ---- Churn prediction and metrics ---------------------------------------

TEST(CApiModel, FitsPredictsExplainsAndRoundTrips) {
  const Matrix t = Training();
  ck_model_t* raw = nullptr;
  ASSERT_CK_OK(ck_model_fit(t.x.data(), t.rows, 2, t.names.data(), t.y.data(),
                            MSG("FitOptions", "c: 0.5"), &raw));
  ModelPtr model(raw);
  size_t n = 0;
  ASSERT_CK_OK(ck_model_num_features(model.get(), &n));
  EXPECT_EQ(n, 2u);
  const char* name = nullptr;
  ASSERT_CK_OK(ck_model_feature_name(model.get(), 1, &name));
  EXPECT_STREQ(name, "tickets_90d");

  std::vector<double> p(t.rows, -1);
  ASSERT_CK_OK(ck_model_predict(model.get(), t.x.data(), t.rows, 2,
                                t.names.data(), p.data(), p.size()));
  for (double v : p) {
    EXPECT_GT(v, 0);
    EXPECT_LT(v, 1);
  }
  // Explanations: one per row, with the same probabilities.
  ck_buffer_t* buf = nullptr;
  ASSERT_CK_OK(ck_model_explain(model.get(), t.x.data(), 3, 2, t.names.data(),
                                1, nullptr, 0, &buf));
  BufferPtr explained(buf);
  std::unique_ptr<pb::Message> why = Decode("churnkit.v1.Explanations", buf);
  const pb::FieldDescriptor* rows =
      why->GetDescriptor()->FindFieldByName("rows");
  ASSERT_EQ(why->GetReflection()->FieldSize(*why, rows), 3);
  for (int r = 0; r < 3; ++r) {
    const pb::Message& e =
        why->GetReflection()->GetRepeatedMessage(*why, rows, r);
    EXPECT_NEAR(ReflectDouble(e, "probability"), p[r], 1e-12);
  }
  // Save, load, and score identically.
  ASSERT_CK_OK(ck_model_save(model.get(), &buf));
  BufferPtr saved(buf);
  ck_model_t* loaded_raw = nullptr;
  ASSERT_CK_OK(ck_model_load(ck_buffer_data(saved.get()),
                             ck_buffer_size(saved.get()), &loaded_raw));
  ModelPtr loaded(loaded_raw);
  std::vector<double> q(t.rows);
  ASSERT_CK_OK(ck_model_predict(loaded.get(), t.x.data(), t.rows, 2,
                                t.names.data(), q.data(), q.size()));
  EXPECT_EQ(p, q);
  // The saved bytes are a churnkit.v1.LogisticModel a host can read.
  std::unique_ptr<pb::Message> decoded =
      Decode("churnkit.v1.LogisticModel", saved.get());
  const pb::FieldDescriptor* features =
      decoded->GetDescriptor()->FindFieldByName("feature_names");
  ASSERT_NE(features, nullptr);
  EXPECT_EQ(decoded->GetReflection()->FieldSize(*decoded, features), 2);
}

TEST(CApiModel, RejectsNullAndInvalidArguments) {
  const Matrix t = Training();
  const double* x = t.x.data();
  const char* const* names = t.names.data();
  ck_model_t* m = Poison<ck_model_t>();
  ExpectNullArgument(
      ck_model_fit(x, t.rows, 2, names, t.y.data(), nullptr, 0, nullptr),
      "ck_model_fit", "out");
  ExpectNullArgument(
      ck_model_fit(nullptr, t.rows, 2, names, t.y.data(), nullptr, 0, &m),
      "ck_model_fit", "x");
  EXPECT_EQ(m, nullptr);
  ExpectNullArgument(
      ck_model_fit(x, t.rows, 2, nullptr, t.y.data(), nullptr, 0, &m),
      "ck_model_fit", "column_names");
  ExpectNullArgument(ck_model_fit(x, t.rows, 2, names, nullptr, nullptr, 0, &m),
                     "ck_model_fit", "labels");
  const char* holes[] = {"a", nullptr};
  ExpectError(ck_model_fit(x, t.rows, 2, holes, t.y.data(), nullptr, 0, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit",
              "argument 'column_names[1]' is NULL");
  ExpectError(ck_model_fit(x, t.rows, 0, names, t.y.data(), nullptr, 0, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "argument 'cols' is 0");
  ExpectError(ck_model_fit(x, t.rows, 2, names, t.y.data(), kGarbage,
                           sizeof kGarbage - 1, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "argument 'options'");
  ExpectError(ck_model_fit(x, t.rows, 2, names, t.y.data(),
                           MSG("FitOptions", "c: -1"), &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "c: must be > 0");
  std::vector<uint8_t> bad = t.y;
  bad[4] = 7;
  ExpectError(ck_model_fit(x, t.rows, 2, names, bad.data(), nullptr, 0, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "labels[4] is 7");
  std::vector<double> nan_x = t.x;
  nan_x[2 * 2 + 1] = NAN;
  ExpectError(
      ck_model_fit(nan_x.data(), t.rows, 2, names, t.y.data(), nullptr, 0, &m),
      CK_INVALID_ARGUMENT, "ck_model_fit",
      "row 2, column 'tickets_90d' is NaN");
  std::vector<uint8_t> separable(t.rows);
  for (size_t i = 0; i < t.rows; ++i) separable[i] = t.x[2 * i] > 8;
  ExpectError(ck_model_fit(x, t.rows, 2, names, separable.data(),
                           MSG("FitOptions", "penalty: PENALTY_NONE"), &m),
              CK_FAILED_PRECONDITION, "ck_model_fit", "perfectly separable");
  EXPECT_EQ(m, nullptr);

  ASSERT_CK_OK(
      ck_model_fit(x, t.rows, 2, names, t.y.data(), MSG("FitOptions", ""), &m));
  ModelPtr model(m);
  std::vector<double> p(t.rows);
  ExpectNullArgument(
      ck_model_predict(nullptr, x, t.rows, 2, names, p.data(), p.size()),
      "ck_model_predict", "model");
  ExpectNullArgument(
      ck_model_predict(model.get(), x, t.rows, 2, names, nullptr, p.size()),
      "ck_model_predict", "out");
  ExpectNullArgument(ck_model_predict(model.get(), nullptr, t.rows, 2, names,
                                      p.data(), p.size()),
                     "ck_model_predict", "x");
  ExpectError(ck_model_predict(model.get(), x, t.rows, 2, names, p.data(), 3),
              CK_INVALID_ARGUMENT, "ck_model_predict",
              "argument 'out_size' is 3; expected rows = 200");
  const char* swapped[] = {"tickets_90d", "logins_30d"};
  ExpectError(
      ck_model_predict(model.get(), x, t.rows, 2, swapped, p.data(), p.size()),
      CK_INVALID_ARGUMENT, "ck_model_predict",
      "column 0 is 'tickets_90d'; the model expects 'logins_30d'");
  ASSERT_CK_OK(ck_model_predict(model.get(), nullptr, 0, 2, names, nullptr, 0));

  ck_buffer_t* buf = Poison<ck_buffer_t>();
  ExpectNullArgument(
      ck_model_explain(nullptr, x, 1, 2, names, 3, nullptr, 0, &buf),
      "ck_model_explain", "model");
  EXPECT_EQ(buf, nullptr);
  ExpectNullArgument(
      ck_model_explain(model.get(), x, 1, 2, names, 3, nullptr, 0, nullptr),
      "ck_model_explain", "out");
  ExpectError(ck_model_explain(model.get(), x, 1, 2, names, 3, kGarbage,
                               sizeof kGarbage - 1, &buf),
              CK_INVALID_ARGUMENT, "ck_model_explain",
              "argument 'feature_set'");
  ExpectError(
      ck_model_explain(model.get(), x, 1, 2, names, 2000000, nullptr, 0, &buf),
      CK_INVALID_ARGUMENT, "ck_model_explain", "argument 'top_k'");

  size_t count = 0;
  const char* name = nullptr;
  ExpectNullArgument(ck_model_num_features(nullptr, &count),
                     "ck_model_num_features", "model");
  ExpectNullArgument(ck_model_num_features(model.get(), nullptr),
                     "ck_model_num_features", "out");
  ExpectNullArgument(ck_model_feature_name(model.get(), 0, nullptr),
                     "ck_model_feature_name", "out");
  ExpectError(ck_model_feature_name(model.get(), 2, &name), CK_OUT_OF_RANGE,
              "ck_model_feature_name", "argument 'index' is 2");

  ExpectNullArgument(ck_model_save(nullptr, &buf), "ck_model_save", "model");
  ExpectNullArgument(ck_model_save(model.get(), nullptr), "ck_model_save",
                     "out");
  ASSERT_CK_OK(ck_model_save(model.get(), &buf));
  BufferPtr saved(buf);
  m = Poison<ck_model_t>();
  ExpectNullArgument(ck_model_load(nullptr, 4, &m), "ck_model_load", "data");
  EXPECT_EQ(m, nullptr);
  ExpectNullArgument(ck_model_load("x", 1, nullptr), "ck_model_load", "out");
  ExpectError(ck_model_load("\xff\xff\xff", 3, &m), CK_DATA_LOSS,
              "ck_model_load", "not a serialized churnkit.v1.LogisticModel");
  std::string corrupted(static_cast<const char*>(ck_buffer_data(saved.get())),
                        ck_buffer_size(saved.get()));
  corrupted[corrupted.size() / 2] ^= 0x10;
  EXPECT_NE(ck_model_load(corrupted.data(), corrupted.size(), &m), CK_OK);
  EXPECT_EQ(m, nullptr);
  ExpectError(ck_model_load("", 0, &m), CK_DATA_LOSS, "ck_model_load",
              "no format_version");
  ck_model_free(nullptr);
}

TEST(CApiMetrics, EvaluatesLikeScikitLearnAndRejectsBadArguments) {
  const uint8_t y[] = {0, 0, 1, 1};
  const double s[] = {0.1, 0.4, 0.35, 0.8};
  ck_buffer_t* buf = nullptr;
  ASSERT_CK_OK(ck_metrics_evaluate(y, s, 4, nullptr, 0, &buf));
  BufferPtr owned(buf);
  std::unique_ptr<pb::Message> e = Decode("churnkit.v1.Evaluation", buf);
  EXPECT_DOUBLE_EQ(ReflectDouble(*e, "roc_auc"), 0.75);
  EXPECT_NEAR(ReflectDouble(*e, "average_precision"), 0.8333333333333333,
              1e-15);
  EXPECT_EQ(Int64Field(*e, "count"), 4);

  buf = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_metrics_evaluate(y, s, 4, nullptr, 0, nullptr),
                     "ck_metrics_evaluate", "out");
  ExpectNullArgument(ck_metrics_evaluate(nullptr, s, 4, nullptr, 0, &buf),
                     "ck_metrics_evaluate", "labels");
  EXPECT_EQ(buf, nullptr);
  ExpectNullArgument(ck_metrics_evaluate(y, nullptr, 4, nullptr, 0, &buf),
                     "ck_metrics_evaluate", "scores");
  ExpectError(ck_metrics_evaluate(y, s, 0, nullptr, 0, &buf),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "no rows");
  ExpectError(ck_metrics_evaluate(y, s, 2, nullptr, 0, &buf),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "a single class");
  ExpectError(ck_metrics_evaluate(y, s, 4, kGarbage, sizeof kGarbage - 1, &buf),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "argument 'options'");
  ExpectError(
      ck_metrics_evaluate(y, s, 4,
                          MSG("EvaluationOptions",
                              "threshold_rule { rule: "
                              "THRESHOLD_TARGET_PRECISION target: 1.5 }"),
                          &buf),
      CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "target");
}

// ---- Learned scorecards ----------------------------------------------------

TEST(CApiScorecard, LearnsAScorecardTheAssessorAccepts) {
  Matrix t = Training();
  t.names = {"logins_30d", "complaints_90d"};
  for (size_t i = 0; i < t.rows; i += 9) t.x[2 * i] = NAN;  // some missing
  const std::string options =
      FromText("churnkit.v1.ScorecardLearnOptions",
               "holdout_share: 0.25 seed: 2 min_bin_events: 2")
          ->SerializeAsString();
  ck_buffer_t* card_raw = nullptr;
  ck_buffer_t* report_raw = nullptr;
  ASSERT_CK_OK(ck_scorecard_learn(t.x.data(), t.rows, 2, t.names.data(),
                                  t.y.data(), options.data(), options.size(),
                                  &card_raw, &report_raw));
  BufferPtr card(card_raw), report(report_raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.ScorecardReport", report.get());
  EXPECT_EQ(Int64Field(*r, "train_rows") + Int64Field(*r, "holdout_rows"), 200);
  EXPECT_EQ(Int64Field(*r, "holdout_rows"), 50);
  EXPECT_GT(ReflectDouble(*r, "train_auc"), 0.7);
  // The scorecard runs in an assessment as it is.
  std::unique_ptr<pb::Message> sc = Decode("churnkit.v1.Scorecard", card.get());
  EXPECT_EQ(StringField(*sc, "name"), "learned_scorecard");
  std::string text;
  ASSERT_TRUE(pb::TextFormat::PrintToString(*sc, &text));
  ck_assessor_t* assessor = nullptr;
  ASSERT_CK_OK(ck_assessor_create(
      MSG("AssessmentConfig", ("scorecard {" + text + "}")), &assessor));
  ck_assessor_free(assessor);
  // Or without a text printer: AssessmentConfig field 2 (`scorecard`) is
  // the tag byte 0x12, the length as a varint, then the Scorecard bytes.
  std::string config(1, '\x12');
  for (size_t n = ck_buffer_size(card.get());; n >>= 7) {
    config.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) break;
  }
  config.append(static_cast<const char*>(ck_buffer_data(card.get())),
                ck_buffer_size(card.get()));
  ASSERT_CK_OK(ck_assessor_create(config.data(), config.size(), &assessor));
  AssessorPtr learned(assessor);
  DatasetPtr ds = ExampleData();
  ck_assessment_t* assessment = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(learned.get(), ds.get(), 1719792000, nullptr,
                                  0, &assessment));
  AssessmentPtr assessed(assessment);
  std::unique_ptr<pb::Message> parsed =
      FromText("churnkit.v1.AssessmentConfig", "scorecard {" + text + "}");
  EXPECT_EQ(parsed->SerializeAsString(), config);
  // The report is optional; the defaults need no options.
  ASSERT_CK_OK(ck_scorecard_learn(t.x.data(), t.rows, 2, t.names.data(),
                                  t.y.data(), nullptr, 0, &card_raw, nullptr));
  ck_buffer_free(card_raw);
}

TEST(CApiScorecard, RejectsBadArguments) {
  constexpr char kFn[] = "ck_scorecard_learn";
  const Matrix t = Training();
  const double* x = t.x.data();
  const char* const* names = t.names.data();
  const uint8_t* y = t.y.data();
  ck_buffer_t* card = Poison<ck_buffer_t>();
  ck_buffer_t* report = Poison<ck_buffer_t>();
  ExpectNullArgument(
      ck_scorecard_learn(x, t.rows, 2, names, y, nullptr, 0, nullptr, &report),
      kFn, "scorecard_out");
  EXPECT_EQ(report, nullptr);
  ExpectNullArgument(ck_scorecard_learn(x, t.rows, 2, names, nullptr, nullptr,
                                        0, &card, &report),
                     kFn, "labels");
  EXPECT_EQ(card, nullptr);
  ExpectNullArgument(ck_scorecard_learn(nullptr, t.rows, 2, names, y, nullptr,
                                        0, &card, &report),
                     kFn, "x");
  ExpectNullArgument(
      ck_scorecard_learn(x, t.rows, 2, nullptr, y, nullptr, 0, &card, &report),
      kFn, "column_names");
  ExpectNullArgument(
      ck_scorecard_learn(x, t.rows, 2, names, y, nullptr, 3, &card, &report),
      kFn, "options");
  ExpectError(
      ck_scorecard_learn(x, t.rows, 0, names, y, nullptr, 0, &card, &report),
      CK_INVALID_ARGUMENT, kFn, "argument 'cols' is 0");
  const char garbage[] = "\xff\xff\xff\xff";
  ExpectError(
      ck_scorecard_learn(x, t.rows, 2, names, y, garbage, 4, &card, &report),
      CK_INVALID_ARGUMENT, kFn, "argument 'options'");
  for (const auto& [text, fragment] :
       {std::pair{"pdo: 0", "pdo: must be > 0"},
        std::pair{"base_odds: -2", "base_odds: must be > 0"},
        std::pair{"max_bins: 1", "max_bins: must be >= 2"},
        std::pair{"holdout_from: 5", "holdout_from"}}) {
    const std::string bytes =
        FromText("churnkit.v1.ScorecardLearnOptions", text)
            ->SerializeAsString();
    ExpectError(ck_scorecard_learn(x, t.rows, 2, names, y, bytes.data(),
                                   bytes.size(), &card, &report),
                CK_INVALID_ARGUMENT, kFn, fragment);
  }
  std::vector<uint8_t> bad = t.y;
  bad[3] = 7;
  ExpectError(ck_scorecard_learn(x, t.rows, 2, names, bad.data(), nullptr, 0,
                                 &card, &report),
              CK_INVALID_ARGUMENT, kFn, "labels[3] is 7");
  std::vector<uint8_t> zeros(t.rows, 0);
  ExpectError(ck_scorecard_learn(x, t.rows, 2, names, zeros.data(), nullptr, 0,
                                 &card, &report),
              CK_INVALID_ARGUMENT, kFn, "both classes");
  const char* dup[] = {"a", "a"};
  ExpectError(
      ck_scorecard_learn(x, t.rows, 2, dup, y, nullptr, 0, &card, &report),
      CK_INVALID_ARGUMENT, kFn, "duplicate");
  EXPECT_EQ(card, nullptr);
  EXPECT_EQ(report, nullptr);
}

// ---- A fit over partitions of the rows ------------------------------------

struct SessionFree {
  void operator()(ck_fit_session_t* s) const { ck_fit_session_free(s); }
};
using SessionPtr = std::unique_ptr<ck_fit_session_t, SessionFree>;

// The answer of rows [begin, end) of `t` to the session's round.
BufferPtr Answer(const ck_fit_session_t* session, const Matrix& t, size_t begin,
                 size_t end) {
  ck_buffer_t* round = nullptr;
  EXPECT_CK_OK(ck_fit_session_round(session, &round));
  BufferPtr r(round);
  ck_buffer_t* out = nullptr;
  EXPECT_CK_OK(ck_fit_partial(ck_buffer_data(r.get()), ck_buffer_size(r.get()),
                              t.x.data() + 2 * begin, end - begin, 2,
                              t.names.data(), t.y.data() + begin, &out));
  return BufferPtr(out);
}

TEST(CApiPartitionedFit, EqualsTheWholeFitAndRejectsBadArguments) {
  const Matrix t = Training();
  const std::string options =
      Bytes("FitOptions", "solver: SOLVER_NEWTON_CHOLESKY winsorize: 0.05");
  ck_model_t* raw = nullptr;
  ASSERT_CK_OK(ck_model_fit(t.x.data(), t.rows, 2, t.names.data(), t.y.data(),
                            options.data(), options.size(), &raw));
  ModelPtr whole(raw);

  ck_fit_session_t* s = nullptr;
  ASSERT_CK_OK(ck_fit_session_create(t.names.data(), 2, options.data(),
                                     options.size(), &s));
  SessionPtr session(s);
  ExpectError(ck_fit_session_model(session.get(), &raw), CK_FAILED_PRECONDITION,
              "ck_fit_session_model", "not done");
  const size_t cut = t.rows / 3;
  int done = 0;
  for (int round = 0; round < 100 && !done; ++round) {
    BufferPtr a = Answer(session.get(), t, 0, cut);
    BufferPtr b = Answer(session.get(), t, cut, cut);  // an empty partition
    BufferPtr c = Answer(session.get(), t, cut, t.rows);
    const void* bytes[] = {ck_buffer_data(a.get()), ck_buffer_data(b.get()),
                           ck_buffer_data(c.get())};
    const size_t sizes[] = {ck_buffer_size(a.get()), ck_buffer_size(b.get()),
                            ck_buffer_size(c.get())};
    ASSERT_CK_OK(ck_fit_session_advance(session.get(), bytes, sizes, 3, &done));
  }
  ASSERT_EQ(done, 1);
  ASSERT_CK_OK(ck_fit_session_model(session.get(), &raw));
  ModelPtr parts(raw);
  std::vector<double> p(t.rows), q(t.rows);
  ASSERT_CK_OK(ck_model_predict(whole.get(), t.x.data(), t.rows, 2,
                                t.names.data(), p.data(), p.size()));
  ASSERT_CK_OK(ck_model_predict(parts.get(), t.x.data(), t.rows, 2,
                                t.names.data(), q.data(), q.size()));
  for (size_t i = 0; i < t.rows; ++i) EXPECT_NEAR(p[i], q[i], 1e-12);

  // Bad arguments.
  ExpectNullArgument(
      ck_fit_session_create(t.names.data(), 2, nullptr, 0, nullptr),
      "ck_fit_session_create", "out");
  ExpectNullArgument(ck_fit_session_create(nullptr, 2, nullptr, 0, &s),
                     "ck_fit_session_create", "column_names");
  EXPECT_EQ(s, nullptr);
  ExpectError(ck_fit_session_create(t.names.data(), 0, nullptr, 0, &s),
              CK_INVALID_ARGUMENT, "ck_fit_session_create", "'cols' is 0");
  ExpectError(ck_fit_session_create(t.names.data(), 2, "\xff\xff", 2, &s),
              CK_INVALID_ARGUMENT, "ck_fit_session_create", "options");
  ExpectError(
      ck_fit_session_create(t.names.data(), 2,
                            MSG("FitOptions", "penalty: PENALTY_L1"), &s),
      CK_INVALID_ARGUMENT, "ck_fit_session_create", "PENALTY_L1");
  ck_buffer_t* buf = nullptr;
  ExpectNullArgument(ck_fit_session_round(nullptr, &buf),
                     "ck_fit_session_round", "session");
  ExpectNullArgument(
      ck_fit_session_advance(session.get(), nullptr, nullptr, 0, &done),
      "ck_fit_session_advance", "partials");
  ExpectNullArgument(
      ck_fit_session_advance(session.get(), nullptr, nullptr, 0, nullptr),
      "ck_fit_session_advance", "done");
  const void* garbage[] = {"\xff\xff"};
  const size_t garbage_size[] = {2};
  ASSERT_CK_OK(ck_fit_session_create(t.names.data(), 2, nullptr, 0, &s));
  SessionPtr fresh(s);
  ExpectError(
      ck_fit_session_advance(fresh.get(), garbage, garbage_size, 1, &done),
      CK_INVALID_ARGUMENT, "ck_fit_session_advance", "partials[0]");
  ExpectNullArgument(ck_fit_partial(nullptr, 0, t.x.data(), t.rows, 2,
                                    t.names.data(), t.y.data(), &buf),
                     "ck_fit_partial", "round");
  ExpectError(ck_fit_partial("\xff\xff", 2, t.x.data(), t.rows, 2,
                             t.names.data(), t.y.data(), &buf),
              CK_INVALID_ARGUMENT, "ck_fit_partial", "round");
  EXPECT_EQ(buf, nullptr);
  ck_fit_session_free(nullptr);
}

}  // namespace
}  // namespace churnkit::capi_test
