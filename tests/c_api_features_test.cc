// Tests of the C ABI's features (ck_features_*, ck_matrix_*): time parsing,
// feature sets and matrices, labels, training panels and worker threads.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {
namespace {

// ---- Time, features and labels
// ------------------------------------------------

TEST(CApiTime, ParsesDatesAndRejectsBadText) {
  int64_t t = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &t));
  EXPECT_EQ(t, 1719792000);
  ASSERT_CK_OK(ck_time_parse("2024-07-01T08:00:00+08:00", &t));
  EXPECT_EQ(t, 1719792000);
  ExpectNullArgument(ck_time_parse(nullptr, &t), "ck_time_parse", "text");
  ExpectNullArgument(ck_time_parse("2024-07-01", nullptr), "ck_time_parse",
                     "out");
  ExpectError(ck_time_parse("2024-02-30", &t), CK_INVALID_ARGUMENT,
              "ck_time_parse", "'2024-02-30' is not a valid date");
}

TEST(CApiFeatures, CreateRejectsBadConfigsNamingThePath) {
  ck_features_t* f = Poison<ck_features_t>();
  ExpectNullArgument(ck_features_create(nullptr, 0, nullptr),
                     "ck_features_create", "out");
  ExpectError(ck_features_create(kGarbage, sizeof kGarbage - 1, &f),
              CK_INVALID_ARGUMENT, "ck_features_create",
              "argument 'feature_set'");
  EXPECT_EQ(f, nullptr);
  f = Poison<ck_features_t>();
  ExpectError(
      ck_features_create(MSG("FeatureSet",
                             "features { name: \"a\" window { filter {} "
                             "aggregate: COUNT window_days: -1 } }"),
                         &f),
      CK_INVALID_ARGUMENT, "ck_features_create",
      "features[0].window.window_days: must be > 0");
  EXPECT_EQ(f, nullptr);
  ck_features_free(nullptr);
  ck_matrix_free(nullptr);
  EXPECT_EQ(ck_matrix_data(nullptr), nullptr);
}

TEST(CApiFeatures, ComputesIntoCallerMemoryAndLibraryMatrices) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_features_t* raw = nullptr;
  ASSERT_CK_OK(ck_features_create(
      MSG("FeatureSet",
          "features { name: \"orders_365d\" window { filter { kinds: ORDER } "
          "aggregate: COUNT window_days: 365 } } "
          "features { name: \"days_since_login\" days_since { filter { kinds: "
          "LOGIN } } }"),
      &raw));
  FeaturesPtr f(raw);
  size_t cols = 0;
  ASSERT_CK_OK(ck_features_num_columns(f.get(), &cols));
  ASSERT_EQ(cols, 2u);
  const char* name = nullptr;
  ASSERT_CK_OK(ck_features_column_name(f.get(), 1, &name));
  EXPECT_STREQ(name, "days_since_login");
  ExpectError(ck_features_column_name(f.get(), 2, &name), CK_OUT_OF_RANGE,
              "ck_features_column_name", "argument 'index' is 2");

  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &as_of));
  ck_matrix_t* m_raw = nullptr;
  ASSERT_CK_OK(ck_features_compute_matrix(f.get(), ds.get(), as_of, &m_raw));
  MatrixPtr m(m_raw);
  size_t rows = 0, mcols = 0;
  ASSERT_CK_OK(ck_matrix_shape(m.get(), &rows, &mcols));
  EXPECT_EQ(mcols, 2u);
  ASSERT_GT(rows, 0u);
  const double* data = ck_matrix_data(m.get());
  ASSERT_NE(data, nullptr);
  const char* id = nullptr;
  ASSERT_CK_OK(ck_matrix_customer_id(m.get(), 0, &id));
  ASSERT_CK_OK(ck_matrix_column_name(m.get(), 0, &name));
  EXPECT_STREQ(name, "orders_365d");
  ExpectError(ck_matrix_customer_id(m.get(), rows, &id), CK_OUT_OF_RANGE,
              "ck_matrix_customer_id", "argument 'row'");

  // The same first row computed into caller memory.
  size_t index = 0;
  ASSERT_CK_OK(ck_dataset_find_customer(ds.get(), id, &index));
  double out[2] = {-1, -1};
  ASSERT_CK_OK(
      ck_features_compute(f.get(), ds.get(), as_of, &index, 1, out, 2));
  for (int j = 0; j < 2; ++j) {
    if (std::isnan(data[j])) {
      EXPECT_TRUE(std::isnan(out[j]));
    } else {
      EXPECT_EQ(out[j], data[j]);
    }
  }
  ExpectError(ck_features_compute(f.get(), ds.get(), as_of, &index, 1, out, 3),
              CK_INVALID_ARGUMENT, "ck_features_compute",
              "argument 'out_size' is 3; expected n_customers * num_columns");
  const size_t bad = 100000;
  ExpectError(ck_features_compute(f.get(), ds.get(), as_of, &bad, 1, out, 2),
              CK_OUT_OF_RANGE, "ck_features_compute", "customer_indices[0]");
  ExpectNullArgument(
      ck_features_compute(f.get(), ds.get(), as_of, nullptr, 1, out, 2),
      "ck_features_compute", "customer_indices");
  ExpectNullArgument(
      ck_features_compute(nullptr, ds.get(), as_of, &index, 1, out, 2),
      "ck_features_compute", "features");
  ASSERT_CK_OK(
      ck_features_compute(f.get(), ds.get(), as_of, nullptr, 0, nullptr, 0));
  ck_matrix_t* none = Poison<ck_matrix_t>();
  ExpectNullArgument(ck_features_compute_matrix(f.get(), nullptr, as_of, &none),
                     "ck_features_compute_matrix", "dataset");
  EXPECT_EQ(none, nullptr);
  ExpectNullArgument(ck_matrix_shape(m.get(), nullptr, &mcols),
                     "ck_matrix_shape", "rows");
}

TEST(CApiFeatures, DefaultSetCoversTheDomainSignals) {
  ck_features_t* raw = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &raw));
  FeaturesPtr f(raw);
  size_t cols = 0;
  ASSERT_CK_OK(ck_features_num_columns(f.get(), &cols));
  EXPECT_GE(cols, 50u);
}

TEST(CApiLabels, LabelsEveryCustomerAndRejectsBadDefinitions) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &as_of));
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_labels_compute(ds.get(), nullptr, 0, as_of, &raw));
  BufferPtr buffer(raw);
  std::unique_ptr<pb::Message> set = Decode("churnkit.v1.LabelSet", raw);
  const pb::FieldDescriptor* labels =
      set->GetDescriptor()->FindFieldByName("labels");
  size_t customers = 0;
  ASSERT_CK_OK(ck_dataset_num_customers(ds.get(), &customers));
  EXPECT_EQ(static_cast<size_t>(set->GetReflection()->FieldSize(*set, labels)),
            customers);
  // A churned customer's label lists its episodes, the current one last.
  int churned = 0;
  for (int i = 0; i < set->GetReflection()->FieldSize(*set, labels); ++i) {
    const pb::Message& label =
        set->GetReflection()->GetRepeatedMessage(*set, labels, i);
    const pb::FieldDescriptor* episodes =
        label.GetDescriptor()->FindFieldByName("episodes");
    const int n = label.GetReflection()->FieldSize(label, episodes);
    const pb::FieldDescriptor* flag =
        label.GetDescriptor()->FindFieldByName("churned");
    if (label.GetReflection()->GetBool(label, flag)) {
      ++churned;
      EXPECT_GE(n, 1) << StringField(label, "customer_id");
    }
  }
  EXPECT_GT(churned, 0);

  ck_buffer_t* none = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_labels_compute(nullptr, nullptr, 0, as_of, &none),
                     "ck_labels_compute", "dataset");
  EXPECT_EQ(none, nullptr);
  ExpectNullArgument(ck_labels_compute(ds.get(), nullptr, 0, as_of, nullptr),
                     "ck_labels_compute", "out");
  ExpectError(ck_labels_compute(ds.get(),
                                MSG("ChurnDefinition",
                                    "passive { activity { kinds: LOGIN } "
                                    "inactive_days: 0 }"),
                                as_of, &none),
              CK_INVALID_ARGUMENT, "ck_labels_compute",
              "passive[0].inactive_days: must be > 0");
  ExpectError(
      ck_labels_compute(ds.get(), kGarbage, sizeof kGarbage - 1, as_of, &none),
      CK_INVALID_ARGUMENT, "ck_labels_compute", "argument 'definition'");
}

// ---- Training panels -------------------------------------------------------

TEST(CApiPanel, BuildsLabelledRowsPerDateAndRejectsBadArguments) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_features_t* f = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &f));
  FeaturesPtr features(f);
  int64_t dates[2] = {0, 0};
  // The last date's horizon must end by the export's last event.
  ASSERT_CK_OK(ck_time_parse("2024-04-01", &dates[0]));
  ASSERT_CK_OK(ck_time_parse("2024-05-25", &dates[1]));
  ck_matrix_t* raw = nullptr;
  ASSERT_CK_OK(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                         dates, 2, 30, &raw));
  MatrixPtr panel(raw);
  size_t rows = 0, cols = 0;
  ASSERT_CK_OK(ck_matrix_shape(panel.get(), &rows, &cols));
  ASSERT_GT(rows, 0u);
  size_t features_cols = 0;
  ASSERT_CK_OK(ck_features_num_columns(features.get(), &features_cols));
  EXPECT_EQ(cols, features_cols);
  const uint8_t* labels = nullptr;
  ASSERT_CK_OK(ck_matrix_labels(panel.get(), &labels));
  ASSERT_NE(labels, nullptr);
  int64_t previous = 0;
  for (size_t r = 0; r < rows; ++r) {
    EXPECT_LE(labels[r], 1);
    int64_t as_of = 0;
    ASSERT_CK_OK(ck_matrix_row_as_of(panel.get(), r, &as_of));
    EXPECT_TRUE(as_of == dates[0] || as_of == dates[1]);
    EXPECT_GE(as_of, previous);  // (date, customer) order
    previous = as_of;
  }
  int64_t as_of = 0;
  ExpectError(ck_matrix_row_as_of(panel.get(), rows, &as_of), CK_OUT_OF_RANGE,
              "ck_matrix_row_as_of", "argument 'row'");
  ExpectNullArgument(ck_matrix_row_as_of(nullptr, 0, &as_of),
                     "ck_matrix_row_as_of", "matrix");
  ExpectNullArgument(ck_matrix_labels(panel.get(), nullptr), "ck_matrix_labels",
                     "out");
  // A computed matrix has no labels.
  ASSERT_CK_OK(
      ck_features_compute_matrix(features.get(), ds.get(), dates[1], &raw));
  MatrixPtr computed(raw);
  ExpectError(ck_matrix_labels(computed.get(), &labels), CK_FAILED_PRECONDITION,
              "ck_matrix_labels", "no labels");
  EXPECT_EQ(labels, nullptr);

  ck_matrix_t* out = Poison<ck_matrix_t>();
  ExpectNullArgument(ck_features_compute_panel(nullptr, ds.get(), nullptr, 0,
                                               dates, 2, 30, &out),
                     "ck_features_compute_panel", "features");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_features_compute_panel(features.get(), nullptr, nullptr,
                                               0, dates, 2, 30, &out),
                     "ck_features_compute_panel", "dataset");
  ExpectNullArgument(
      ck_features_compute_panel(features.get(), ds.get(), nullptr, 0, nullptr,
                                2, 30, &out),
      "ck_features_compute_panel", "dates");
  ExpectNullArgument(
      ck_features_compute_panel(features.get(), ds.get(), nullptr, 0, dates, 2,
                                30, nullptr),
      "ck_features_compute_panel", "out");
  const int64_t backwards[2] = {dates[1], dates[0]};
  ExpectError(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                        backwards, 2, 30, &out),
              CK_INVALID_ARGUMENT, "ck_features_compute_panel", "");
  ExpectError(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                        dates, 0, 30, &out),
              CK_INVALID_ARGUMENT, "ck_features_compute_panel", "");
  ExpectError(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                        dates, 2, 0, &out),
              CK_INVALID_ARGUMENT, "ck_features_compute_panel", "horizon");
  ExpectError(
      ck_features_compute_panel(features.get(), ds.get(), kGarbage,
                                sizeof kGarbage - 1, dates, 2, 30, &out),
      CK_INVALID_ARGUMENT, "ck_features_compute_panel",
      "argument 'definition'");
}

// ---- Worker threads --------------------------------------------------------

// ck_threads_set: checked, per calling thread, and never changing a result.
TEST(CApiThreads, PerCallingThreadAndResultsDoNotDependOnIt) {
  EXPECT_EQ(ck_threads_get(), 0);
  ExpectError(ck_threads_set(-1), CK_INVALID_ARGUMENT, "ck_threads_set",
              "argument 'n' is -1");
  ExpectError(ck_threads_set(5000), CK_INVALID_ARGUMENT, "ck_threads_set",
              "4096");
  EXPECT_EQ(ck_threads_get(), 0);

  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_features_t* f = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &f));
  FeaturesPtr features(f);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-06-01", &as_of));
  auto run = [&] {
    std::string bytes;
    ck_matrix_t* m = nullptr;
    EXPECT_CK_OK(
        ck_features_compute_matrix(features.get(), ds.get(), as_of, &m));
    MatrixPtr matrix(m);
    size_t rows = 0, cols = 0;
    EXPECT_CK_OK(ck_matrix_shape(m, &rows, &cols));
    bytes.assign(reinterpret_cast<const char*>(ck_matrix_data(m)),
                 rows * cols * sizeof(double));
    ck_buffer_t* raw = nullptr;
    EXPECT_CK_OK(ck_labels_compute(ds.get(), nullptr, 0, as_of, &raw));
    BufferPtr labels(raw);
    bytes.append(static_cast<const char*>(ck_buffer_data(raw)),
                 ck_buffer_size(raw));
    ck_assessor_t* a = nullptr;
    EXPECT_CK_OK(ck_assessor_create(nullptr, 0, &a));
    AssessorPtr assessor(a);
    ck_assessment_t* result = nullptr;
    EXPECT_CK_OK(ck_assessor_assess(a, ds.get(), as_of, nullptr, 0, &result));
    AssessmentPtr assessment(result);
    EXPECT_CK_OK(ck_assessment_serialize(result, &raw));
    BufferPtr serialized(raw);
    bytes.append(static_cast<const char*>(ck_buffer_data(raw)),
                 ck_buffer_size(raw));
    return bytes;
  };
  const std::string every_core = run();
  ASSERT_CK_OK(ck_threads_set(1));
  EXPECT_EQ(ck_threads_get(), 1);
  int other_thread = -1;
  std::thread([&] { other_thread = ck_threads_get(); }).join();
  EXPECT_EQ(other_thread, 0);  // per calling thread
  EXPECT_EQ(run(), every_core);
  ASSERT_CK_OK(ck_threads_set(3));
  EXPECT_EQ(run(), every_core);
  ASSERT_CK_OK(ck_threads_set(0));
}

}  // namespace
}  // namespace churnkit::capi_test
