// capi/c_api.cc: the C ABI of churnkit over the public C++ API.
//
// Every entry point runs its whole body, argument checks included, inside
// Guard(), which turns an absl::Status into a ck_status plus the
// thread-local message of ck_last_error(), and any C++ exception into
// CK_RESOURCE_EXHAUSTED (std::bad_alloc) or CK_INTERNAL, so nothing ever
// unwinds into C. Only the public headers (include/churnkit/*.h and the
// generated churnkit/v1/*.pb.h) are used here.
#include "churnkit/c_api.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/assess.h"
#include "churnkit/clv.h"
#include "churnkit/dataset.h"
#include "churnkit/experiments.h"
#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "churnkit/report.h"
#include "churnkit/scorecard_learn.h"
#include "churnkit/segment.h"
#include "churnkit/v1/ingest.pb.h"
#include "churnkit/windows.h"
#include "google/protobuf/message.h"
#include "google/protobuf/message_lite.h"
#include "internal.h"

using churnkit::capi::BytesArg;
using churnkit::capi::CheckCount;
using churnkit::capi::CheckNotNull;
using churnkit::capi::GetCount;
using churnkit::capi::Guard;
using churnkit::capi::LabelerOf;
using churnkit::capi::NameAt;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::ParseOptional;
using churnkit::capi::ToBuffer;
using churnkit::capi::ToHandle;

namespace {

#define CK_STRINGIFY_(x) #x
#define CK_STRINGIFY(x) CK_STRINGIFY_(x)
constexpr char kVersionString[] =
    CK_STRINGIFY(CK_VERSION_MAJOR) "." CK_STRINGIFY(
        CK_VERSION_MINOR) "." CK_STRINGIFY(CK_VERSION_PATCH);
#undef CK_STRINGIFY
#undef CK_STRINGIFY_

}  // namespace

// ---- Versions -----------------------------------------------------------

extern "C" {

const char* ck_version(void) {
  return Guard("ck_version",
               [] { return static_cast<const char*>(kVersionString); });
}

unsigned ck_version_number(void) {
  return Guard("ck_version_number",
               [] { return static_cast<unsigned>(CK_VERSION_NUMBER); });
}

unsigned ck_abi_version(void) {
  return Guard("ck_abi_version",
               [] { return static_cast<unsigned>(CK_ABI_VERSION); });
}

// ---- Status and errors --------------------------------------------------

const char* ck_status_name(ck_status status) {
  return Guard("ck_status_name", [&status] {
    // A C caller may pass any int; read the value without an enum-typed
    // load so out-of-range values are well defined.
    std::underlying_type_t<ck_status> value;
    std::memcpy(&value, &status, sizeof value);
    static constexpr const char* kNames[] = {
        "CK_OK",
        "CK_CANCELLED",
        "CK_UNKNOWN",
        "CK_INVALID_ARGUMENT",
        "CK_DEADLINE_EXCEEDED",
        "CK_NOT_FOUND",
        "CK_ALREADY_EXISTS",
        "CK_PERMISSION_DENIED",
        "CK_RESOURCE_EXHAUSTED",
        "CK_FAILED_PRECONDITION",
        "CK_ABORTED",
        "CK_OUT_OF_RANGE",
        "CK_UNIMPLEMENTED",
        "CK_INTERNAL",
        "CK_UNAVAILABLE",
        "CK_DATA_LOSS",
        "CK_UNAUTHENTICATED",
    };
    static_assert(std::size(kNames) == CK_UNAUTHENTICATED + 1);
    // Negative values wrap to huge indices.
    const auto index =
        static_cast<std::make_unsigned_t<decltype(value)>>(value);
    if (index >= std::size(kNames)) return "CK_UNKNOWN_STATUS";
    return kNames[index];
  });
}

const char* ck_last_error(void) {
  // Not guarded: reading the error must not reset it, and nothing here can
  // throw.
  return churnkit::capi::LastError();
}

// ---- Buffers ------------------------------------------------------------

const void* ck_buffer_data(const ck_buffer_t* buffer) {
  return Guard("ck_buffer_data", [buffer]() -> const void* {
    return buffer == nullptr ? nullptr : buffer->bytes.data();
  });
}

size_t ck_buffer_size(const ck_buffer_t* buffer) {
  return Guard("ck_buffer_size", [buffer]() -> size_t {
    return buffer == nullptr ? 0 : buffer->bytes.size();
  });
}

void ck_buffer_free(ck_buffer_t* buffer) {
  Guard("ck_buffer_free", [buffer] { delete buffer; });
}

// ---- Datasets -----------------------------------------------------------

ck_status ck_dataset_load(const char* options_textproto, ck_dataset_t** out) {
  return Guard("ck_dataset_load", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (options_textproto == nullptr) return NullArgument("options_textproto");
    churnkit::v1::LoadOptions options;
    if (absl::Status s = churnkit::ParseTextProto(options_textproto, &options);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'options_textproto': ", s.message()));
    }
    return ToHandle(churnkit::LoadDataset(options), out);
  });
}

ck_status ck_dataset_load_proto(const void* options, size_t size,
                                ck_dataset_t** out) {
  return Guard("ck_dataset_load_proto", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::LoadOptions parsed;
    if (absl::Status s = ParseBytes(options, size, "options", "size", &parsed);
        !s.ok()) {
      return s;
    }
    return ToHandle(churnkit::LoadDataset(parsed), out);
  });
}

ck_status ck_dataset_from_records(const void* data, size_t size, int policy,
                                  ck_dataset_t** out) {
  return Guard("ck_dataset_from_records", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<absl::string_view> bytes =
        BytesArg(data, size, "data", "size", INT_MAX);
    if (!bytes.ok()) return bytes.status();
    if (policy != CK_POLICY_LENIENT && policy != CK_POLICY_STRICT) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'policy' is ", policy,
          "; expected CK_POLICY_LENIENT (2) or CK_POLICY_STRICT (1)"));
    }
    churnkit::v1::ValidationOptions validation;
    validation.set_policy(static_cast<churnkit::v1::ErrorPolicy>(policy));
    return ToHandle(churnkit::LoadRecordStream(*bytes, validation), out);
  });
}

void ck_dataset_free(ck_dataset_t* dataset) {
  Guard("ck_dataset_free", [dataset] { delete dataset; });
}

ck_status ck_dataset_num_customers(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_customers", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_customers();
    });
  });
}

ck_status ck_dataset_num_events(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_events", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_events();
    });
  });
}

ck_status ck_dataset_num_contacts(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_contacts", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_contacts();
    });
  });
}

ck_status ck_dataset_num_contracts(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_contracts", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_contracts();
    });
  });
}

ck_status ck_dataset_customer_id(const ck_dataset_t* dataset, size_t index,
                                 const char** out) {
  return Guard("ck_dataset_customer_id", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"dataset", dataset}, {"out", out}});
        !s.ok()) {
      return s;
    }
    const size_t n = dataset->id_offsets.size();
    if (index >= n) {
      return absl::OutOfRangeError(absl::StrCat("argument 'index' is ", index,
                                                "; the data set has ", n,
                                                " customers"));
    }
    *out = dataset->ids.c_str() + dataset->id_offsets[index];
    return absl::OkStatus();
  });
}

ck_status ck_dataset_find_customer(const ck_dataset_t* dataset,
                                   const char* customer_id, size_t* out) {
  return Guard("ck_dataset_find_customer", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull(
            {{"dataset", dataset}, {"customer_id", customer_id}, {"out", out}});
        !s.ok()) {
      return s;
    }
    std::optional<churnkit::CustomerIndex> c =
        dataset->rep.dataset.FindCustomer(customer_id);
    if (!c.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no customer with id '", customer_id, "'"));
    }
    *out = *c;
    return absl::OkStatus();
  });
}

ck_status ck_dataset_summary(const ck_dataset_t* dataset, ck_buffer_t** out) {
  return Guard("ck_dataset_summary", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    return ToBuffer(dataset->rep.dataset.Summary(), out);
  });
}

ck_status ck_dataset_error_count(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_error_count", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return static_cast<size_t>(h.rep.report.total_errors());
    });
  });
}

ck_status ck_dataset_error_at(const ck_dataset_t* dataset, size_t index,
                              const char** source, int64_t* row,
                              const char** field, const char** reason) {
  return Guard("ck_dataset_error_at", [&]() -> absl::Status {
    if (dataset == nullptr) return NullArgument("dataset");
    const churnkit::v1::ErrorReport& report = dataset->rep.report;
    const size_t kept = static_cast<size_t>(report.errors_size());
    if (index >= kept) {
      return absl::OutOfRangeError(absl::StrCat("argument 'index' is ", index,
                                                "; the report keeps ", kept,
                                                " errors"));
    }
    const churnkit::v1::DataError& error =
        report.errors(static_cast<int>(index));
    if (source != nullptr) *source = error.source().c_str();
    if (row != nullptr) *row = error.row();
    if (field != nullptr) *field = error.field().c_str();
    if (reason != nullptr) *reason = error.reason().c_str();
    return absl::OkStatus();
  });
}

ck_status ck_dataset_error_report(const ck_dataset_t* dataset,
                                  ck_buffer_t** out) {
  return Guard("ck_dataset_error_report", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    return ToBuffer(dataset->rep.report, out);
  });
}

ck_status ck_dataset_write(const ck_dataset_t* dataset, const char* format,
                           const char* path) {
  return Guard("ck_dataset_write", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull(
            {{"dataset", dataset}, {"format", format}, {"path", path}});
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::Format> parsed = churnkit::ParseFormat(format);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'format': ", parsed.status().message()));
    }
    if (*path == '\0') {
      return absl::InvalidArgumentError("argument 'path' is empty");
    }
    return churnkit::WriteDataset(dataset->rep.dataset, *parsed, path);
  });
}

// ---- Time ---------------------------------------------------------------

ck_status ck_time_parse(const char* text, int64_t* out) {
  return Guard("ck_time_parse", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"text", text}, {"out", out}});
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::UnixSeconds> t = churnkit::ParseTime(text);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'text': ", t.status().message()));
    }
    *out = *t;
    return absl::OkStatus();
  });
}

// ---- Features -------------------------------------------------------------

ck_status ck_features_create(const char* feature_set_textproto,
                             ck_features_t** out) {
  return Guard("ck_features_create", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::FeatureSet set;
    if (feature_set_textproto == nullptr) {
      absl::StatusOr<churnkit::v1::FeatureSet> d =
          churnkit::DefaultFeatureSet();
      if (!d.ok()) return d.status();
      set = *std::move(d);
    } else if (absl::Status s = ParseOptional(feature_set_textproto,
                                              "feature_set_textproto", &set);
               !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::FeatureEngine> engine =
        churnkit::FeatureEngine::Create(set);
    if (!engine.ok()) return engine.status();
    *out = new ck_features_t(*std::move(engine));
    return absl::OkStatus();
  });
}

void ck_features_free(ck_features_t* features) {
  Guard("ck_features_free", [features] { delete features; });
}

ck_status ck_features_num_columns(const ck_features_t* features, size_t* out) {
  return Guard("ck_features_num_columns", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"features", features}, {"out", out}});
        !s.ok()) {
      return s;
    }
    *out = features->engine.names().size();
    return absl::OkStatus();
  });
}

ck_status ck_features_column_name(const ck_features_t* features, size_t index,
                                  const char** out) {
  return Guard("ck_features_column_name", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"features", features}, {"out", out}});
        !s.ok()) {
      return s;
    }
    return NameAt(features->engine.names(), index, "index", out);
  });
}

ck_status ck_features_compute(const ck_features_t* features,
                              const ck_dataset_t* dataset, int64_t as_of,
                              const size_t* customer_indices,
                              size_t n_customers, double* out,
                              size_t out_size) {
  return Guard("ck_features_compute", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"features", features}, {"dataset", dataset}});
        !s.ok()) {
      return s;
    }
    if (n_customers > 0) {
      if (absl::Status s = CheckNotNull(
              {{"customer_indices", customer_indices}, {"out", out}});
          !s.ok()) {
        return s;
      }
    }
    const size_t cols = features->engine.names().size();
    if (absl::Status s =
            CheckCount(n_customers, sizeof(double) * std::max<size_t>(cols, 1),
                       "n_customers");
        !s.ok()) {
      return s;
    }
    if (out_size != n_customers * cols) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'out_size' is ", out_size, "; expected n_customers * ",
          "num_columns = ", n_customers, " * ", cols, " = ",
          n_customers * cols));
    }
    const size_t n = dataset->rep.dataset.num_customers();
    std::vector<churnkit::CustomerIndex> rows(n_customers);
    for (size_t i = 0; i < n_customers; ++i) {
      if (customer_indices[i] >= n) {
        return absl::OutOfRangeError(
            absl::StrCat("customer_indices[", i, "] is ", customer_indices[i],
                         "; the data set has ", n, " customers"));
      }
      rows[i] = static_cast<churnkit::CustomerIndex>(customer_indices[i]);
    }
    absl::StatusOr<churnkit::FeatureMatrix> m =
        features->engine.ComputeFor(dataset->rep.dataset, rows, as_of);
    if (!m.ok()) return m.status();
    if (!m->values.empty()) {
      std::memcpy(out, m->values.data(), m->values.size() * sizeof(double));
    }
    return absl::OkStatus();
  });
}

ck_status ck_features_compute_matrix(const ck_features_t* features,
                                     const ck_dataset_t* dataset, int64_t as_of,
                                     ck_matrix_t** out) {
  return Guard("ck_features_compute_matrix", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s =
            CheckNotNull({{"features", features}, {"dataset", dataset}});
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::FeatureMatrix> m =
        features->engine.Compute(dataset->rep.dataset, as_of);
    if (!m.ok()) return m.status();
    *out = new ck_matrix_t{*std::move(m), {}};
    return absl::OkStatus();
  });
}

ck_status ck_matrix_shape(const ck_matrix_t* matrix, size_t* rows,
                          size_t* cols) {
  return Guard("ck_matrix_shape", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"matrix", matrix}, {"rows", rows}, {"cols", cols}});
        !s.ok()) {
      return s;
    }
    *rows = matrix->matrix.num_rows();
    *cols = matrix->matrix.num_cols();
    return absl::OkStatus();
  });
}

const double* ck_matrix_data(const ck_matrix_t* matrix) {
  return Guard("ck_matrix_data", [matrix]() -> const double* {
    return matrix == nullptr || matrix->matrix.values.empty()
               ? nullptr
               : matrix->matrix.values.data();
  });
}

ck_status ck_matrix_customer_id(const ck_matrix_t* matrix, size_t row,
                                const char** out) {
  return Guard("ck_matrix_customer_id", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"matrix", matrix}, {"out", out}});
        !s.ok()) {
      return s;
    }
    return NameAt(matrix->matrix.customer_ids, row, "row", out);
  });
}

ck_status ck_matrix_column_name(const ck_matrix_t* matrix, size_t col,
                                const char** out) {
  return Guard("ck_matrix_column_name", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"matrix", matrix}, {"out", out}});
        !s.ok()) {
      return s;
    }
    return NameAt(matrix->matrix.columns, col, "col", out);
  });
}

ck_status ck_matrix_row_as_of(const ck_matrix_t* matrix, size_t row,
                              int64_t* out) {
  return Guard("ck_matrix_row_as_of", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"matrix", matrix}, {"out", out}});
        !s.ok()) {
      return s;
    }
    const churnkit::FeatureMatrix& m = matrix->matrix;
    if (row >= m.num_rows()) {
      return absl::OutOfRangeError(absl::StrCat(
          "argument 'row' is ", row, "; there are ", m.num_rows(), " rows"));
    }
    *out = m.as_of.empty() ? churnkit::kNoTime : m.as_of[row];
    return absl::OkStatus();
  });
}

ck_status ck_matrix_labels(const ck_matrix_t* matrix, const uint8_t** out) {
  return Guard("ck_matrix_labels", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"matrix", matrix}, {"out", out}});
        !s.ok()) {
      return s;
    }
    *out = nullptr;
    if (matrix->labels.size() != matrix->matrix.num_rows() ||
        matrix->labels.empty()) {
      return absl::FailedPreconditionError(
          "the matrix has no labels (not a training panel, or no rows)");
    }
    *out = matrix->labels.data();
    return absl::OkStatus();
  });
}

void ck_matrix_free(ck_matrix_t* matrix) {
  Guard("ck_matrix_free", [matrix] { delete matrix; });
}

// ---- Churn labels -----------------------------------------------------------

ck_status ck_labels_compute(const ck_dataset_t* dataset,
                            const char* definition_textproto, int64_t as_of,
                            ck_buffer_t** out) {
  return Guard("ck_labels_compute", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    absl::StatusOr<churnkit::ChurnLabeler> labeler =
        LabelerOf(definition_textproto);
    if (!labeler.ok()) return labeler.status();
    const churnkit::Dataset& ds = dataset->rep.dataset;
    absl::StatusOr<std::vector<churnkit::ChurnLabel>> labels =
        labeler->Label(ds, as_of);
    if (!labels.ok()) return labels.status();
    return ToBuffer(churnkit::ToLabelSet(ds, *labels, as_of), out);
  });
}

ck_status ck_training_panel(const ck_features_t* features,
                            const ck_dataset_t* dataset,
                            const char* definition_textproto,
                            const int64_t* dates, size_t n_dates,
                            int32_t horizon_days, ck_matrix_t** out) {
  return Guard("ck_training_panel", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s =
            CheckNotNull({{"features", features}, {"dataset", dataset}});
        !s.ok()) {
      return s;
    }
    if (dates == nullptr && n_dates > 0) return NullArgument("dates");
    if (absl::Status s = CheckCount(n_dates, sizeof(int64_t), "n_dates");
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::ChurnLabeler> labeler =
        LabelerOf(definition_textproto);
    if (!labeler.ok()) return labeler.status();
    absl::StatusOr<churnkit::TrainingPanel> panel =
        churnkit::BuildTrainingPanel(
            dataset->rep.dataset, features->engine, *labeler,
            absl::MakeConstSpan(dates, n_dates), horizon_days);
    if (!panel.ok()) return panel.status();
    *out =
        new ck_matrix_t{std::move(panel->features), std::move(panel->labels)};
    return absl::OkStatus();
  });
}

// ---- Reports ----------------------------------------------------------------

ck_status ck_report_churn(const ck_dataset_t* dataset,
                          const char* request_textproto, ck_buffer_t** out) {
  return Guard("ck_report_churn", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::ReportRequest request;
    if (absl::Status s =
            ParseOptional(request_textproto, "request_textproto", &request);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::ChurnReport> report =
        churnkit::BuildChurnReport(dataset->rep.dataset, request);
    if (!report.ok()) return report.status();
    return ToBuffer(*report, out);
  });
}

ck_status ck_segment(const ck_dataset_t* dataset, const void* options,
                     size_t options_size, const char* const* risk_ids,
                     const double* risk, size_t num_risk,
                     const ck_assessment_t* assessment, ck_buffer_t** out) {
  return Guard("ck_segment", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    if (options == nullptr && options_size != 0) return NullArgument("options");
    if (absl::Status s = CheckCount(num_risk, sizeof(double), "num_risk");
        !s.ok()) {
      return s;
    }
    if (num_risk != 0) {
      if (absl::Status s =
              CheckNotNull({{"risk_ids", risk_ids}, {"risk", risk}});
          !s.ok()) {
        return s;
      }
    }
    if (assessment != nullptr &&
        (risk_ids != nullptr || risk != nullptr || num_risk != 0)) {
      return absl::InvalidArgumentError(
          "give the risk either as arrays or as an assessment, not both");
    }
    churnkit::v1::SegmentOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok()) {
      return s;
    }
    const churnkit::Dataset& ds = dataset->rep.dataset;
    absl::StatusOr<churnkit::v1::SegmentReport> report;
    if (assessment != nullptr) {
      report = churnkit::SegmentWithAssessment(ds, parsed,
                                               assessment->result.assessment);
    } else {
      std::vector<std::string> ids;
      ids.reserve(num_risk);
      for (size_t i = 0; i < num_risk; ++i) {
        if (risk_ids[i] == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("argument 'risk_ids[", i, "]' is NULL"));
        }
        ids.emplace_back(risk_ids[i]);
      }
      report = churnkit::Segment(
          ds, parsed,
          churnkit::RiskInput{ids, absl::MakeConstSpan(risk, num_risk)});
    }
    if (!report.ok()) return report.status();
    return ToBuffer(*report, out);
  });
}

}  // extern "C"

// ---- Churn prediction and metrics ---------------------------------------

namespace {

// Views a caller's row-major matrix, copying its column names into
// `names` (which must outlive the view).
absl::Status ViewMatrix(const double* x, size_t rows, size_t cols,
                        const char* const* column_names,
                        std::vector<std::string>* names,
                        churnkit::MatrixView* view) {
  if (cols == 0) return absl::InvalidArgumentError("argument 'cols' is 0");
  if (column_names == nullptr) return NullArgument("column_names");
  if (rows > 0 && x == nullptr) return NullArgument("x");
  if (absl::Status s = CheckCount(rows, sizeof(double) * cols, "rows");
      !s.ok()) {
    return s;
  }
  names->clear();
  for (size_t j = 0; j < cols; ++j) {
    if (column_names[j] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'column_names[", j, "]' is NULL"));
    }
    names->emplace_back(column_names[j]);
  }
  view->values = absl::MakeConstSpan(x, rows * cols);
  view->columns = *names;
  return absl::OkStatus();
}

}  // namespace

extern "C" {

ck_status ck_model_fit(const double* x, size_t rows, size_t cols,
                       const char* const* column_names, const uint8_t* labels,
                       const char* options_textproto, ck_model_t** out) {
  return Guard("ck_model_fit", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (labels == nullptr && rows > 0) return NullArgument("labels");
    std::vector<std::string> names;
    churnkit::MatrixView view;
    if (absl::Status s = ViewMatrix(x, rows, cols, column_names, &names, &view);
        !s.ok()) {
      return s;
    }
    churnkit::v1::FitOptions options;
    if (absl::Status s =
            ParseOptional(options_textproto, "options_textproto", &options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::LogisticModel> model =
        churnkit::FitLogistic(view, absl::MakeConstSpan(labels, rows), options);
    if (!model.ok()) return model.status();
    *out = new ck_model_t{*std::move(model)};
    return absl::OkStatus();
  });
}

ck_status ck_model_predict(const ck_model_t* model, const double* x,
                           size_t rows, size_t cols,
                           const char* const* column_names, double* out,
                           size_t out_size) {
  return Guard("ck_model_predict", [&]() -> absl::Status {
    if (model == nullptr) return NullArgument("model");
    if (out == nullptr && out_size > 0) return NullArgument("out");
    std::vector<std::string> names;
    churnkit::MatrixView view;
    if (absl::Status s = ViewMatrix(x, rows, cols, column_names, &names, &view);
        !s.ok()) {
      return s;
    }
    if (out_size != rows) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'out_size' is ", out_size, "; expected rows = ", rows));
    }
    return churnkit::PredictInto(model->model, view,
                                 absl::MakeSpan(out, out_size));
  });
}

ck_status ck_model_explain(const ck_model_t* model, const double* x,
                           size_t rows, size_t cols,
                           const char* const* column_names, size_t top_k,
                           const char* feature_set_textproto,
                           ck_buffer_t** out) {
  return Guard("ck_model_explain", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (model == nullptr) return NullArgument("model");
    std::vector<std::string> names;
    churnkit::MatrixView view;
    if (absl::Status s = ViewMatrix(x, rows, cols, column_names, &names, &view);
        !s.ok()) {
      return s;
    }
    if (top_k > 1000000) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'top_k' is ", top_k, "; at most 1000000"));
    }
    churnkit::v1::FeatureSet set;
    if (feature_set_textproto == nullptr) {
      absl::StatusOr<churnkit::v1::FeatureSet> d =
          churnkit::DefaultFeatureSet();
      if (!d.ok()) return d.status();
      set = *std::move(d);
    } else if (absl::Status s = ParseOptional(feature_set_textproto,
                                              "feature_set_textproto", &set);
               !s.ok()) {
      return s;
    }
    churnkit::ExplainOptions options;
    options.top_k = static_cast<int>(top_k);
    options.feature_set = &set;
    absl::StatusOr<churnkit::v1::Explanations> why =
        churnkit::Explain(model->model, view, options);
    if (!why.ok()) return why.status();
    return ToBuffer(*why, out);
  });
}

ck_status ck_model_num_features(const ck_model_t* model, size_t* out) {
  return Guard("ck_model_num_features", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"model", model}, {"out", out}});
        !s.ok()) {
      return s;
    }
    *out = static_cast<size_t>(model->model.feature_names_size());
    return absl::OkStatus();
  });
}

ck_status ck_model_feature_name(const ck_model_t* model, size_t index,
                                const char** out) {
  return Guard("ck_model_feature_name", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"model", model}, {"out", out}});
        !s.ok()) {
      return s;
    }
    const size_t n = static_cast<size_t>(model->model.feature_names_size());
    if (index >= n) {
      return absl::OutOfRangeError(absl::StrCat(
          "argument 'index' is ", index, "; the model has ", n, " features"));
    }
    *out = model->model.feature_names(static_cast<int>(index)).c_str();
    return absl::OkStatus();
  });
}

ck_status ck_model_save(const ck_model_t* model, ck_buffer_t** out) {
  return Guard("ck_model_save", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (model == nullptr) return NullArgument("model");
    absl::StatusOr<std::string> bytes = churnkit::SerializeModel(model->model);
    if (!bytes.ok()) return bytes.status();
    *out = new ck_buffer_t{*std::move(bytes)};
    return absl::OkStatus();
  });
}

ck_status ck_model_load(const void* data, size_t size, ck_model_t** out) {
  return Guard("ck_model_load", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (data == nullptr) return NullArgument("data");
    absl::StatusOr<absl::string_view> bytes =
        BytesArg(data, size, "data", "size", INT_MAX);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<churnkit::v1::LogisticModel> model =
        churnkit::ParseModel(*bytes);
    if (!model.ok()) return model.status();
    *out = new ck_model_t{*std::move(model)};
    return absl::OkStatus();
  });
}

void ck_model_free(ck_model_t* model) {
  Guard("ck_model_free", [model] { delete model; });
}

ck_status ck_metrics_evaluate(const uint8_t* labels, const double* scores,
                              size_t n, const char* options_textproto,
                              ck_buffer_t** out) {
  return Guard("ck_metrics_evaluate", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s = CheckNotNull({{"labels", labels}, {"scores", scores}});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckCount(n, sizeof(double), "n"); !s.ok()) return s;
    churnkit::v1::EvaluationOptions options;
    if (absl::Status s =
            ParseOptional(options_textproto, "options_textproto", &options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::Evaluation> e =
        churnkit::Evaluate(absl::MakeConstSpan(labels, n),
                           absl::MakeConstSpan(scores, n), options);
    if (!e.ok()) return e.status();
    return ToBuffer(*e, out);
  });
}

}  // extern "C"

// ---- Learned scorecards ---------------------------------------------------

extern "C" {

ck_status ck_scorecard_learn(const double* x, size_t rows, size_t cols,
                             const char* const* column_names,
                             const uint8_t* labels, const void* options,
                             size_t options_size, ck_buffer_t** scorecard_out,
                             ck_buffer_t** report_out) {
  return Guard("ck_scorecard_learn", [&]() -> absl::Status {
    if (report_out != nullptr) *report_out = nullptr;
    if (scorecard_out == nullptr) return NullArgument("scorecard_out");
    *scorecard_out = nullptr;
    if (labels == nullptr && rows > 0) return NullArgument("labels");
    if (options == nullptr && options_size != 0) return NullArgument("options");
    std::vector<std::string> names;
    churnkit::MatrixView view;
    if (absl::Status s = ViewMatrix(x, rows, cols, column_names, &names, &view);
        !s.ok()) {
      return s;
    }
    churnkit::v1::ScorecardLearnOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::LearnedScorecard> learned =
        churnkit::LearnScorecard(view, absl::MakeConstSpan(labels, rows),
                                 parsed);
    if (!learned.ok()) return learned.status();
    ck_buffer_t* card = nullptr;
    if (absl::Status s = ToBuffer(learned->scorecard, &card); !s.ok()) return s;
    std::unique_ptr<ck_buffer_t> owned(card);
    if (report_out != nullptr) {
      if (absl::Status s = ToBuffer(learned->report, report_out); !s.ok()) {
        return s;
      }
    }
    *scorecard_out = owned.release();
    return absl::OkStatus();
  });
}

}  // extern "C"

// ---- Generator ------------------------------------------------------------

extern "C" {

ck_status ck_generate(const char* config_textproto, const char* format,
                      const char* out_dir) {
  return Guard("ck_generate", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"config_textproto", config_textproto},
                                       {"format", format},
                                       {"out_dir", out_dir}});
        !s.ok()) {
      return s;
    }
    churnkit::v1::GeneratorConfig config;
    if (absl::Status s = churnkit::ParseTextProto(config_textproto, &config);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'config_textproto': ", s.message()));
    }
    absl::StatusOr<churnkit::v1::Format> parsed = churnkit::ParseFormat(format);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'format': ", parsed.status().message()));
    }
    if (*out_dir == '\0') {
      return absl::InvalidArgumentError("argument 'out_dir' is empty");
    }
    return churnkit::Generate(config, *parsed, out_dir).status();
  });
}

}  // extern "C"

// ---- Experiments (A/B tests) ------------------------------------------------

namespace {

// Stores `value` in *out when out is not NULL.
template <typename T>
void SetIf(T* out, T value) {
  if (out != nullptr) *out = value;
}

}  // namespace

extern "C" {

ck_status ck_abtest(const ck_dataset_t* dataset, const void* options,
                    size_t options_size, ck_buffer_t** out) {
  return Guard("ck_abtest", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::ExperimentOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::ExperimentReport> report =
        churnkit::AnalyzeExperiments(dataset->rep.dataset, parsed);
    if (!report.ok()) return report.status();
    return ToBuffer(*report, out);
  });
}

ck_status ck_windows_suggest(const ck_dataset_t* dataset, const void* request,
                             size_t request_size, ck_buffer_t** out) {
  return Guard("ck_windows_suggest", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::WindowsRequest parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::WindowsResult> result =
        churnkit::SuggestWindows(dataset->rep.dataset, parsed);
    if (!result.ok()) return result.status();
    return ToBuffer(*result, out);
  });
}

ck_status ck_two_proportion_test(int64_t successes1, int64_t trials1,
                                 int64_t successes2, int64_t trials2, double* z,
                                 double* p_value, double* p_value_greater) {
  return Guard("ck_two_proportion_test", [&]() -> absl::Status {
    absl::StatusOr<churnkit::TwoProportionTest> t =
        churnkit::TwoProportionZTest(successes1, trials1, successes2, trials2);
    if (!t.ok()) return t.status();
    SetIf(z, t->z);
    SetIf(p_value, t->p_value);
    SetIf(p_value_greater, t->p_value_greater);
    return absl::OkStatus();
  });
}

ck_status ck_difference_interval(int64_t successes1, int64_t trials1,
                                 int64_t successes2, int64_t trials2,
                                 double alpha, int method, double* lower,
                                 double* upper) {
  return Guard("ck_difference_interval", [&]() -> absl::Status {
    if (method != CK_INTERVAL_WALD && method != CK_INTERVAL_NEWCOMBE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'method': ", method,
          " is neither CK_INTERVAL_WALD (1) nor CK_INTERVAL_NEWCOMBE (2)"));
    }
    absl::StatusOr<churnkit::Interval> ci = churnkit::DifferenceInterval(
        successes1, trials1, successes2, trials2, alpha,
        method == CK_INTERVAL_WALD ? churnkit::IntervalMethod::kWald
                                   : churnkit::IntervalMethod::kNewcombe);
    if (!ci.ok()) return ci.status();
    SetIf(lower, ci->lower);
    SetIf(upper, ci->upper);
    return absl::OkStatus();
  });
}

ck_status ck_fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d,
                          double* p_value, double* p_less, double* p_greater,
                          double* odds_ratio) {
  return Guard("ck_fisher_exact", [&]() -> absl::Status {
    absl::StatusOr<churnkit::FisherExactResult> r =
        churnkit::FisherExact(a, b, c, d);
    if (!r.ok()) return r.status();
    SetIf(p_value, r->p_value);
    SetIf(p_less, r->p_less);
    SetIf(p_greater, r->p_greater);
    SetIf(odds_ratio, r->odds_ratio.value_or(-1.0));
    return absl::OkStatus();
  });
}

ck_status ck_sample_size(double p1, double p2, double alpha, double power,
                         int64_t* out) {
  return Guard("ck_sample_size", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    absl::StatusOr<int64_t> n =
        churnkit::SampleSizePerArm(p1, p2, alpha, power);
    if (!n.ok()) return n.status();
    *out = *n;
    return absl::OkStatus();
  });
}

}  // extern "C"

// ---- Assessment
// ---------------------------------------------------------------

extern "C" {

ck_status ck_assessor_create(const char* config_textproto,
                             ck_assessor_t** out) {
  return Guard("ck_assessor_create", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::AssessmentConfig config;
    if (absl::Status s =
            ParseOptional(config_textproto, "config_textproto", &config);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::Assessor> a = churnkit::Assessor::Create(config);
    if (!a.ok()) return a.status();
    *out = new ck_assessor_t(*std::move(a));
    return absl::OkStatus();
  });
}

ck_status ck_assessor_create_proto(const void* config, size_t size,
                                   ck_assessor_t** out) {
  return Guard("ck_assessor_create_proto", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::AssessmentConfig parsed;
    if (absl::Status s = ParseBytes(config, size, "config", "size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::Assessor> a = churnkit::Assessor::Create(parsed);
    if (!a.ok()) return a.status();
    *out = new ck_assessor_t(*std::move(a));
    return absl::OkStatus();
  });
}

void ck_assessor_free(ck_assessor_t* assessor) {
  Guard("ck_assessor_free", [assessor] { delete assessor; });
}

namespace {

// ck_assess and ck_assess_with_model (`model` may be NULL).
ck_status AssessWith(const char* function, const ck_assessor_t* assessor,
                     const ck_dataset_t* dataset, int64_t as_of,
                     const void* history, size_t history_size,
                     const ck_model_t* model, ck_assessment_t** out) {
  return Guard(function, [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s =
            CheckNotNull({{"assessor", assessor}, {"dataset", dataset}});
        !s.ok()) {
      return s;
    }
    churnkit::v1::AlertHistory parsed;
    if (absl::Status s = ParseBytes(history, history_size, "history",
                                    "history_size", &parsed);
        !s.ok()) {
      return s;
    }
    churnkit::AssessOptions options;
    if (history_size > 0) options.history = &parsed;
    if (model != nullptr) options.model = &model->model;
    absl::StatusOr<churnkit::AssessResult> r =
        assessor->assessor.Assess(dataset->rep.dataset, as_of, options);
    if (!r.ok()) return r.status();
    *out = new ck_assessment_t{*std::move(r)};
    return absl::OkStatus();
  });
}

}  // namespace

ck_status ck_assess(const ck_assessor_t* assessor, const ck_dataset_t* dataset,
                    int64_t as_of, const void* history, size_t history_size,
                    ck_assessment_t** out) {
  return AssessWith("ck_assess", assessor, dataset, as_of, history,
                    history_size, nullptr, out);
}

ck_status ck_assess_with_model(const ck_assessor_t* assessor,
                               const ck_dataset_t* dataset, int64_t as_of,
                               const void* history, size_t history_size,
                               const ck_model_t* model, ck_assessment_t** out) {
  return AssessWith("ck_assess_with_model", assessor, dataset, as_of, history,
                    history_size, model, out);
}

void ck_assessment_free(ck_assessment_t* assessment) {
  Guard("ck_assessment_free", [assessment] { delete assessment; });
}

ck_status ck_assessment_num_customers(const ck_assessment_t* assessment,
                                      size_t* out) {
  return Guard("ck_assessment_num_customers", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"assessment", assessment}, {"out", out}});
        !s.ok()) {
      return s;
    }
    *out = static_cast<size_t>(assessment->result.assessment.customers_size());
    return absl::OkStatus();
  });
}

ck_status ck_assessment_customer(const ck_assessment_t* assessment,
                                 size_t index, const char** id, double* score,
                                 int* colour, size_t* num_alerts,
                                 size_t* num_tasks) {
  return Guard("ck_assessment_customer", [&]() -> absl::Status {
    if (assessment == nullptr) return NullArgument("assessment");
    const auto& customers = assessment->result.assessment.customers();
    if (index >= static_cast<size_t>(customers.size())) {
      return absl::OutOfRangeError(
          absl::StrCat("argument 'index' is ", index, "; there are ",
                       customers.size(), " customers"));
    }
    const churnkit::v1::CustomerAssessment& c =
        customers.Get(static_cast<int>(index));
    if (id != nullptr) *id = c.customer_id().c_str();
    if (score != nullptr) *score = c.score();
    if (colour != nullptr) *colour = c.colour();
    if (num_alerts != nullptr) *num_alerts = c.alerts_size();
    if (num_tasks != nullptr) *num_tasks = c.tasks_size();
    return absl::OkStatus();
  });
}

ck_status ck_assessment_churn_probability(const ck_assessment_t* assessment,
                                          size_t index, double* out) {
  return Guard("ck_assessment_churn_probability", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"assessment", assessment}, {"out", out}});
        !s.ok()) {
      return s;
    }
    const auto& customers = assessment->result.assessment.customers();
    if (index >= static_cast<size_t>(customers.size())) {
      return absl::OutOfRangeError(
          absl::StrCat("argument 'index' is ", index, "; there are ",
                       customers.size(), " customers"));
    }
    *out = customers.Get(static_cast<int>(index)).churn_probability();
    return absl::OkStatus();
  });
}

ck_status ck_assessment_serialize(const ck_assessment_t* assessment,
                                  ck_buffer_t** out) {
  return Guard("ck_assessment_serialize", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (assessment == nullptr) return NullArgument("assessment");
    return ToBuffer(assessment->result.assessment, out);
  });
}

ck_status ck_assessment_history(const ck_assessment_t* assessment,
                                ck_buffer_t** out) {
  return Guard("ck_assessment_history", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (assessment == nullptr) return NullArgument("assessment");
    return ToBuffer(assessment->result.history, out);
  });
}

}  // extern "C"

// ---- Customer lifetime value ------------------------------------------------

namespace {

// Copies caller arrays into summaries (monetary only when not NULL).
absl::Status RfmFromArrays(const double* frequency, const double* recency,
                           const double* age, const double* monetary, size_t n,
                           churnkit::RfmSummaries* rfm) {
  if (absl::Status s = CheckNotNull(
          {{"frequency", frequency}, {"recency", recency}, {"age", age}});
      !s.ok()) {
    return s;
  }
  if (n == 0) return absl::InvalidArgumentError("argument 'n' is 0");
  if (absl::Status s = CheckCount(n, sizeof(double), "n"); !s.ok()) return s;
  rfm->frequency.assign(frequency, frequency + n);
  rfm->recency.assign(recency, recency + n);
  rfm->age.assign(age, age + n);
  if (monetary != nullptr) rfm->monetary.assign(monetary, monetary + n);
  rfm->time_unit = churnkit::v1::CLV_TIME_UNIT_UNSPECIFIED;
  return absl::OkStatus();
}

}  // namespace

extern "C" {

ck_status ck_clv_summaries(const ck_dataset_t* dataset, int64_t as_of,
                           const char* options_textproto, ck_buffer_t** out) {
  return Guard("ck_clv_summaries", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::RfmOptions options;
    if (absl::Status s =
            ParseOptional(options_textproto, "options_textproto", &options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::RfmSummaries> rfm =
        churnkit::ComputeRfmSummaries(dataset->rep.dataset, as_of, options);
    if (!rfm.ok()) return rfm.status();
    return ToBuffer(churnkit::ToProto(*rfm, as_of), out);
  });
}

ck_status ck_clv_fit(const double* frequency, const double* recency,
                     const double* age, const double* monetary, size_t n,
                     const char* options_textproto, ck_buffer_t** out) {
  return Guard("ck_clv_fit", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::RfmSummaries rfm;
    if (absl::Status s =
            RfmFromArrays(frequency, recency, age, monetary, n, &rfm);
        !s.ok()) {
      return s;
    }
    churnkit::v1::ClvFitOptions options;
    if (absl::Status s =
            ParseOptional(options_textproto, "options_textproto", &options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::ClvModel> model =
        churnkit::FitClv(rfm, options);
    if (!model.ok()) return model.status();
    return ToBuffer(*model, out);
  });
}

ck_status ck_clv_predict(const void* model, size_t model_size,
                         const double* frequency, const double* recency,
                         const double* age, const double* monetary, size_t n,
                         const char* options_textproto, double* p_alive,
                         double* expected_purchases, double* expected_spend,
                         double* clv) {
  return Guard("ck_clv_predict", [&]() -> absl::Status {
    if (model == nullptr) return NullArgument("model");
    absl::StatusOr<absl::string_view> bytes =
        BytesArg(model, model_size, "model", "model_size", INT_MAX);
    if (!bytes.ok()) return bytes.status();
    churnkit::v1::ClvModel m;
    if (!churnkit::ParseBinaryProto(*bytes, &m).ok() || !m.has_bg_nbd()) {
      return absl::InvalidArgumentError(
          "argument 'model' is not a churnkit.v1.ClvModel with a BG/NBD part");
    }
    const bool spend = m.has_gamma_gamma();
    if (spend && monetary == nullptr) return NullArgument("monetary");
    churnkit::RfmSummaries rfm;
    if (absl::Status s = RfmFromArrays(frequency, recency, age,
                                       spend ? monetary : nullptr, n, &rfm);
        !s.ok()) {
      return s;
    }
    if (options_textproto == nullptr) return NullArgument("options_textproto");
    churnkit::v1::ClvPredictOptions options;
    if (absl::Status s =
            ParseOptional(options_textproto, "options_textproto", &options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::ClvPredictions> p = churnkit::PredictClv(
        rfm, m.bg_nbd(), spend ? &m.gamma_gamma() : nullptr, options);
    if (!p.ok()) return p.status();
    for (auto [dst, src] :
         {std::pair<double*, const std::vector<double>*>{p_alive, &p->p_alive},
          {expected_purchases, &p->expected_purchases},
          {expected_spend, &p->expected_spend},
          {clv, &p->clv}}) {
      if (dst != nullptr) std::copy(src->begin(), src->end(), dst);
    }
    return absl::OkStatus();
  });
}

}  // extern "C"
