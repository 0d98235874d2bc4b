/* churnkit/c_api_experimental.h: C entry points not yet promised (C99).
 *
 * Everything here follows the conventions of churnkit/c_api.h (include it
 * first; this header includes it), with one difference: a function here may
 * still change or go in a minor release, until it moves to c_api.h, where
 * the ABI promise starts. Hosts that need stability pin the minor version
 * (ck_version_number()).
 *
 * The jobs (docs/jobs.md) take one serialized request message and return
 * one serialized result message (package churnkit.v1, jobs.proto):
 *  - request bytes NULL with size 0 mean the request with every default;
 *    NULL with a non-zero size is an error;
 *  - defaults are resolved by the library (the same as `churnkit` the CLI),
 *    and the result carries the request as resolved;
 *  - every job takes its thread count from the request (`threads`, 0: all
 *    cores), so several workers on one machine can share it.
 */
#ifndef CHURNKIT_C_API_EXPERIMENTAL_H_
#define CHURNKIT_C_API_EXPERIMENTAL_H_

#include "churnkit/c_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Checks a config without data, as the call that uses it would, so a host
 * can refuse a bad config before a long load: `data` / `size` hold a
 * serialized churnkit.v1 message of `message_name` (NULL / 0: the empty
 * message, i.e. every default). Configs with a check: AssessmentConfig,
 * AssessRequest, ChurnDefinition, FeatureSet, FitOptions, GeneratorConfig,
 * ScorecardLearnOptions, SegmentOptions, SegmentRequest, TrainRequest. CK_OK
 * when valid.
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL message_name; bad bytes; the config's
 * first problem, named by its path, e.g. "passive[0].inactive_days: must
 * be > 0"); CK_UNIMPLEMENTED (a message without a check-only validation,
 * listing those that have one). */
CK_EXPORT ck_status ck_config_validate(const char* message_name,
                                       const void* data, size_t size);

/* Reads one field of a serialized churnkit.v1 message by its dotted path
 * through singular message fields, e.g. "held_out.roc_auc" of a
 * TrainResult or "model" of it. *out receives, for a message field, its
 * serialized bytes (empty when absent); for a string or bytes field, its
 * value; for any other scalar, its text-format value ("0.7712", "42",
 * "true", "RED"). Free it with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL message_name/path/out; an unknown
 * name; bad bytes; a path naming no field, a repeated field, or going
 * through a scalar). */
CK_EXPORT ck_status ck_proto_get(const char* message_name, const void* data,
                                 size_t size, const char* path,
                                 ck_buffer_t** out);

/* Writes one field of a serialized churnkit.v1 message by its dotted path
 * (intermediate messages are created): for a message field `value` holds
 * its serialized bytes (replacing the field), for a string or bytes field
 * its value, for any other scalar its text-format value. *out receives
 * the whole message serialized again; free it with ck_buffer_free(). Lets
 * a C host put a trained model into an AssessRequest:
 *   ck_proto_get("churnkit.v1.TrainResult", r, n, "model", &model);
 *   ck_proto_set("churnkit.v1.AssessRequest", q, m, "model",
 *                ck_buffer_data(model), ck_buffer_size(model), &request);
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (as ck_proto_get; value NULL with a non-zero
 * size; a value that does not parse as the field's type). */
CK_EXPORT ck_status ck_proto_set(const char* message_name, const void* data,
                                 size_t size, const char* path,
                                 const void* value, size_t value_size,
                                 ck_buffer_t** out);

/* ======================= Data sets in bulk ============================== */

/* The whole data set as the bytes of a PB record stream (the binary file
 * format), e.g. to pickle it or to ship it to another process, where
 * ck_dataset_from_records makes it again. The same data set always gives
 * the same bytes. *out receives them; free them with ck_buffer_free().
 * Thread-safe; the dataset is only read.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out); CK_RESOURCE_EXHAUSTED. */
CK_EXPORT ck_status ck_dataset_serialize(const ck_dataset_t* dataset,
                                         ck_buffer_t** out);

/* Every customer id in one buffer, in data-set order, each followed by a
 * NUL byte (ids never hold NUL): one call instead of one per customer.
 * *out receives them; free them with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out). */
CK_EXPORT ck_status ck_dataset_customer_ids(const ck_dataset_t* dataset,
                                            ck_buffer_t** out);

/* The same for a matrix's rows (ck_features_compute_matrix,
 * ck_features_compute_panel): each row's customer id followed by a NUL byte.
 * Errors: CK_INVALID_ARGUMENT (NULL matrix/out). */
CK_EXPORT ck_status ck_matrix_customer_ids(const ck_matrix_t* matrix,
                                           ck_buffer_t** out);

/* ======================= Jobs =========================================== */

/* Trains the churn model on a training panel of `dataset` (TrainRequest:
 * as-of dates, horizon, held-out dates, features, churn definition, fit
 * options; docs/jobs.md): the same computation as `churnkit train DATA
 * --dates ...`. `request` / `request_size` hold a serialized
 * churnkit.v1.TrainRequest; as_of_dates are required, so NULL / 0 is an
 * error naming them. *out receives a serialized churnkit.v1.TrainResult
 * (the model, the held-out evaluation, the strongest factors and those
 * adjusting for correlated features, the riskiest
 * customers of the last date, and the request as resolved); free it with
 * ck_buffer_free(). The model bytes (TrainResult.model) load with
 * ck_model_load. Thread-safe; the dataset is only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not a TrainRequest; a field named, e.g.
 * "as_of_dates[1]: 2024-07-01 is not after 2025-01-01", "horizon_days:
 * must be in 1..3650, got 0", "fit.winsorize: ..."; a date whose horizon
 * ends after the data, naming the last date allowed);
 * CK_FAILED_PRECONDITION (a side of the split with one class only). */
CK_EXPORT ck_status ck_job_train(const ck_dataset_t* dataset,
                                 const void* request, size_t request_size,
                                 ck_buffer_t** out);

/* Trains the churn model on a plain table (TrainTableRequest: the CSV's
 * path, the label and id columns, fit options, cross-validation folds;
 * docs/jobs.md): the same as `churnkit train TABLE --label ...`.
 * `request` / `request_size` hold a serialized
 * churnkit.v1.TrainTableRequest; path and table.label_column are required,
 * so NULL / 0 is an error naming them. *out receives a serialized
 * churnkit.v1.TrainTableResult (the model with the table's encoding, the
 * cross-validated evaluation, the factors); free it with ck_buffer_free().
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL out; request NULL with a non-zero
 * size; bytes that are not a TrainTableRequest; a field named, e.g. "path:
 * required", "folds: must be -1 (none), 0 (default) or 2..100, got 1"; a
 * cell that is not a label); CK_NOT_FOUND (no file at path). */
CK_EXPORT ck_status ck_job_train_table(const void* request, size_t request_size,
                                       ck_buffer_t** out);

/* Generates a synthetic CRM history (GenerateRequest: the GeneratorConfig,
 * format, output directory, threads; docs/generator.md): the same as
 * `churnkit generate`, with the resolved config and the summary (counts,
 * churn by type) in *out, a serialized churnkit.v1.GenerateResult; free it
 * with ck_buffer_free(). With resolve_only nothing is written and *out
 * holds the config with every default filled in (`--print-config`).
 * out_dir is required otherwise, so NULL / 0 is an error naming it. Files
 * appear only when complete (see ck_dataset_generate). Thread-safe for
 * distinct out_dir.
 * Errors: CK_INVALID_ARGUMENT (NULL out; request NULL with a non-zero
 * size; bytes that are not a GenerateRequest; a field named, e.g.
 * "config.industries[2].share: ...", "out_dir: required");
 * CK_PERMISSION_DENIED / CK_NOT_FOUND / CK_UNAVAILABLE (out_dir cannot be
 * written). */
CK_EXPORT ck_status ck_job_generate(const void* request, size_t request_size,
                                    ck_buffer_t** out);

/* Splits a data set into customer partitions (PartitionRequest: the
 * input's LoadOptions, the number of partitions, the output directory;
 * docs/scale-out.md): every row of a customer to partition FNV-1a 64 of
 * its id modulo N, owners to all, streaming in bounded memory, as
 * `churnkit partition`. *out receives a serialized
 * churnkit.v1.PartitionResult: per partition the LoadOptions that load it
 * (ck_dataset_load) and its row count; free it with ck_buffer_free(). The
 * partitions appear together under out_dir, or not at all.
 * Errors: CK_INVALID_ARGUMENT (NULL out; request NULL with a non-zero
 * size; bytes that are not a PartitionRequest; a field named, e.g.
 * "partitions: must be in 1..4096, got 0", "out_dir: required");
 * CK_ALREADY_EXISTS (out_dir holds something); CK_NOT_FOUND (an input);
 * CK_UNAVAILABLE (out_dir cannot be written). Thread-safe for distinct
 * out_dir. */
CK_EXPORT ck_status ck_job_partition(const void* request, size_t request_size,
                                     ck_buffer_t** out);

/* Learns a health scorecard from the history of `dataset`
 * (ScorecardRequest: as-of dates, horizon, held-out dates, features, churn
 * definition, ScorecardLearnOptions; docs/jobs.md, docs/scorecards.md): the
 * same computation as `churnkit scorecard DATA --dates ...`. as_of_dates
 * are required (one is enough), so NULL / 0 is an error naming them. *out
 * receives a serialized churnkit.v1.ScorecardResult: the Scorecard, its
 * ScorecardReport (bins, information values, train / holdout /
 * cross-validated AUC, colours), an AssessmentConfig carrying it for
 * ck_job_assess or ck_assessor_create, and the shipped Zoho scorecard's
 * AUC on the same rows; free it with ck_buffer_free(). Thread-safe; the
 * dataset is only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not a ScorecardRequest; a field named, e.g.
 * "as_of_dates: at least one date is needed", "options.max_bins: ...";
 * a date whose horizon ends after the data; a single class; no usable
 * feature). */
CK_EXPORT ck_status ck_job_scorecard(const ck_dataset_t* dataset,
                                     const void* request, size_t request_size,
                                     ck_buffer_t** out);

/* The same on a plain table (ScorecardTableRequest: the CSV's path, label
 * and id columns, options; a stratified holdout): `churnkit scorecard
 * TABLE --label ...`. path and table.label_column are required. *out
 * receives a ScorecardResult without assessment_config.
 * Errors: CK_INVALID_ARGUMENT (as ck_job_scorecard, and
 * "options.holdout_from: ..." -- a table's rows have no dates);
 * CK_NOT_FOUND (no file at path). Thread-safe. */
CK_EXPORT ck_status ck_job_scorecard_table(const void* request,
                                           size_t request_size,
                                           ck_buffer_t** out);

/* Assesses every customer of `dataset` as of a date (AssessRequest: as_of,
 * config, and optionally a model, the previous assessment, the alert
 * history, a backtest horizon; docs/jobs.md): the same computation as
 * `churnkit assess DATA --as-of ...`. `request` / `request_size` hold a
 * serialized churnkit.v1.AssessRequest; as_of is required, so NULL / 0 is
 * an error naming it. *out receives a serialized churnkit.v1.AssessResponse
 * (the Assessment, the updated AlertHistory, the summary counts, the
 * at-risk ranking and the backtest when asked); free it with
 * ck_buffer_free(). Thread-safe; the dataset is only read and may be
 * shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not an AssessRequest; a field named, e.g.
 * "as_of: required", "config.red_share: ...", "model_reasons: must be -1
 * (none), 0 (default) or 1..100000, got -3", "backtest horizon_days: 900
 * days is longer than the history ..."; a model feature the config does
 * not compute, named). */
CK_EXPORT ck_status ck_job_assess(const ck_dataset_t* dataset,
                                  const void* request, size_t request_size,
                                  ck_buffer_t** out);

/* Segments every customer of `dataset` by value and risk (SegmentRequest:
 * SegmentOptions with as_of, the assessment config giving the risk, an
 * optional model, the evidence window; docs/jobs.md): the same computation
 * as `churnkit segment DATA --as-of ...`. `request` / `request_size` hold a
 * serialized churnkit.v1.SegmentRequest; options.as_of is required, so
 * NULL / 0 is an error naming it. *out receives a serialized
 * churnkit.v1.SegmentResponse (the SegmentReport, and a note when the
 * evidence assessment could not be made); free it with ck_buffer_free().
 * Thread-safe; the dataset is only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not a SegmentRequest; a field named, e.g.
 * "options.as_of: required", "options.tiers.a_share: must be in (0, 1],
 * got 1.5", "evidence_days: ..."). */
CK_EXPORT ck_status ck_job_segment(const ck_dataset_t* dataset,
                                   const void* request, size_t request_size,
                                   ck_buffer_t** out);

/* Computes a churn report (ReportRequest; docs/reports.md): the same
 * computation as ck_report_churn and `churnkit report`, with the request
 * as serialized bytes (NULL / 0: every default). *out receives a
 * serialized churnkit.v1.ChurnReport; free it with ck_buffer_free().
 * Thread-safe; the dataset is only read and may be shared.
 * Errors: as ck_report_churn; bytes that are not a ReportRequest. */
CK_EXPORT ck_status ck_job_report(const ck_dataset_t* dataset,
                                  const void* request, size_t request_size,
                                  ck_buffer_t** out);

/* Customer lifetime value from the orders of `dataset` (ClvRequest: as_of,
 * RFM options, fit and prediction options; docs/clv.md): the same as
 * `churnkit clv DATA --as-of ...`. `request` / `request_size` hold a
 * serialized churnkit.v1.ClvRequest; as_of is required, so NULL / 0 is an
 * error naming it. *out receives a serialized churnkit.v1.ClvResponse (the
 * fitted ClvModel, the prediction options as resolved, one CustomerClv per
 * customer with an order, and totals); free it with ck_buffer_free().
 * Thread-safe; the dataset is only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not a ClvRequest; a field named, e.g.
 * "as_of: required", "rfm.time_unit: unknown value", "horizon: must be
 * finite and > 0"); CK_FAILED_PRECONDITION (no repeat buyer; a degenerate
 * fit). */
CK_EXPORT ck_status ck_job_clv(const ck_dataset_t* dataset, const void* request,
                               size_t request_size, ck_buffer_t** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHURNKIT_C_API_EXPERIMENTAL_H_ */
