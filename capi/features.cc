// capi/features.cc: features, matrices, churn labels and training panels.
#include "churnkit/features.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/dataset.h"
#include "churnkit/labels.h"
#include "internal.h"

using churnkit::capi::CheckCount;
using churnkit::capi::CheckNotNull;
using churnkit::capi::FeatureSetArg;
using churnkit::capi::Guard;
using churnkit::capi::LabelerOf;
using churnkit::capi::NameAt;
using churnkit::capi::NullArgument;
using churnkit::capi::Threads;
using churnkit::capi::ToBuffer;

extern "C" {

// ---- Features -------------------------------------------------------------

ck_status ck_features_create(const void* feature_set, size_t feature_set_size,
                             ck_features_t** out) {
  return Guard("ck_features_create", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<churnkit::v1::FeatureSet> set =
        FeatureSetArg(feature_set, feature_set_size);
    if (!set.ok()) return set.status();
    absl::StatusOr<churnkit::FeatureEngine> engine =
        churnkit::FeatureEngine::Create(*set);
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
    absl::StatusOr<churnkit::FeatureMatrix> m = features->engine.ComputeFor(
        dataset->rep.dataset, rows, as_of, {.threads = Threads()});
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
    absl::StatusOr<churnkit::FeatureMatrix> m = features->engine.Compute(
        dataset->rep.dataset, as_of, {.threads = Threads()});
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

ck_status ck_labels_compute(const ck_dataset_t* dataset, const void* definition,
                            size_t definition_size, int64_t as_of,
                            ck_buffer_t** out) {
  return Guard("ck_labels_compute", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    absl::StatusOr<churnkit::ChurnLabeler> labeler =
        LabelerOf(definition, definition_size);
    if (!labeler.ok()) return labeler.status();
    const churnkit::Dataset& ds = dataset->rep.dataset;
    // The history too, so that each label lists its churn episodes.
    absl::StatusOr<churnkit::ChurnHistory> history =
        labeler->History(ds, as_of, Threads());
    if (!history.ok()) return history.status();
    return ToBuffer(
        churnkit::ToLabelSet(ds, history->Labels(ds, as_of), as_of, &*history),
        out);
  });
}

ck_status ck_features_compute_panel(const ck_features_t* features,
                                    const ck_dataset_t* dataset,
                                    const void* definition,
                                    size_t definition_size,
                                    const int64_t* dates, size_t n_dates,
                                    int32_t horizon_days, ck_matrix_t** out) {
  return Guard("ck_features_compute_panel", [&]() -> absl::Status {
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
        LabelerOf(definition, definition_size);
    if (!labeler.ok()) return labeler.status();
    absl::StatusOr<churnkit::TrainingPanel> panel =
        churnkit::BuildTrainingPanel(dataset->rep.dataset, features->engine,
                                     *labeler,
                                     absl::MakeConstSpan(dates, n_dates),
                                     horizon_days, {.threads = Threads()});
    if (!panel.ok()) return panel.status();
    *out =
        new ck_matrix_t{std::move(panel->features), std::move(panel->labels)};
    return absl::OkStatus();
  });
}

ck_status ck_matrix_customer_ids(const ck_matrix_t* matrix, ck_buffer_t** out) {
  return Guard("ck_matrix_customer_ids", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (matrix == nullptr) return NullArgument("matrix");
    std::string ids;
    for (const std::string& id : matrix->matrix.customer_ids) {
      ids.append(id);
      ids.push_back('\0');
    }
    return ToBuffer(std::move(ids), out);
  });
}

}  // extern "C"
