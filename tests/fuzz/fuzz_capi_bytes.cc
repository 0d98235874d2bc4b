// libFuzzer target: the C ABI entry points that take serialized protobuf
// bytes from the host. The first input byte picks one; the rest are the
// bytes:
//   0  ck_model_load               (a LogisticModel), then predict
//   1  ck_assessor_create          (an AssessmentConfig), then assess
//   2  ck_assessor_assess                   (an AlertHistory)
//   3  ck_abtest_analyze                   (ExperimentOptions)
//   4  ck_segments_compute                  (SegmentOptions)
//   5  ck_clv_predict              (a ClvModel)
//   6  ck_scorecard_learn          (ScorecardLearnOptions)
//   7  ck_windows_suggest          (a WindowsRequest)
//   8  ck_job_train and ck_job_train_panel (a TrainRequest)
//   9  ck_proto_from_text          (TrainRequest text, NUL-terminated)
//  10  ck_job_assess               (an AssessRequest)
//  11  ck_job_segment              (a SegmentRequest)
//  12  ck_job_report               (a ReportRequest)
//  14  ck_job_clv                  (a ClvRequest)
//  16  ck_config_validate (a TrainRequest, then a FeatureSet) and
//      ck_proto_from_json (the bytes as JSON text)
//  15  ck_job_train_table          (a TrainTableRequest; its path is
//      replaced by a small CSV written once, so no other file is read)
//  13  ck_proto_to_json, ck_proto_get, ck_proto_set (a TrainResult; the
//      first byte picks the path)
//  17  ck_features_create (a FeatureSet), then the features of the data set
//  18  ck_labels_compute and ck_features_compute_panel (a ChurnDefinition)
//  19  ck_report_churn             (a ReportRequest)
//  20  ck_model_fit (FitOptions), then ck_model_explain (the bytes as a
//      FeatureSet)
//  21  ck_metrics_evaluate         (EvaluationOptions)
//  22  ck_clv_summaries (RfmOptions), ck_clv_fit (ClvFitOptions) and
//      ck_clv_predict (ClvPredictOptions)
//  23  ck_job_scorecard            (a ScorecardRequest)
//  24  ck_job_scorecard_table      (a ScorecardTableRequest; its path is
//      replaced by the small CSV, as in 15)
//  25  ck_job_generate             (a GenerateRequest with resolve_only
//      forced on: the config resolved and checked, nothing written)
//  26  ck_report_resolve (a ReportRequest, with the data set's extent and
//      the bytes as a second ReportExtent), then ck_report_summarize
//  27  ck_report_render (a ReportSummary), then ck_report_merge of it with
//      the data set's summary
//  28  ck_fit_partial              (a FitRound, on a small table)
//  29  ck_fit_session_create (FitOptions), ck_fit_session_advance (the bytes
//      as a FitPartial), then the whole fit over two partitions
//  30  ck_clv_patterns (RfmSummaries), ck_clv_patterns_merge (the result,
//      or the bytes as RfmPatterns, with a valid part) and
//      ck_clv_fit_patterns (the bytes as RfmPatterns, then as
//      ClvFitOptions with valid patterns)
//  31  ck_tier_thresholds          (TierOptions), then ck_tier_assign
//  32  ck_assess_totals (an AssessRequest), then ck_assess_cutoffs of the
//      data set's totals and the bytes as HealthTotals
//  33  ck_assess_candidates (the bytes as the cut-offs' AlertPlan, then as
//      the AssessRequest)
//  34  ck_assess_route (the data set's AlertCandidates and the bytes as a
//      second), then ck_assess_partition under the first plan and under
//      the bytes as a plan
//  35  ck_assess_merge_summaries (a made-up AlertSummary and the bytes as
//      a second)
//  36  ck_assessor_assess_customer (a CustomerUpdate; again with the data
//      set's first customer and a date when the bytes parse without them)
// ck_dataset_load and ck_dataset_generate take bytes too but read or write
// the files their options name, so they are not fuzzed here (their parsing
// is ck_proto_from_text's and the loaders have fuzz targets of their own).
// Every call must return a status (never crash, leak or trip a sanitizer)
// and, on success, hand back a usable result. The data set is a small
// generated one, made once.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/v1/clv.pb.h"
#include "churnkit/v1/generator.pb.h"
#include "churnkit/v1/health.pb.h"
#include "churnkit/v1/ingest.pb.h"
#include "churnkit/v1/jobs.pb.h"
#include "fuzz_util.h"

namespace {

using churnkit::fuzz::Check;

constexpr int64_t kAsOf = 1735689600;  // 2025-01-01

ck_dataset_t* Data() {
  static ck_dataset_t* data = [] {
    char dir[] = "/tmp/churnkit-fuzz-XXXXXX";
    Check(::mkdtemp(dir) != nullptr, "mkdtemp");
    churnkit::v1::GeneratorConfig config;
    config.set_customers(60);
    config.set_seed(3);
    config.set_start_date("2024-01-01");
    config.set_end_date("2024-12-31");
    const std::string config_bytes = config.SerializeAsString();
    Check(ck_dataset_generate(config_bytes.data(), config_bytes.size(), "pb",
                              dir) == CK_OK,
          "generate the fuzz data set");
    churnkit::v1::LoadOptions options;
    options.add_paths(std::string(dir) + "/records.pb");
    const std::string options_bytes = options.SerializeAsString();
    ck_dataset_t* ds = nullptr;
    Check(ck_dataset_load(options_bytes.data(), options_bytes.size(), &ds) ==
              CK_OK,
          "load it");
    return ds;
  }();
  return data;
}

// A small labelled table of two columns (one with missing values) for the
// model, scorecard and metrics cases.
struct Table {
  std::vector<double> x;  // row-major, 2 columns
  std::vector<uint8_t> y;
  const char* names[2] = {"logins_30d", "orders_90d"};
};
const Table& SmallTable() {
  static const Table* table = [] {
    auto* t = new Table;
    for (int i = 0; i < 120; ++i) {
      t->x.push_back(i % 13);
      t->x.push_back(i % 7 == 0 ? NAN : (i * 5) % 11);
      t->y.push_back((i % 13 + (i * 5) % 11 + i % 4) > 12);
    }
    return t;
  }();
  return *table;
}

// A small labelled table for ck_job_train_table, written once.
const std::string& TableFile() {
  static const std::string* path = [] {
    char dir[] = "/tmp/churnkit-fuzz-XXXXXX";
    Check(::mkdtemp(dir) != nullptr, "mkdtemp");
    auto* p = new std::string(std::string(dir) + "/table.csv");
    std::FILE* f = std::fopen(p->c_str(), "w");
    Check(f != nullptr, "write the fuzz table");
    std::fputs("id,plan,tenure,churned\n", f);
    for (int i = 0; i < 40; ++i) {
      std::fprintf(f, "c%d,%s,%d,%s\n", i, i % 3 ? "annual" : "monthly",
                   (i * 7) % 50, i % 4 == 0 || i < 8 ? "yes" : "no");
    }
    Check(std::fclose(f) == 0, "close the fuzz table");
    return p;
  }();
  return *path;
}

ck_assessor_t* DefaultAssessor() {
  static ck_assessor_t* assessor = [] {
    ck_assessor_t* a = nullptr;
    Check(ck_assessor_create(nullptr, 0, &a) == CK_OK, "default assessor");
    return a;
  }();
  return assessor;
}

// Frees a buffer after checking that it is consistent.
void Consume(ck_buffer_t* buffer) {
  Check(buffer != nullptr, "a successful call returns its buffer");
  Check(ck_buffer_size(buffer) == 0 || ck_buffer_data(buffer) != nullptr,
        "buffer data");
  ck_buffer_free(buffer);
}

// The AssessRequest of the alert-routing cases: the data set as of kAsOf.
const std::string& AssessRequest() {
  static const std::string* bytes = [] {
    churnkit::v1::AssessRequest request;
    request.set_as_of("2025-01-01");
    return new std::string(request.SerializeAsString());
  }();
  return *bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = input[0] % 37;
  const uint8_t* data = input + 1;
  const size_t n = size - 1;
  switch (selector) {
    case 0: {
      ck_model_t* model = nullptr;
      if (ck_model_load(data, n, &model) != CK_OK) {
        Check(model == nullptr, "no model on failure");
        break;
      }
      size_t d = 0;
      Check(ck_model_num_features(model, &d) == CK_OK && d > 0, "features");
      std::vector<const char*> names(d);
      for (size_t j = 0; j < d; ++j) {
        Check(ck_model_feature_name(model, j, &names[j]) == CK_OK, "name");
      }
      std::vector<double> x(2 * d, 1.0);
      double p[2] = {-1, -1};
      if (ck_model_predict(model, x.data(), 2, d, names.data(), p, 2) ==
          CK_OK) {
        Check(p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1,
              "probabilities in [0, 1]");
      }
      ck_model_free(model);
      break;
    }
    case 1: {
      ck_assessor_t* assessor = nullptr;
      if (ck_assessor_create(data, n, &assessor) != CK_OK) {
        Check(assessor == nullptr, "no assessor on failure");
        break;
      }
      ck_assessment_t* a = nullptr;
      if (ck_assessor_assess(assessor, Data(), kAsOf, nullptr, 0, &a) ==
          CK_OK) {
        ck_buffer_t* bytes = nullptr;
        Check(ck_assessment_serialize(a, &bytes) == CK_OK, "serialize");
        Consume(bytes);
        ck_assessment_free(a);
      }
      ck_assessor_free(assessor);
      break;
    }
    case 2: {
      ck_assessment_t* a = nullptr;
      if (ck_assessor_assess(DefaultAssessor(), Data(), kAsOf, data, n, &a) ==
          CK_OK) {
        ck_buffer_t* history = nullptr;
        Check(ck_assessment_history(a, &history) == CK_OK, "history");
        Consume(history);
        ck_assessment_free(a);
      } else {
        Check(a == nullptr, "no assessment on failure");
      }
      break;
    }
    case 3: {
      ck_buffer_t* out = nullptr;
      if (ck_abtest_analyze(Data(), data, n, &out) == CK_OK) Consume(out);
      break;
    }
    case 4: {
      ck_buffer_t* out = nullptr;
      if (ck_segments_compute(Data(), data, n, nullptr, nullptr, 0, nullptr,
                              &out) == CK_OK) {
        Consume(out);
      }
      break;
    }
    case 5: {
      const double frequency[3] = {0, 2, 5}, recency[3] = {0, 10, 30},
                   age[3] = {40, 40, 40}, monetary[3] = {0, 20, 35};
      churnkit::v1::ClvPredictOptions options;
      options.set_horizon(10);
      const std::string horizon = options.SerializeAsString();
      double p_alive[3], purchases[3], spend[3], clv[3];
      if (ck_clv_predict(data, n, frequency, recency, age, monetary, 3,
                         horizon.data(), horizon.size(), p_alive, purchases,
                         spend, clv) == CK_OK) {
        for (int i = 0; i < 3; ++i) {
          Check(!std::isnan(p_alive[i]) && !std::isnan(purchases[i]) &&
                    !std::isnan(spend[i]) && !std::isnan(clv[i]),
                "no NaN in a CLV prediction");
        }
      }
      break;
    }
    case 6: {
      const Table& t = SmallTable();
      ck_buffer_t* card = nullptr;
      ck_buffer_t* report = nullptr;
      if (ck_scorecard_learn(t.x.data(), t.y.size(), 2, t.names, t.y.data(),
                             data, n, &card, &report) == CK_OK) {
        Consume(card);
        Consume(report);
      }
      break;
    }
    case 7: {
      ck_buffer_t* out = nullptr;
      if (ck_windows_suggest(Data(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 8: {
      ck_buffer_t* out = nullptr;
      if (ck_job_train(Data(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      ck_matrix_t* panel = nullptr;
      ck_buffer_t* resolved = nullptr;
      if (ck_job_train_panel(Data(), data, n, &panel, &resolved) == CK_OK) {
        Consume(resolved);
        ck_matrix_free(panel);
      } else {
        Check(panel == nullptr && resolved == nullptr, "nothing on failure");
      }
      break;
    }
    case 16: {
      ck_config_validate("churnkit.v1.TrainRequest", data, n);
      ck_config_validate("churnkit.v1.FeatureSet", data, n);
      const std::string json(reinterpret_cast<const char*>(data), n);
      ck_buffer_t* out = nullptr;
      if (ck_proto_from_json("churnkit.v1.AssessRequest", json.c_str(), &out) ==
          CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 25: {
      churnkit::v1::GenerateRequest request;
      if (!request.ParseFromArray(data, static_cast<int>(n))) break;
      request.set_resolve_only(true);
      const std::string bytes = request.SerializeAsString();
      ck_buffer_t* out = nullptr;
      if (ck_job_generate(bytes.data(), bytes.size(), &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 23: {
      ck_buffer_t* out = nullptr;
      if (ck_job_scorecard(Data(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 15:
    case 24: {
      std::string bytes(reinterpret_cast<const char*>(data), n);
      churnkit::v1::TrainTableRequest train;
      churnkit::v1::ScorecardTableRequest scorecard;
      google::protobuf::Message& request =
          selector == 15 ? static_cast<google::protobuf::Message&>(train)
                         : scorecard;
      if (request.ParseFromString(bytes)) {
        // Both messages hold the path in field 1: only the small CSV is read.
        request.GetReflection()->SetString(
            &request, request.GetDescriptor()->FindFieldByName("path"),
            TableFile());
        bytes = request.SerializeAsString();
      }
      ck_buffer_t* out = nullptr;
      if ((selector == 15 ? ck_job_train_table(bytes.data(), bytes.size(), &out)
                          : ck_job_scorecard_table(bytes.data(), bytes.size(),
                                                   &out)) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 13: {
      if (n == 0) break;
      static const char* const kPaths[] = {"model",     "held_out.roc_auc",
                                           "test_from", "train.rows",
                                           "factors",   "nope.x"};
      const char* path = kPaths[data[0] % 6];
      constexpr char kType[] = "churnkit.v1.TrainResult";
      ck_buffer_t* out = nullptr;
      if (ck_proto_to_json(kType, data + 1, n - 1, &out) == CK_OK) Consume(out);
      out = nullptr;
      if (ck_proto_get(kType, data + 1, n - 1, path, &out) == CK_OK) {
        Consume(out);
      }
      out = nullptr;
      if (ck_proto_set(kType, nullptr, 0, path, data + 1, n - 1, &out) ==
          CK_OK) {
        Consume(out);
      }
      break;
    }
    case 11:
    case 12:
    case 14: {
      ck_buffer_t* out = nullptr;
      const ck_status s = selector == 11 ? ck_job_segment(Data(), data, n, &out)
                          : selector == 12
                              ? ck_job_report(Data(), data, n, &out)
                              : ck_job_clv(Data(), data, n, &out);
      if (s == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 10: {
      ck_buffer_t* out = nullptr;
      if (ck_job_assess(Data(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 17: {
      ck_features_t* features = nullptr;
      if (ck_features_create(data, n, &features) != CK_OK) {
        Check(features == nullptr, "no feature set on failure");
        break;
      }
      ck_matrix_t* matrix = nullptr;
      if (ck_features_compute_matrix(features, Data(), kAsOf, &matrix) ==
          CK_OK) {
        size_t rows = 0, cols = 0;
        Check(ck_matrix_shape(matrix, &rows, &cols) == CK_OK, "shape");
        ck_matrix_free(matrix);
      }
      ck_features_free(features);
      break;
    }
    case 18: {
      ck_buffer_t* out = nullptr;
      if (ck_labels_compute(Data(), data, n, kAsOf, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no labels on failure");
      }
      ck_features_t* features = nullptr;
      Check(ck_features_create(nullptr, 0, &features) == CK_OK, "features");
      const int64_t dates[2] = {kAsOf - 90 * 86400, kAsOf};
      ck_matrix_t* panel = nullptr;
      if (ck_features_compute_panel(features, Data(), data, n, dates, 2, 30,
                                    &panel) == CK_OK) {
        const uint8_t* labels = nullptr;
        ck_matrix_labels(panel, &labels);
        ck_matrix_free(panel);
      } else {
        Check(panel == nullptr, "no panel on failure");
      }
      ck_features_free(features);
      break;
    }
    case 19: {
      ck_buffer_t* out = nullptr;
      if (ck_report_churn(Data(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no report on failure");
      }
      break;
    }
    case 26: {
      ck_buffer_t* extent = nullptr;
      Check(ck_report_extent(Data(), &extent) == CK_OK, "extent");
      const void* extents[2] = {ck_buffer_data(extent), data};
      const size_t sizes[2] = {ck_buffer_size(extent), n};
      ck_buffer_t* out = nullptr;
      if (ck_report_resolve(data, n, extents, sizes, 1, &out) == CK_OK) {
        ck_buffer_t* summary = nullptr;
        if (ck_report_summarize(Data(), ck_buffer_data(out),
                                ck_buffer_size(out), &summary) == CK_OK) {
          Consume(summary);
        }
        Consume(out);
      }
      out = nullptr;
      if (ck_report_resolve(nullptr, 0, extents, sizes, 2, &out) == CK_OK) {
        Consume(out);
      }
      ck_buffer_free(extent);
      break;
    }
    case 27: {
      ck_buffer_t* out = nullptr;
      if (ck_report_render(data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no report on failure");
      }
      ck_buffer_t* mine = nullptr;
      Check(ck_report_summarize(Data(), nullptr, 0, &mine) == CK_OK, "summary");
      const void* summaries[2] = {ck_buffer_data(mine), data};
      const size_t sizes[2] = {ck_buffer_size(mine), n};
      out = nullptr;
      if (ck_report_merge(summaries, sizes, 2, &out) == CK_OK) {
        ck_buffer_t* report = nullptr;
        if (ck_report_render(ck_buffer_data(out), ck_buffer_size(out),
                             &report) == CK_OK) {
          Consume(report);
        }
        Consume(out);
      }
      ck_buffer_free(mine);
      break;
    }
    case 20: {
      const Table& t = SmallTable();
      ck_model_t* model = nullptr;
      if (ck_model_fit(t.x.data(), t.y.size(), 2, t.names, t.y.data(), data, n,
                       &model) != CK_OK) {
        Check(model == nullptr, "no model on failure");
        break;
      }
      ck_buffer_t* out = nullptr;
      if (ck_model_explain(model, t.x.data(), 2, 2, t.names, 2, data, n,
                           &out) == CK_OK) {
        Consume(out);
      }
      ck_model_free(model);
      break;
    }
    case 28: {
      const Table& t = SmallTable();
      ck_buffer_t* out = nullptr;
      if (ck_fit_partial(data, n, t.x.data(), t.y.size(), 2, t.names,
                         t.y.data(), &out) == CK_OK) {
        Consume(out);
      }
      break;
    }
    case 29: {
      const Table& t = SmallTable();
      ck_fit_session_t* session = nullptr;
      if (ck_fit_session_create(t.names, 2, data, n, &session) != CK_OK) {
        Check(session == nullptr, "no session on failure");
        break;
      }
      int done = 0;
      const void* fuzzed[] = {data};
      const size_t fuzzed_size[] = {n};
      ck_fit_session_advance(session, fuzzed, fuzzed_size, 1, &done);
      // The fit over two halves of the table, to its end or first error.
      const size_t half = t.y.size() / 2;
      for (int round = 0; round < 200 && !done; ++round) {
        ck_buffer_t* r = nullptr;
        Check(ck_fit_session_round(session, &r) == CK_OK, "round");
        ck_buffer_t* parts[2] = {nullptr, nullptr};
        bool ok = true;
        for (size_t p = 0; p < 2 && ok; ++p) {
          const size_t begin = p * half,
                       rows = p == 0 ? half : t.y.size() - half;
          ok = ck_fit_partial(ck_buffer_data(r), ck_buffer_size(r),
                              t.x.data() + 2 * begin, rows, 2, t.names,
                              t.y.data() + begin, &parts[p]) == CK_OK;
        }
        ck_buffer_free(r);
        if (ok) {
          const void* bytes[] = {ck_buffer_data(parts[0]),
                                 ck_buffer_data(parts[1])};
          const size_t sizes[] = {ck_buffer_size(parts[0]),
                                  ck_buffer_size(parts[1])};
          ok = ck_fit_session_advance(session, bytes, sizes, 2, &done) == CK_OK;
        }
        ck_buffer_free(parts[0]);
        ck_buffer_free(parts[1]);
        if (!ok) break;
      }
      if (done) {
        ck_model_t* model = nullptr;
        Check(ck_fit_session_model(session, &model) == CK_OK, "model");
        ck_model_free(model);
      }
      ck_fit_session_free(session);
      break;
    }
    case 21: {
      const Table& t = SmallTable();
      std::vector<double> scores(t.y.size());
      for (size_t i = 0; i < scores.size(); ++i) scores[i] = t.x[2 * i] / 13;
      ck_buffer_t* out = nullptr;
      if (ck_metrics_evaluate(t.y.data(), scores.data(), scores.size(), data, n,
                              &out) == CK_OK) {
        Consume(out);
      }
      break;
    }
    case 22: {
      ck_buffer_t* out = nullptr;
      if (ck_clv_summaries(Data(), kAsOf, data, n, &out) == CK_OK) {
        Consume(out);
      }
      const double frequency[3] = {0, 2, 5}, recency[3] = {0, 10, 30},
                   age[3] = {40, 40, 40}, monetary[3] = {0, 20, 35};
      out = nullptr;
      if (ck_clv_fit(frequency, recency, age, monetary, 3, data, n, &out) ==
          CK_OK) {
        Consume(out);
      }
      churnkit::v1::ClvModel model;
      model.mutable_bg_nbd()->set_r(0.24);
      model.mutable_bg_nbd()->set_alpha(4.4);
      model.mutable_bg_nbd()->set_a(0.79);
      model.mutable_bg_nbd()->set_b(2.4);
      const std::string model_bytes = model.SerializeAsString();
      double p_alive[3];
      ck_clv_predict(model_bytes.data(), model_bytes.size(), frequency, recency,
                     age, monetary, 3, data, n, p_alive, nullptr, nullptr,
                     nullptr);
      break;
    }
    case 30: {
      // A valid part to merge with: 3 customers' patterns.
      static const std::string* valid = [] {
        churnkit::v1::RfmSummaries summaries;
        for (double x : {0.0, 2.0, 5.0}) {
          churnkit::v1::RfmSummary* c = summaries.add_customers();
          c->set_frequency(x);
          c->set_recency(x * 6);
          c->set_age(40);
          c->set_monetary(x * 7);
        }
        const std::string bytes = summaries.SerializeAsString();
        ck_buffer_t* out = nullptr;
        Check(ck_clv_patterns(bytes.data(), bytes.size(), &out) == CK_OK,
              "valid patterns");
        auto* p = new std::string(static_cast<const char*>(ck_buffer_data(out)),
                                  ck_buffer_size(out));
        ck_buffer_free(out);
        return p;
      }();
      ck_buffer_t* out = nullptr;
      std::string part(reinterpret_cast<const char*>(data), n);
      if (ck_clv_patterns(data, n, &out) == CK_OK) {
        part.assign(static_cast<const char*>(ck_buffer_data(out)),
                    ck_buffer_size(out));
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      const void* parts[2] = {part.data(), valid->data()};
      const size_t sizes[2] = {part.size(), valid->size()};
      out = nullptr;
      if (ck_clv_patterns_merge(parts, sizes, 2, &out) == CK_OK) Consume(out);
      out = nullptr;
      if (ck_clv_fit_patterns(data, n, nullptr, 0, &out) == CK_OK) {
        Consume(out);
      }
      out = nullptr;
      if (ck_clv_fit_patterns(valid->data(), valid->size(), data, n, &out) ==
          CK_OK) {
        Consume(out);
      }
      break;
    }
    case 31: {
      const double values[5] = {0, 5, 30, 15, 50};
      double a_min = 0, b_min = 0;
      if (ck_tier_thresholds(values, 5, data, n, &a_min, &b_min) == CK_OK) {
        int tiers[5];
        Check(ck_tier_assign(values, 5, a_min, b_min, tiers) == CK_OK,
              "thresholds assign");
        for (int t : tiers) {
          Check(t == CK_TIER_A || t == CK_TIER_B || t == CK_TIER_C, "a tier");
        }
      }
      break;
    }
    case 32: {
      ck_buffer_t* out = nullptr;
      if (ck_assess_totals(Data(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no totals on failure");
      }
      ck_buffer_t* mine = nullptr;
      Check(ck_assess_totals(Data(), AssessRequest().data(),
                             AssessRequest().size(), &mine) == CK_OK,
            "totals");
      const void* totals[2] = {ck_buffer_data(mine), data};
      const size_t sizes[2] = {ck_buffer_size(mine), n};
      out = nullptr;
      if (ck_assess_cutoffs(AssessRequest().data(), AssessRequest().size(),
                            totals, sizes, 2, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no cut-offs on failure");
      }
      ck_buffer_free(mine);
      break;
    }
    case 33: {
      ck_buffer_t* out = nullptr;
      if (ck_assess_candidates(Data(), AssessRequest().data(),
                               AssessRequest().size(), data, n,
                               &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no candidates on failure");
      }
      out = nullptr;
      if (ck_assess_candidates(Data(), data, n, nullptr, 0, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no candidates on failure");
      }
      break;
    }
    case 34: {
      ck_buffer_t* mine = nullptr;
      Check(ck_assess_candidates(Data(), AssessRequest().data(),
                                 AssessRequest().size(), nullptr, 0,
                                 &mine) == CK_OK,
            "candidates");
      const void* candidates[2] = {ck_buffer_data(mine), data};
      const size_t sizes[2] = {ck_buffer_size(mine), n};
      ck_buffer_t* plans[2] = {nullptr, nullptr};
      if (ck_assess_route(AssessRequest().data(), AssessRequest().size(),
                          candidates, sizes, 2, plans) == CK_OK) {
        ck_buffer_t* out = nullptr;
        Check(ck_assess_partition(Data(), AssessRequest().data(),
                                  AssessRequest().size(),
                                  ck_buffer_data(plans[0]),
                                  ck_buffer_size(plans[0]), &out) == CK_OK,
              "the data set under its plan");
        Consume(out);
        Consume(plans[0]);
        Consume(plans[1]);
      } else {
        Check(plans[0] == nullptr && plans[1] == nullptr,
              "no plans on failure");
      }
      ck_buffer_t* out = nullptr;
      if (ck_assess_partition(Data(), AssessRequest().data(),
                              AssessRequest().size(), data, n, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no assessment on failure");
      }
      ck_buffer_free(mine);
      break;
    }
    case 35: {
      churnkit::v1::AlertSummary mine;
      mine.set_capacity_per_owner(5);
      mine.set_alerts(3);
      mine.add_owners()->set_owner_id("o1");
      const std::string bytes = mine.SerializeAsString();
      const void* summaries[2] = {bytes.data(), data};
      const size_t sizes[2] = {bytes.size(), n};
      ck_buffer_t* out = nullptr;
      if (ck_assess_merge_summaries(summaries, sizes, 2, &out) == CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no summary on failure");
      }
      break;
    }
    case 36: {
      static ck_assessor_t* const assessor = [] {
        ck_assessor_t* a = nullptr;
        Check(ck_assessor_create(nullptr, 0, &a) == CK_OK, "default assessor");
        return a;
      }();
      churnkit::v1::CustomerUpdate update;
      std::string bytes(reinterpret_cast<const char*>(data), n);
      if (update.ParseFromString(bytes)) {
        if (update.customer_id().empty()) {
          const char* id = nullptr;
          Check(ck_dataset_customer_id(Data(), 0, &id) == CK_OK, "an id");
          update.set_customer_id(id);
        }
        if (update.as_of().empty()) update.set_as_of("2025-01-01");
        bytes = update.SerializeAsString();
      }
      ck_buffer_t* out = nullptr;
      if (ck_assessor_assess_customer(assessor, Data(), bytes.data(),
                                      bytes.size(), nullptr, &out) == CK_OK) {
        churnkit::v1::CustomerUpdateResult result;
        Check(result.ParseFromArray(ck_buffer_data(out),
                                    static_cast<int>(ck_buffer_size(out))),
              "a CustomerUpdateResult");
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
    case 9: {
      const std::string text(reinterpret_cast<const char*>(data), n);
      ck_buffer_t* out = nullptr;
      if (ck_proto_from_text("churnkit.v1.TrainRequest", text.c_str(), &out) ==
          CK_OK) {
        Consume(out);
      } else {
        Check(out == nullptr, "no result on failure");
      }
      break;
    }
  }
  return 0;
}
