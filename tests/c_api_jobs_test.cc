// Tests of the C ABI's jobs (churnkit/c_api_experimental.h) and its
// protobuf helpers (ck_proto_*, ck_config_validate).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {
namespace {

// ---- Jobs (c_api_experimental.h)
// ---------------------------------------------

// A generated history of 500 customers over 18 months, loaded through the
// C ABI.
DatasetPtr GeneratedData(const TempDir& dir) {
  const std::string out = dir / "gen";
  if (ck_dataset_generate(MSG("GeneratorConfig",
                              R"(customers: 500 seed: 5 start_date: "2024-01-01"
                     end_date: "2025-06-30")"),
                          "csv", out.c_str()) != CK_OK) {
    ADD_FAILURE() << ck_last_error();
    return nullptr;
  }
  ck_dataset_t* raw = nullptr;
  const std::string options = "paths: \"" + out + "\"";
  EXPECT_CK_OK(ck_dataset_load(MSG("LoadOptions", options), &raw));
  return DatasetPtr(raw);
}

TEST(CApiJobs, TrainsTheChurnModelOfTheMainJob) {
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  // The request as text, through the text-to-bytes helper.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_proto_from_text(
      "churnkit.v1.TrainRequest",
      R"(as_of_dates: ["2024-07-01", "2024-10-01", "2025-01-01"] threads: 1)",
      &raw));
  BufferPtr request(raw);
  ASSERT_CK_OK(ck_job_train(ds.get(), ck_buffer_data(request.get()),
                            ck_buffer_size(request.get()), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.TrainResult", result.get());
  EXPECT_EQ(StringField(*r, "test_from"), "2025-01-01");
  EXPECT_GT(Int64Field(Sub(*r, "test"), "rows"), 0);
  const double auc = DoubleField(Sub(*r, "held_out"), "roc_auc");
  EXPECT_GT(auc, 0.5);
  EXPECT_LE(auc, 1.0);
  EXPECT_EQ(Size(*r, "factors"), 10);
  EXPECT_EQ(Size(*r, "riskiest"), 5);
  // The model bytes load as a model.
  const pb::Message& model = Sub(*r, "model");
  const std::string model_bytes = model.SerializeAsString();
  ck_model_t* m = nullptr;
  ASSERT_CK_OK(ck_model_load(model_bytes.data(), model_bytes.size(), &m));
  ModelPtr loaded(m);
  // The same request twice gives the same bytes.
  ASSERT_CK_OK(ck_job_train(ds.get(), ck_buffer_data(request.get()),
                            ck_buffer_size(request.get()), &raw));
  BufferPtr again(raw);
  EXPECT_EQ(
      std::string_view(static_cast<const char*>(ck_buffer_data(again.get())),
                       ck_buffer_size(again.get())),
      std::string_view(static_cast<const char*>(ck_buffer_data(result.get())),
                       ck_buffer_size(result.get())));
}

TEST(CApiJobs, TrainRejectsBadArgumentsNamingThem) {
  constexpr char kFn[] = "ck_job_train";
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_train(nullptr, nullptr, 0, &out), kFn, "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_job_train(ds.get(), nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_train(ds.get(), nullptr, 5, &out), kFn, "request");
  // No bytes: every default, but the dates have none.
  ExpectError(ck_job_train(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of_dates: at least two dates");
  const std::string garbage = "\xff\xff\xff";
  ExpectError(ck_job_train(ds.get(), garbage.data(), garbage.size(), &out),
              CK_INVALID_ARGUMENT, kFn,
              "not a serialized churnkit.v1.TrainRequest");
  ExpectError(ck_job_train(ds.get(), garbage.data(), SIZE_MAX, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request_size'");
  const std::pair<const char*, const char*> bad[] = {
      {R"(as_of_dates: ["2025-01-01", "2024-07-01"])",
       "as_of_dates[1]: 2024-07-01 is not after 2025-01-01"},
      {R"(as_of_dates: ["2024-07-01", "2025-06-01"])", "the last date allowed"},
      {R"(as_of_dates: ["2024-07-01", "2024-10-01"] horizon_days: -4)",
       "horizon_days: must be in 1..3650"},
      {R"(as_of_dates: ["2024-07-01", "2024-10-01"] fit { winsorize: 0.9 })",
       "fit.winsorize"},
  };
  for (const auto& [text, fragment] : bad) {
    const std::string request =
        FromText("churnkit.v1.TrainRequest", text)->SerializeAsString();
    out = Poison<ck_buffer_t>();
    ExpectError(ck_job_train(ds.get(), request.data(), request.size(), &out),
                CK_INVALID_ARGUMENT, kFn, fragment);
    EXPECT_EQ(out, nullptr) << text;
  }
}

TEST(CApiJobs, TrainPanelIsTheTrainJobsPanelAndNamesBadArguments) {
  constexpr char kFn[] = "ck_job_train_panel";
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  const std::string request =
      FromText("churnkit.v1.TrainRequest",
               R"(as_of_dates: ["2024-07-01", "2024-10-01", "2025-01-01"]
                  panel_label: PANEL_LABEL_CHURNED_AT_END)")
          ->SerializeAsString();
  ck_matrix_t* panel = nullptr;
  ck_buffer_t* resolved = nullptr;
  ASSERT_CK_OK(ck_job_train_panel(ds.get(), request.data(), request.size(),
                                  &panel, &resolved));
  BufferPtr resolved_owned(resolved);
  std::unique_ptr<pb::Message> r = Decode("churnkit.v1.TrainRequest", resolved);
  EXPECT_EQ(StringField(*r, "test_from"), "2025-01-01");
  EXPECT_DOUBLE_EQ(DoubleField(Sub(*r, "fit"), "winsorize"), 0.01);
  // The job's split of the same panel: its test rows are the panel's rows
  // dated from test_from on.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_train(ds.get(), request.data(), request.size(), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> trained =
      Decode("churnkit.v1.TrainResult", result.get());
  size_t rows = 0, cols = 0, test_rows = 0;
  ASSERT_CK_OK(ck_matrix_shape(panel, &rows, &cols));
  const uint8_t* labels = nullptr;
  ASSERT_CK_OK(ck_matrix_labels(panel, &labels));
  int64_t churned = 0;
  for (size_t i = 0; i < rows; ++i) {
    int64_t t = 0;
    ASSERT_CK_OK(ck_matrix_row_as_of(panel, i, &t));
    if (t >= 1735689600) {  // 2025-01-01
      ++test_rows;
      churned += labels[i];
    }
  }
  EXPECT_EQ(static_cast<int64_t>(test_rows),
            Int64Field(Sub(*trained, "test"), "rows"));
  EXPECT_EQ(churned, Int64Field(Sub(*trained, "test"), "churned"));
  ck_matrix_free(panel);

  ExpectNullArgument(ck_job_train_panel(nullptr, nullptr, 0, &panel, &resolved),
                     kFn, "dataset");
  EXPECT_EQ(panel, nullptr);
  EXPECT_EQ(resolved, nullptr);
  ExpectNullArgument(
      ck_job_train_panel(ds.get(), nullptr, 0, nullptr, &resolved), kFn,
      "panel_out");
  ExpectNullArgument(ck_job_train_panel(ds.get(), nullptr, 0, &panel, nullptr),
                     kFn, "resolved_out");
  ExpectError(ck_job_train_panel(ds.get(), nullptr, 0, &panel, &resolved),
              CK_INVALID_ARGUMENT, kFn, "as_of_dates: at least two dates");
  ExpectError(ck_job_train_panel(ds.get(), "\xff\xff", 2, &panel, &resolved),
              CK_INVALID_ARGUMENT, kFn, "TrainRequest");
  EXPECT_EQ(panel, nullptr);
  EXPECT_EQ(resolved, nullptr);
}

TEST(CApiJobs, AssessesWithTheTrainedModelAndRejectsBadArguments) {
  constexpr char kFn[] = "ck_job_assess";
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  const std::string train =
      FromText("churnkit.v1.TrainRequest",
               R"(as_of_dates: ["2024-07-01", "2024-10-01", "2025-01-01"])")
          ->SerializeAsString();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_train(ds.get(), train.data(), train.size(), &raw));
  BufferPtr trained(raw);
  std::unique_ptr<pb::Message> request = FromText(
      "churnkit.v1.AssessRequest", R"(as_of: "2025-04-01" at_risk: 3)");
  request->GetReflection()
      ->MutableMessage(request.get(), FieldOf(*request, "model"))
      ->CopyFrom(
          Sub(*Decode("churnkit.v1.TrainResult", trained.get()), "model"));
  const std::string bytes = request->SerializeAsString();
  ASSERT_CK_OK(ck_job_assess(ds.get(), bytes.data(), bytes.size(), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.AssessResponse", result.get());
  EXPECT_EQ(Size(*r, "at_risk"), 3);
  EXPECT_GT(Int64Field(Sub(*r, "summary"), "customers"), 0);
  EXPECT_EQ(Size(Sub(*r, "assessment"), "customers"),
            Int64Field(Sub(*r, "summary"), "customers"));

  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_assess(nullptr, nullptr, 0, &out), kFn, "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_job_assess(ds.get(), nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_assess(ds.get(), nullptr, 2, &out), kFn, "request");
  ExpectError(ck_job_assess(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of: required");
  ExpectError(ck_job_assess(ds.get(), "\xff\xff", 2, &out), CK_INVALID_ARGUMENT,
              kFn, "not a serialized churnkit.v1.AssessRequest");
  ExpectError(ck_job_assess(ds.get(), bytes.data(), bytes.size() - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "not a serialized");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiJobs, SegmentAndReportTakeBytesAndNameBadArguments) {
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* raw = nullptr;
  const std::string segment =
      FromText("churnkit.v1.SegmentRequest",
               R"(options { as_of: "2025-06-01" } evidence_days: 30)")
          ->SerializeAsString();
  ASSERT_CK_OK(ck_job_segment(ds.get(), segment.data(), segment.size(), &raw));
  BufferPtr segmented(raw);
  std::unique_ptr<pb::Message> s =
      Decode("churnkit.v1.SegmentResponse", segmented.get());
  EXPECT_GT(Size(Sub(*s, "report"), "customers"), 0);
  // The report job equals ck_report_churn on the same request.
  const std::string text =
      R"(period { start: "2025-01-01" end: "2025-06-01" })";
  const std::string report =
      FromText("churnkit.v1.ReportRequest", text)->SerializeAsString();
  ASSERT_CK_OK(ck_job_report(ds.get(), report.data(), report.size(), &raw));
  BufferPtr by_bytes(raw);
  ASSERT_CK_OK(ck_report_churn(ds.get(), MSG("ReportRequest", text), &raw));
  BufferPtr by_text(raw);
  EXPECT_EQ(
      std::string(static_cast<const char*>(ck_buffer_data(by_bytes.get())),
                  ck_buffer_size(by_bytes.get())),
      std::string(static_cast<const char*>(ck_buffer_data(by_text.get())),
                  ck_buffer_size(by_text.get())));

  // The generated order values are too heavy-tailed for a finite mean
  // spend on 500 customers: the job says so (jobs_test covers a fit).
  const std::string clv =
      FromText("churnkit.v1.ClvRequest", R"(as_of: "2025-06-01")")
          ->SerializeAsString();
  ck_buffer_t* none = Poison<ck_buffer_t>();
  ExpectError(ck_job_clv(ds.get(), clv.data(), clv.size(), &none),
              CK_FAILED_PRECONDITION, "ck_job_clv", "Gamma-Gamma");
  EXPECT_EQ(none, nullptr);
  ExpectError(ck_job_clv(ds.get(), nullptr, 0, &none), CK_INVALID_ARGUMENT,
              "ck_job_clv", "as_of: required");

  for (const char* fn : {"ck_job_segment", "ck_job_report", "ck_job_clv"}) {
    auto call = [&](const ck_dataset_t* d, const void* bytes, size_t size,
                    ck_buffer_t** out) {
      const std::string name = fn;
      return name == "ck_job_segment"  ? ck_job_segment(d, bytes, size, out)
             : name == "ck_job_report" ? ck_job_report(d, bytes, size, out)
                                       : ck_job_clv(d, bytes, size, out);
    };
    ck_buffer_t* out = Poison<ck_buffer_t>();
    ExpectNullArgument(call(nullptr, nullptr, 0, &out), fn, "dataset");
    EXPECT_EQ(out, nullptr);
    ExpectNullArgument(call(ds.get(), nullptr, 0, nullptr), fn, "out");
    ExpectNullArgument(call(ds.get(), nullptr, 4, &out), fn, "request");
    ExpectError(call(ds.get(), "\xff\xff", 2, &out), CK_INVALID_ARGUMENT, fn,
                "not a serialized churnkit.v1.");
    EXPECT_EQ(out, nullptr);
  }
  ck_buffer_t* out = nullptr;
  ExpectError(ck_job_segment(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              "ck_job_segment", "options.as_of: required");
  // No bytes: the report with every default.
  ASSERT_CK_OK(ck_job_report(ds.get(), nullptr, 0, &out));
  ck_buffer_free(out);
}

TEST(CApiJobs, ProtoJsonGetAndSetReadAndWriteFieldsByPath) {
  const std::string result =
      FromText("churnkit.v1.TrainResult",
               R"(horizon_days: 90 test_from: "2025-01-01"
                  held_out { roc_auc: 0.75 positives: 12 }
                  model { intercept: -1.5 feature_names: "logins_30d" })")
          ->SerializeAsString();
  constexpr char kType[] = "churnkit.v1.TrainResult";
  ck_buffer_t* out = nullptr;
  auto text = [](const ck_buffer_t* b) {
    return std::string(static_cast<const char*>(ck_buffer_data(b)),
                       ck_buffer_size(b));
  };
  ASSERT_CK_OK(ck_proto_get(kType, result.data(), result.size(),
                            "held_out.roc_auc", &out));
  EXPECT_EQ(text(out), "0.75");
  ck_buffer_free(out);
  ASSERT_CK_OK(
      ck_proto_get(kType, result.data(), result.size(), "test_from", &out));
  EXPECT_EQ(text(out), "2025-01-01");
  ck_buffer_free(out);
  // An absent message field reads as its defaults.
  ASSERT_CK_OK(
      ck_proto_get(kType, result.data(), result.size(), "train.rows", &out));
  EXPECT_EQ(text(out), "0");
  ck_buffer_free(out);
  ASSERT_CK_OK(
      ck_proto_get(kType, result.data(), result.size(), "model", &out));
  BufferPtr model(out);
  std::unique_ptr<pb::Message> m =
      Decode("churnkit.v1.LogisticModel", model.get());
  EXPECT_EQ(DoubleField(*m, "intercept"), -1.5);

  // Set: a message field from bytes, a scalar from text, a string as is.
  ASSERT_CK_OK(ck_proto_set("churnkit.v1.AssessRequest", nullptr, 0, "model",
                            ck_buffer_data(model.get()),
                            ck_buffer_size(model.get()), &out));
  BufferPtr with_model(out);
  ASSERT_CK_OK(ck_proto_set(
      "churnkit.v1.AssessRequest", ck_buffer_data(with_model.get()),
      ck_buffer_size(with_model.get()), "at_risk", "7", 1, &out));
  BufferPtr with_count(out);
  ASSERT_CK_OK(ck_proto_set(
      "churnkit.v1.AssessRequest", ck_buffer_data(with_count.get()),
      ck_buffer_size(with_count.get()), "as_of", "2026-01-01", 10, &out));
  BufferPtr request(out);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.AssessRequest", request.get());
  EXPECT_EQ(StringField(*r, "as_of"), "2026-01-01");
  EXPECT_EQ(DoubleField(Sub(*r, "model"), "intercept"), -1.5);

  // JSON with the proto field names.
  ASSERT_CK_OK(ck_proto_to_json(kType, result.data(), result.size(), &out));
  BufferPtr json(out);
  EXPECT_NE(text(json.get()).find("\"roc_auc\":0.75"), std::string::npos)
      << text(json.get());

  // Errors name the argument.
  ExpectNullArgument(
      ck_proto_get(kType, result.data(), result.size(), nullptr, &out),
      "ck_proto_get", "path");
  ExpectNullArgument(ck_proto_get(kType, nullptr, 0, "model", nullptr),
                     "ck_proto_get", "out");
  ExpectError(ck_proto_get(kType, result.data(), result.size(), "nope", &out),
              CK_INVALID_ARGUMENT, "ck_proto_get",
              "churnkit.v1.TrainResult has no field 'nope'");
  ExpectError(
      ck_proto_get(kType, result.data(), result.size(), "factors", &out),
      CK_INVALID_ARGUMENT, "ck_proto_get", "is a repeated field");
  ExpectError(
      ck_proto_get(kType, result.data(), result.size(), "test_from.x", &out),
      CK_INVALID_ARGUMENT, "ck_proto_get", "is not a message field");
  ExpectError(ck_proto_get(kType, "\xff\xff", 2, "model", &out),
              CK_INVALID_ARGUMENT, "ck_proto_get", "not a serialized");
  ExpectError(ck_proto_get("Nope", nullptr, 0, "model", &out),
              CK_INVALID_ARGUMENT, "ck_proto_get", "not a churnkit.v1 message");
  ExpectError(ck_proto_set(kType, nullptr, 0, "horizon_days", "many", 4, &out),
              CK_INVALID_ARGUMENT, "ck_proto_set", "'many' is not a int32");
  ExpectError(ck_proto_set(kType, nullptr, 0, "model", "\xff\xff", 2, &out),
              CK_INVALID_ARGUMENT, "ck_proto_set", "argument 'value'");
  ExpectNullArgument(ck_proto_set(kType, nullptr, 0, "model", nullptr, 3, &out),
                     "ck_proto_set", "value");
  ExpectError(ck_proto_to_json(kType, nullptr, 7, &out), CK_INVALID_ARGUMENT,
              "ck_proto_to_json", "argument 'data' is NULL");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiJobs, TrainsOnATableAndNamesBadArguments) {
  TempDir dir;
  std::string csv = "id,tenure,churned\n";
  for (int i = 0; i < 60; ++i) {
    csv += "c" + std::to_string(i) + "," + std::to_string(i) + "," +
           (i % 4 == 0 || i < 15 ? "1" : "0") + "\n";
  }
  WriteFile(dir / "t.csv", csv);
  const std::string request =
      FromText("churnkit.v1.TrainTableRequest",
               "path: \"" + (dir / "t.csv") +
                   "\" table { label_column: \"churned\" id_column: \"id\" }")
          ->SerializeAsString();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_train_table(request.data(), request.size(), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.TrainTableResult", result.get());
  EXPECT_EQ(Int64Field(*r, "rows"), 60);
  EXPECT_GT(DoubleField(Sub(*r, "cross_validated"), "roc_auc"), 0.5);

  constexpr char kFn[] = "ck_job_train_table";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_train_table(nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_train_table(nullptr, 3, &out), kFn, "request");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_job_train_table(nullptr, 0, &out), CK_INVALID_ARGUMENT, kFn,
              "path: required");
  ExpectError(ck_job_train_table("\xff\xff", 2, &out), CK_INVALID_ARGUMENT, kFn,
              "not a serialized churnkit.v1.TrainTableRequest");
  const std::string missing =
      FromText("churnkit.v1.TrainTableRequest",
               R"(path: "/no/such.csv" table { label_column: "x" })")
          ->SerializeAsString();
  ExpectError(ck_job_train_table(missing.data(), missing.size(), &out),
              CK_NOT_FOUND, kFn, "/no/such.csv");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiJobs, LearnsAScorecardAndNamesBadArguments) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  constexpr char kFn[] = "ck_job_scorecard";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_scorecard(ds.get(), nullptr, 0, nullptr), kFn,
                     "out");
  ExpectNullArgument(ck_job_scorecard(nullptr, nullptr, 0, &out), kFn,
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_job_scorecard(ds.get(), nullptr, 3, &out), kFn,
                     "request");
  ExpectError(ck_job_scorecard(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of_dates: at least one date");
  ExpectError(ck_job_scorecard(ds.get(), kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request'");
  EXPECT_EQ(out, nullptr);

  constexpr char kTable[] = "ck_job_scorecard_table";
  ExpectNullArgument(ck_job_scorecard_table(nullptr, 0, nullptr), kTable,
                     "out");
  ExpectError(ck_job_scorecard_table(nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kTable, "path: required");
  ExpectError(ck_job_scorecard_table(kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kTable, "argument 'request'");
  TempDir dir;
  std::string csv = "id,tenure,churned\n";
  for (int i = 0; i < 200; ++i) {
    csv += "c" + std::to_string(i) + "," + std::to_string(i % 50) + "," +
           (i % 50 < 15 || i % 7 == 0 ? "1" : "0") + "\n";
  }
  WriteFile(dir / "t.csv", csv);
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_scorecard_table(
      MSG("ScorecardTableRequest",
          "path: \"" + (dir / "t.csv") +
              "\" table { label_column: \"churned\" id_column: \"id\" }"),
      &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.ScorecardResult", result.get());
  EXPECT_EQ(Int64Field(*r, "rows"), 200);
  EXPECT_GT(DoubleField(Sub(*r, "report"), "train_auc"), 0.5);
}

TEST(CApiJobs, GeneratesWithASummaryAndResolvesTheConfig) {
  constexpr char kFn[] = "ck_job_generate";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_generate(nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_generate(nullptr, 3, &out), kFn, "request");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_job_generate(nullptr, 0, &out), CK_INVALID_ARGUMENT, kFn,
              "out_dir: required");
  ExpectError(ck_job_generate(kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request'");
  ExpectError(
      ck_job_generate(MSG("GenerateRequest",
                          "config { industries { name: \"saas\" share: 2 } } "
                          "resolve_only: true"),
                      &out),
      CK_INVALID_ARGUMENT, kFn, "config.industries[0].share");
  EXPECT_EQ(out, nullptr);

  // resolve_only: every default filled in, nothing written.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_generate(
      MSG("GenerateRequest", "config { customers: 7 } resolve_only: true"),
      &raw));
  BufferPtr resolved(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.GenerateResult", resolved.get());
  EXPECT_EQ(Int64Field(Sub(*r, "config"), "customers"), 7);
  EXPECT_FALSE(StringField(Sub(*r, "config"), "start_date").empty());

  TempDir dir;
  const std::string data = dir / "gen";
  ASSERT_CK_OK(ck_job_generate(
      MSG("GenerateRequest", "config { customers: 30 seed: 4 } out_dir: \"" +
                                 data + "\" threads: 2"),
      &raw));
  BufferPtr generated(raw);
  r = Decode("churnkit.v1.GenerateResult", generated.get());
  EXPECT_EQ(Int64Field(Sub(*r, "summary"), "customers"), 30);
  DatasetPtr ds = Load("paths: \"" + data + "\" validation { policy: STRICT }");
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(CountsOf(ds.get()).customers, 30u);
  EXPECT_EQ(static_cast<int64_t>(CountsOf(ds.get()).events),
            Int64Field(Sub(*r, "summary"), "events"));
}

TEST(CApiJobs, ValidatesConfigsWithoutDataAndReadsJson) {
  constexpr char kFn[] = "ck_config_validate";
  auto bytes = [](const char* type, const std::string& text) {
    return FromText(type, text)->SerializeAsString();
  };
  // Every default is valid.
  for (const char* type :
       {"churnkit.v1.AssessmentConfig", "churnkit.v1.ChurnDefinition",
        "churnkit.v1.FeatureSet", "churnkit.v1.FitOptions",
        "churnkit.v1.GeneratorConfig", "churnkit.v1.ScorecardLearnOptions"}) {
    EXPECT_CK_OK(ck_config_validate(type, nullptr, 0)) << type;
  }
  const std::tuple<const char*, std::string, const char*> bad[] = {
      {"churnkit.v1.ChurnDefinition", "passive { inactive_days: -1 }",
       "passive[0].inactive_days"},
      {"churnkit.v1.FitOptions", "c: -1", "c:"},
      {"churnkit.v1.GeneratorConfig", "customers: -3", "customers"},
      {"churnkit.v1.AssessmentConfig", "red_share: 2", "red_share"},
      {"churnkit.v1.SegmentOptions",
       "as_of: \"2025-01-01\" tiers { a_share: 1.5 }", "tiers.a_share"},
      {"churnkit.v1.SegmentOptions", "", "as_of: required"},
      {"churnkit.v1.TrainRequest", "", "as_of_dates"},
      {"churnkit.v1.AssessRequest", "", "as_of: required"},
      {"churnkit.v1.AssessRequest",
       "as_of: \"2025-01-01\" config { red_share: 2 }", "config.red_share"},
      {"churnkit.v1.SegmentRequest", "evidence_days: -4", "options.as_of"},
  };
  for (const auto& [type, text, fragment] : bad) {
    const std::string b = bytes(type, text);
    ExpectError(ck_config_validate(type, b.data(), b.size()),
                CK_INVALID_ARGUMENT, kFn, fragment);
  }
  ExpectError(ck_config_validate("churnkit.v1.Assessment", nullptr, 0),
              CK_UNIMPLEMENTED, kFn, "has no check-only validation");
  ExpectNullArgument(ck_config_validate(nullptr, nullptr, 0), kFn,
                     "message_name");
  ExpectError(ck_config_validate("churnkit.v1.FitOptions", "\xff\xff", 2),
              CK_INVALID_ARGUMENT, kFn, "not a serialized");

  // JSON in, the same bytes as the text format.
  ck_buffer_t* out = nullptr;
  ASSERT_CK_OK(
      ck_proto_from_json("churnkit.v1.TrainRequest",
                         R"({"as_of_dates": ["2024-07-01", "2024-10-01"],
          "panel_label": "PANEL_LABEL_CHURNED_AT_END", "horizonDays": 60})",
                         &out));
  BufferPtr json(out);
  EXPECT_EQ(std::string(static_cast<const char*>(ck_buffer_data(json.get())),
                        ck_buffer_size(json.get())),
            bytes("churnkit.v1.TrainRequest",
                  R"(as_of_dates: ["2024-07-01", "2024-10-01"]
                     panel_label: PANEL_LABEL_CHURNED_AT_END horizon_days: 60)"));
  ExpectError(ck_proto_from_json("churnkit.v1.TrainRequest",
                                 R"({"no_such_field": 1})", &out),
              CK_INVALID_ARGUMENT, "ck_proto_from_json", "argument 'json'");
  ExpectError(ck_proto_from_json("churnkit.v1.TrainRequest", "{", &out),
              CK_INVALID_ARGUMENT, "ck_proto_from_json", "argument 'json'");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_proto_from_json("churnkit.v1.TrainRequest", "{}", nullptr),
      "ck_proto_from_json", "out");
}

// ck_job_partition: every customer in one partition, each loadable with
// the options the result gives; bad requests leave nothing behind.
TEST(CApiJobs, PartitionsADataSetAndNamesBadArguments) {
  constexpr char kFn[] = "ck_job_partition";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_partition(nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_partition(nullptr, 3, &out), kFn, "request");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_job_partition(nullptr, 0, &out), CK_INVALID_ARGUMENT, kFn,
              "partitions: must be in 1..4096, got 0");
  ExpectError(ck_job_partition(kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request'");

  TempDir dir;
  const std::string data = std::string(CHURNKIT_SOURCE_DIR) + "/examples/data";
  const std::string parts = dir / "parts";
  const std::string request = "input { paths: \"" + data +
                              "\" } partitions: 3 out_dir: \"" + parts + "\"";
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_partition(MSG("PartitionRequest", request), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.PartitionResult", result.get());
  // The partitions hold every customer of the whole once.
  const pb::FieldDescriptor* field =
      r->GetDescriptor()->FindFieldByName("parts");
  ASSERT_EQ(r->GetReflection()->FieldSize(*r, field), 3);
  size_t customers = 0;
  for (int p = 0; p < 3; ++p) {
    const pb::Message& part =
        r->GetReflection()->GetRepeatedMessage(*r, field, p);
    const std::string load = Sub(part, "load").SerializeAsString();
    ck_dataset_t* ds = nullptr;
    ASSERT_CK_OK(ck_dataset_load(load.data(), load.size(), &ds));
    DatasetPtr owned(ds);
    size_t n = 0;
    ASSERT_CK_OK(ck_dataset_num_customers(ds, &n));
    customers += n;
  }
  DatasetPtr whole = ExampleData();
  size_t expected = 0;
  ASSERT_CK_OK(ck_dataset_num_customers(whole.get(), &expected));
  EXPECT_EQ(customers, expected);
  // A second run into the same directory is refused, and changes nothing.
  ExpectError(ck_job_partition(MSG("PartitionRequest", request), &out),
              CK_ALREADY_EXISTS, kFn, "not an empty directory");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiJobs, ProtoFromTextNamesTheProblem) {
  constexpr char kFn[] = "ck_proto_from_text";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_proto_from_text(nullptr, "", &out), kFn,
                     "message_name");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_proto_from_text("churnkit.v1.TrainRequest", "", nullptr), kFn, "out");
  ExpectError(ck_proto_from_text("google.protobuf.Any", "", &out),
              CK_INVALID_ARGUMENT, kFn, "is not a churnkit.v1 message");
  ExpectError(ck_proto_from_text("churnkit.v1.NoSuch", "", &out),
              CK_INVALID_ARGUMENT, kFn, "is not a churnkit.v1 message");
  ExpectError(
      ck_proto_from_text("churnkit.v1.TrainRequest", "horizon: 3", &out),
      CK_INVALID_ARGUMENT, kFn, "argument 'text'");
  // NULL and "" are the empty message, and the bytes round-trip.
  ASSERT_CK_OK(ck_proto_from_text("churnkit.v1.TrainRequest", nullptr, &out));
  EXPECT_EQ(ck_buffer_size(out), 0u);
  ck_buffer_free(out);
  ASSERT_CK_OK(ck_proto_from_text("churnkit.v1.WindowsRequest",
                                  R"(as_of: "2024-06-01" by: "tier")", &out));
  BufferPtr bytes(out);
  std::unique_ptr<pb::Message> m =
      Decode("churnkit.v1.WindowsRequest", bytes.get());
  EXPECT_EQ(StringField(*m, "by"), "tier");
}

}  // namespace
}  // namespace churnkit::capi_test
