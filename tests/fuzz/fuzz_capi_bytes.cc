// libFuzzer target: the C ABI entry points that take serialized protobuf
// bytes from the host. The first input byte picks one; the rest are the
// bytes:
//   0  ck_model_load               (a LogisticModel), then predict
//   1  ck_assessor_create_proto    (an AssessmentConfig), then assess
//   2  ck_assess                   (an AlertHistory)
//   3  ck_abtest                   (ExperimentOptions)
//   4  ck_segment                  (SegmentOptions)
//   5  ck_clv_predict              (a ClvModel)
//   6  ck_scorecard_learn          (ScorecardLearnOptions)
//   7  ck_windows_suggest          (a WindowsRequest)
//   8  ck_job_train                    (a TrainRequest)
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
#include "churnkit/v1/jobs.pb.h"
#include "fuzz_util.h"

namespace {

using churnkit::fuzz::Check;

constexpr int64_t kAsOf = 1735689600;  // 2025-01-01

ck_dataset_t* Data() {
  static ck_dataset_t* data = [] {
    char dir[] = "/tmp/churnkit-fuzz-XXXXXX";
    Check(::mkdtemp(dir) != nullptr, "mkdtemp");
    Check(ck_generate("customers: 60 seed: 3 start_date: \"2024-01-01\" "
                      "end_date: \"2024-12-31\"",
                      "pb", dir) == CK_OK,
          "generate the fuzz data set");
    const std::string options =
        std::string("paths: \"") + dir + "/records.pb\"";
    ck_dataset_t* ds = nullptr;
    Check(ck_dataset_load(options.c_str(), &ds) == CK_OK, "load it");
    return ds;
  }();
  return data;
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
    Check(ck_assessor_create(nullptr, &a) == CK_OK, "default assessor");
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = input[0] % 17;
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
      if (ck_assessor_create_proto(data, n, &assessor) != CK_OK) {
        Check(assessor == nullptr, "no assessor on failure");
        break;
      }
      ck_assessment_t* a = nullptr;
      if (ck_assess(assessor, Data(), kAsOf, nullptr, 0, &a) == CK_OK) {
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
      if (ck_assess(DefaultAssessor(), Data(), kAsOf, data, n, &a) == CK_OK) {
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
      if (ck_abtest(Data(), data, n, &out) == CK_OK) Consume(out);
      break;
    }
    case 4: {
      ck_buffer_t* out = nullptr;
      if (ck_segment(Data(), data, n, nullptr, nullptr, 0, nullptr, &out) ==
          CK_OK) {
        Consume(out);
      }
      break;
    }
    case 5: {
      const double frequency[3] = {0, 2, 5}, recency[3] = {0, 10, 30},
                   age[3] = {40, 40, 40}, monetary[3] = {0, 20, 35};
      double p_alive[3], purchases[3], spend[3], clv[3];
      if (ck_clv_predict(data, n, frequency, recency, age, monetary, 3, nullptr,
                         p_alive, purchases, spend, clv) == CK_OK) {
        for (int i = 0; i < 3; ++i) {
          Check(!std::isnan(p_alive[i]) && !std::isnan(purchases[i]) &&
                    !std::isnan(spend[i]) && !std::isnan(clv[i]),
                "no NaN in a CLV prediction");
        }
      }
      break;
    }
    case 6: {
      std::vector<double> x;
      std::vector<uint8_t> y;
      for (int i = 0; i < 120; ++i) {
        x.push_back(i % 13);
        x.push_back(i % 7 == 0 ? NAN : (i * 5) % 11);
        y.push_back((i % 13 + (i * 5) % 11 + i % 4) > 12);
      }
      const char* names[2] = {"logins_30d", "orders_90d"};
      ck_buffer_t* card = nullptr;
      ck_buffer_t* report = nullptr;
      if (ck_scorecard_learn(x.data(), 120, 2, names, y.data(), data, n, &card,
                             &report) == CK_OK) {
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
    case 15: {
      churnkit::v1::TrainTableRequest request;
      std::string bytes(reinterpret_cast<const char*>(data), n);
      if (request.ParseFromString(bytes)) {
        request.set_path(TableFile());
        bytes = request.SerializeAsString();
      }
      ck_buffer_t* out = nullptr;
      if (ck_job_train_table(bytes.data(), bytes.size(), &out) == CK_OK) {
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
