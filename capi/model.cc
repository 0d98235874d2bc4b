// capi/model.cc: churn prediction (fit, score, explain, persist), metrics and
// learned scorecards.
#include "churnkit/model.h"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/features.h"
#include "churnkit/metrics.h"
#include "churnkit/scorecard_learn.h"
#include "internal.h"

using churnkit::capi::BytesArg;
using churnkit::capi::CheckCount;
using churnkit::capi::CheckNotNull;
using churnkit::capi::FeatureSetArg;
using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::ToBuffer;

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
                       const void* options, size_t options_size,
                       ck_model_t** out) {
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
    churnkit::v1::FitOptions parsed_options;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed_options);
        !s.ok()) {
      return s;
    }
    churnkit::capi::UseCallerThreads(&parsed_options);
    absl::StatusOr<churnkit::v1::LogisticModel> model = churnkit::FitLogistic(
        view, absl::MakeConstSpan(labels, rows), parsed_options);
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
                                 absl::MakeSpan(out, out_size),
                                 churnkit::capi::Threads());
  });
}

ck_status ck_model_explain(const ck_model_t* model, const double* x,
                           size_t rows, size_t cols,
                           const char* const* column_names, size_t top_k,
                           const void* feature_set, size_t feature_set_size,
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
    absl::StatusOr<churnkit::v1::FeatureSet> set =
        FeatureSetArg(feature_set, feature_set_size);
    if (!set.ok()) return set.status();
    churnkit::ExplainOptions options;
    options.top_k = static_cast<int>(top_k);
    options.feature_set = &*set;
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
                              size_t n, const void* options,
                              size_t options_size, ck_buffer_t** out) {
  return Guard("ck_metrics_evaluate", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s = CheckNotNull({{"labels", labels}, {"scores", scores}});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckCount(n, sizeof(double), "n"); !s.ok()) return s;
    churnkit::v1::EvaluationOptions parsed_options;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed_options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::Evaluation> e =
        churnkit::Evaluate(absl::MakeConstSpan(labels, n),
                           absl::MakeConstSpan(scores, n), parsed_options);
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

// ---- A fit over partitions of the rows ----------------------------------

ck_status ck_fit_session_create(const char* const* column_names, size_t cols,
                                const void* options, size_t options_size,
                                ck_fit_session_t** out) {
  return Guard("ck_fit_session_create", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (column_names == nullptr) return NullArgument("column_names");
    if (cols == 0) return absl::InvalidArgumentError("argument 'cols' is 0");
    if (absl::Status s = CheckCount(cols, sizeof(char*), "cols"); !s.ok())
      return s;
    std::vector<std::string> names;
    for (size_t j = 0; j < cols; ++j) {
      if (column_names[j] == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("argument 'column_names[", j, "]' is NULL"));
      }
      names.emplace_back(column_names[j]);
    }
    churnkit::v1::FitOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok())
      return s;
    absl::StatusOr<churnkit::PartitionedFit> fit =
        churnkit::PartitionedFit::Create(std::move(names), parsed);
    if (!fit.ok()) return fit.status();
    *out = new ck_fit_session_t{*std::move(fit)};
    return absl::OkStatus();
  });
}

ck_status ck_fit_session_round(const ck_fit_session_t* session,
                               ck_buffer_t** out) {
  return Guard("ck_fit_session_round", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (session == nullptr) return NullArgument("session");
    return ToBuffer(session->fit.round(), out);
  });
}

ck_status ck_fit_session_advance(ck_fit_session_t* session,
                                 const void* const* partials,
                                 const size_t* partial_sizes, size_t n_partials,
                                 int* done) {
  return Guard("ck_fit_session_advance", [&]() -> absl::Status {
    if (done == nullptr) return NullArgument("done");
    *done = 0;
    if (session == nullptr) return NullArgument("session");
    if (partials == nullptr) return NullArgument("partials");
    if (partial_sizes == nullptr) return NullArgument("partial_sizes");
    absl::StatusOr<std::vector<churnkit::v1::FitPartial>> parsed =
        churnkit::capi::ParseArray<churnkit::v1::FitPartial>(
            partials, partial_sizes, n_partials, "partials", "partial_sizes",
            "n_partials");
    if (!parsed.ok()) return parsed.status();
    absl::StatusOr<bool> finished = session->fit.Advance(*parsed);
    if (!finished.ok()) return finished.status();
    *done = *finished ? 1 : 0;
    return absl::OkStatus();
  });
}

ck_status ck_fit_session_model(const ck_fit_session_t* session,
                               ck_model_t** out) {
  return Guard("ck_fit_session_model", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (session == nullptr) return NullArgument("session");
    if (session->fit.model().feature_names_size() == 0) {
      return absl::FailedPreconditionError(
          "the fit is not done: advance it until done is 1");
    }
    *out = new ck_model_t{session->fit.model()};
    return absl::OkStatus();
  });
}

void ck_fit_session_free(ck_fit_session_t* session) {
  Guard("ck_fit_session_free", [session] { delete session; });
}

ck_status ck_fit_partial(const void* round, size_t round_size, const double* x,
                         size_t rows, size_t cols,
                         const char* const* column_names, const uint8_t* labels,
                         ck_buffer_t** out) {
  return Guard("ck_fit_partial", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (round == nullptr) return NullArgument("round");
    if (labels == nullptr && rows > 0) return NullArgument("labels");
    churnkit::v1::FitRound parsed;
    if (absl::Status s =
            ParseBytes(round, round_size, "round", "round_size", &parsed);
        !s.ok())
      return s;
    std::vector<std::string> names;
    churnkit::MatrixView view;
    if (absl::Status s = ViewMatrix(x, rows, cols, column_names, &names, &view);
        !s.ok())
      return s;
    absl::StatusOr<churnkit::v1::FitPartial> partial =
        churnkit::ComputeFitPartial(parsed, view,
                                    absl::MakeConstSpan(labels, rows),
                                    churnkit::capi::Threads());
    if (!partial.ok()) return partial.status();
    return ToBuffer(*partial, out);
  });
}

}  // extern "C"
