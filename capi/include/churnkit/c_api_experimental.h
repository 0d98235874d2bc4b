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

/* The training panel ck_job_train fits and tests on (the same
 * TrainRequest), for fitting over customer partitions
 * (ck_fit_session_*; docs/scale-out.md): *panel_out receives the panel
 * (read it with ck_matrix_data, ck_matrix_labels, ck_matrix_row_as_of;
 * free it with ck_matrix_free()) and *resolved_out the request as
 * resolved, a serialized churnkit.v1.TrainRequest (its test_from: rows
 * dated from it on are held out; its fit: the options; free it with
 * ck_buffer_free()). Thread-safe.
 * Errors: as ck_job_train's, but for the split and the fit; nothing is
 * returned on error. */
CK_EXPORT ck_status ck_job_train_panel(const ck_dataset_t* dataset,
                                       const void* request, size_t request_size,
                                       ck_matrix_t** panel_out,
                                       ck_buffer_t** resolved_out);

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

/* ======================= A fit over partitions of the rows ============== */

/* A logistic fit whose rows live in several places (customer partitions
 * on Dask workers, or files processed in turn), docs/scale-out.md. The
 * driver owns a session: it sends the session's round (ck_fit_session_round)
 * to every partition, each partition computes its answer on its rows alone
 * (ck_fit_partial, stateless, anywhere the library is), and the driver
 * hands every answer, in a fixed partition order, to
 * ck_fit_session_advance, until it reports done; then ck_fit_session_model.
 * Only summaries travel: counts and rank samples, the values near the
 * clipping quantiles, column moments, and per Newton trial point the loss,
 * gradient and Hessian ((cols + 1)^2 doubles). The model equals
 * ck_model_fit's on all the rows with solver SOLVER_NEWTON_CHOLESKY to
 * rounding (the same statistics, quantiles and Newton iterates, from sums
 * added in another order); L1 / elastic-net penalties and other solvers
 * are refused. A session is used by one thread at a time. */
typedef struct ck_fit_session_t ck_fit_session_t;

/* Starts a fit of the `cols` columns named by `column_names` (NUL-terminated
 * strings) with a serialized churnkit.v1.FitOptions (NULL / 0: the
 * defaults, as ck_model_fit). On success *out owns a new session; free it
 * with ck_fit_session_free().
 * Errors: CK_INVALID_ARGUMENT (NULL out or column_names, cols 0, a NULL,
 * duplicate or non-UTF-8 name, bad option bytes, invalid options named by
 * field, an L1 or elastic-net penalty, a solver other than SOLVER_AUTO /
 * SOLVER_NEWTON_CHOLESKY, more than 4096 columns). */
CK_EXPORT ck_status ck_fit_session_create(const char* const* column_names,
                                          size_t cols, const void* options,
                                          size_t options_size,
                                          ck_fit_session_t** out);

/* The session's current round, a serialized churnkit.v1.FitRound, into a new
 * buffer *out (free it with ck_buffer_free()).
 * Errors: CK_INVALID_ARGUMENT (NULL session or out). */
CK_EXPORT ck_status ck_fit_session_round(const ck_fit_session_t* session,
                                         ck_buffer_t** out);

/* Consumes the answers to the current round: `n_partials` serialized
 * churnkit.v1.FitPartial, partials[i] of partial_sizes[i] bytes, one per
 * partition in a fixed order (the same number every round; a partition with
 * no rows answers too). *done becomes 1 when the fit is done, else 0 (send
 * the next round).
 * Errors: CK_INVALID_ARGUMENT (NULL session, done, partials or
 * partial_sizes; n_partials 0; bytes that are not a FitPartial, named by
 * index; partials of another fit or round, or a number that changed -- these
 * leave the session as it was); the fit's own errors, as ck_model_fit's
 * (a single class; no rows; without a penalty, separable classes or
 * collinear columns: CK_FAILED_PRECONDITION; no convergence), after which
 * the session is spent (CK_FAILED_PRECONDITION). */
CK_EXPORT ck_status ck_fit_session_advance(ck_fit_session_t* session,
                                           const void* const* partials,
                                           const size_t* partial_sizes,
                                           size_t n_partials, int* done);

/* The fitted model, once done: *out owns a new model (ck_model_free()).
 * Errors: CK_INVALID_ARGUMENT (NULL session or out);
 * CK_FAILED_PRECONDITION (the fit is not done). */
CK_EXPORT ck_status ck_fit_session_model(const ck_fit_session_t* session,
                                         ck_model_t** out);

/* Releases a session. NULL is a no-op. */
CK_EXPORT void ck_fit_session_free(ck_fit_session_t* session);

/* One partition's answer to a round (`round` / `round_size`: the bytes of
 * ck_fit_session_round): from its `rows` rows of `cols` doubles at `x`
 * (row-major, the round's columns in order, named by `column_names`) and
 * its 0/1 `labels`. *out receives a serialized churnkit.v1.FitPartial; free
 * it with ck_buffer_free(). Nothing is kept past the call. Uses the calling
 * thread's thread count (ck_threads_set); results do not depend on it.
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL round, out, column_names or labels with
 * rows > 0; bytes that are not a FitRound or a round that is no stage;
 * columns other than the round's, naming the first difference; a label
 * other than 0/1; a NaN, unless the fit imputes, or an infinite value,
 * named by row and column). */
CK_EXPORT ck_status ck_fit_partial(const void* round, size_t round_size,
                                   const double* x, size_t rows, size_t cols,
                                   const char* const* column_names,
                                   const uint8_t* labels, ck_buffer_t** out);

/* ======================= Reports over partitions ======================= */

/* A churn report over customer partitions (docs/reports.md, "Reports over
 * partitions"; docs/scale-out.md): each partition is summarized, the
 * summaries are merged and the report is rendered from the merged summary.
 * The report equals ck_report_churn on the whole data set, bit for bit:
 *   1. ck_report_extent of each partition (skip when the request gives
 *      as_of or period.end, period.start and revenue_source);
 *   2. ck_report_resolve(request, the extents): the request for all;
 *   3. ck_report_summarize of each partition with that request;
 *   4. ck_report_merge of the summaries, ck_report_render of the result.
 * Summaries are serialized churnkit.v1.ReportSummary (report.proto): counts
 * and whole cents, small and independent of the partition order. */

/* What a report's defaults depend on in `dataset` (first event, latest
 * activity, revenue sources, attribute keys). *out receives a serialized
 * churnkit.v1.ReportExtent; free it with ck_buffer_free(). Thread-safe; the
 * dataset is only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out). */
CK_EXPORT ck_status ck_report_extent(const ck_dataset_t* dataset,
                                     ck_buffer_t** out);

/* The churnkit.v1.ReportRequest `request` (NULL / 0: every default) with
 * the defaults that depend on the data fixed from the extents of every
 * partition: extents[i] holds extent_sizes[i] bytes of a ReportExtent
 * (ck_report_extent); num_extents 0 (arrays may be NULL) means no data.
 * *out receives the serialized resolved ReportRequest; free it with
 * ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL out; request or an array NULL with a
 * non-zero size or count; bytes that are not the message, named, e.g.
 * "argument 'extents[1]': not a serialized churnkit.v1.ReportExtent"; an
 * invalid request named by its field, as ck_report_churn). */
CK_EXPORT ck_status ck_report_resolve(const void* request, size_t request_size,
                                      const void* const* extents,
                                      const size_t* extent_sizes,
                                      size_t num_extents, ck_buffer_t** out);

/* The partial aggregates of the report `request` asks for over the
 * customers of `dataset` (a partition): `request` as from
 * ck_report_resolve (a request resolved by each partition itself gives
 * summaries that do not merge). *out receives a serialized
 * churnkit.v1.ReportSummary; free it with ck_buffer_free(). Uses all cores
 * unless the request sets `threads`; the dataset is only read and may be
 * shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not a ReportRequest; an invalid request
 * named by its field); CK_OUT_OF_RANGE (revenue beyond int64 cents). */
CK_EXPORT ck_status ck_report_summarize(const ck_dataset_t* dataset,
                                        const void* request,
                                        size_t request_size, ck_buffer_t** out);

/* Merges num_summaries >= 1 serialized ReportSummary messages
 * (summaries[i], summary_sizes[i] bytes; borrowed) of disjoint customers
 * into the summary of them all, the same in any order. *out receives the
 * serialized ReportSummary; free it with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL out; NULL arrays with a non-zero
 * count; no summary; bytes that are not a ReportSummary, named
 * "summaries[i]"; summaries of different requests, e.g. "summaries[2]:
 * made with another request than summaries[0] (modified: as_of: ...)";
 * negative counts); CK_OUT_OF_RANGE (a sum beyond int64). */
CK_EXPORT ck_status ck_report_merge(const void* const* summaries,
                                    const size_t* summary_sizes,
                                    size_t num_summaries, ck_buffer_t** out);

/* The churn report of a (merged) serialized ReportSummary, which carries
 * its resolved request. *out receives a serialized churnkit.v1.ChurnReport
 * (as ck_report_churn); free it with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL out; summary NULL with a non-zero
 * size; bytes that are not a ReportSummary; the checks that need all the
 * data, e.g. "breakdowns[0]: unknown attribute 'attributes.colour': no
 * customer has ...", "period.start: ... is not after the first event";
 * negative counts or unparsable dates in a malformed summary). */
CK_EXPORT ck_status ck_report_render(const void* summary, size_t summary_size,
                                     ck_buffer_t** out);

/* ======================= Assessments over partitions ==================== */

/* ck_job_assess over customer partitions (docs/scale-out.md, "Alert
 * routing"): each partition's customers come out exactly as the whole run
 * assesses them -- colours, alerts and their ranks, tasks, routing to
 * automated care -- with only small messages (health.proto) travelling:
 *   1. with config.red_share only: ck_assess_totals of each partition,
 *      then ck_assess_cutoffs of them all (the run's colour cut-offs);
 *   2. ck_assess_candidates of each partition under those cut-offs;
 *   3. ck_assess_route of every partition's candidates: a plan for each;
 *   4. ck_assess_partition of each partition under its plan, and
 *      ck_assess_merge_summaries of their assessment.alert_summary parts.
 * Every step takes the same serialized churnkit.v1.AssessRequest (as for
 * ck_job_assess: as_of required, so NULL / 0 is an error naming it;
 * backtest_days must be 0). Each per-partition step recomputes the
 * partition's features and scores. The steps use the request's `threads`,
 * else the calling thread's (ck_threads_set); results do not depend on it.
 * Thread-safe; datasets are only read and may be shared. */

/* Step 1: the health totals of `dataset`'s customers not churned at
 * request.as_of, each distinct total with its count. *out receives a
 * serialized churnkit.v1.HealthTotals; free it with ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; request NULL with a
 * non-zero size; bytes that are not an AssessRequest; a field named, as
 * ck_job_assess, and "backtest_days: must be 0 over partitions ..."). */
CK_EXPORT ck_status ck_assess_totals(const ck_dataset_t* dataset,
                                     const void* request, size_t request_size,
                                     ck_buffer_t** out);

/* Step 1, on the client: the run's colour cut-offs from the HealthTotals of
 * every partition (totals[i], totals_sizes[i] bytes; borrowed; num_totals 0
 * with NULL arrays: no customer) -- the scorecard's without red_share.
 * *out receives a serialized churnkit.v1.AlertPlan holding only `colours`
 * (never empty bytes), for ck_assess_candidates; free it with
 * ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (NULL out; request or an array NULL with a
 * non-zero size or count; bytes that are not the message, named
 * "totals[i]"; malformed totals, e.g. "totals[1].totals[3]: totals must
 * be finite and ascending, counts > 0"; the request's, as above);
 * CK_OUT_OF_RANGE (counts beyond int64). */
CK_EXPORT ck_status ck_assess_cutoffs(const void* request, size_t request_size,
                                      const void* const* totals,
                                      const size_t* totals_sizes,
                                      size_t num_totals, ck_buffer_t** out);

/* Step 2: the alert candidates of `dataset`'s customers under the run's
 * cut-offs `cutoffs` (cutoffs_size bytes of the AlertPlan of
 * ck_assess_cutoffs; NULL / 0: the scorecard's cut-offs, an error with
 * red_share): each consolidated alert's customer, owner, expected revenue
 * at risk and churn probability, and the exact sum behind the risk floor.
 * *out receives a serialized churnkit.v1.AlertCandidates; free it with
 * ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (as ck_assess_totals; cutoffs NULL with a
 * non-zero size; bytes that are not an AlertPlan; "cutoffs: required with
 * config.red_share ..."; a model feature the config does not compute). */
CK_EXPORT ck_status ck_assess_candidates(
    const ck_dataset_t* dataset, const void* request, size_t request_size,
    const void* cutoffs, size_t cutoffs_size, ck_buffer_t** out);

/* Step 3, on the client: ranks the candidates of every partition together
 * by expected revenue at risk and fills each owner's capacity above the
 * risk floor (the request's config), as ck_job_assess does for one data
 * set. candidates[i] holds candidates_sizes[i] bytes of partition i's
 * AlertCandidates (borrowed). `plans` is the caller's array of
 * num_candidates pointers: plans[i] receives partition i's serialized
 * churnkit.v1.AlertPlan (the cut-offs, risk floor, capacity and, per
 * candidate in order, its rank and whether it is alerted); free each with
 * ck_buffer_free(). On error every plans[i] is NULL.
 * Errors: CK_INVALID_ARGUMENT (NULL plans; NULL arrays with a non-zero
 * count; num_candidates 0; bytes that are not an AlertCandidates, named
 * "candidates[i]"; candidates that do not belong to one run, e.g.
 * "candidates[2].colours: not candidates[0]'s ...", "candidates[1].model:
 * ...", a customer in two partitions; non-finite figures; the request's,
 * as above); CK_OUT_OF_RANGE (more alerts than an int32 rank). */
CK_EXPORT ck_status ck_assess_route(const void* request, size_t request_size,
                                    const void* const* candidates,
                                    const size_t* candidates_sizes,
                                    size_t num_candidates, ck_buffer_t** plans);

/* Step 4: `dataset`'s customers assessed under `plan` (plan_size bytes of
 * its AlertPlan from ck_assess_route; required). *out receives a
 * serialized churnkit.v1.AssessResponse as ck_job_assess's, for these
 * customers: each CustomerAssessment equal to the whole run's;
 * assessment.alert_summary, the summary counts and the at-risk ranking
 * are this partition's own (merge the alert summaries with
 * ck_assess_merge_summaries); free it with ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (as ck_assess_totals; plan NULL with a
 * non-zero size; bytes that are not an AlertPlan; "plan: routes N other
 * candidates than the M of these customers ..." for a plan of another
 * partition, date, config or model; "plan.capacity_per_owner: ...",
 * "plan.risk_floor: ..."). */
CK_EXPORT ck_status ck_assess_partition(const ck_dataset_t* dataset,
                                        const void* request,
                                        size_t request_size, const void* plan,
                                        size_t plan_size, ck_buffer_t** out);

/* The alert summaries (churnkit.v1.AlertSummary) of the partitions of one
 * run (summaries[i], summary_sizes[i] bytes; borrowed; num_summaries >= 1)
 * as the run's, equal to ck_job_assess's on the whole: counts added,
 * owners merged and sorted by id. *out receives the serialized
 * AlertSummary; free it with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL out; NULL arrays with a non-zero
 * count; no summary; bytes that are not an AlertSummary, named
 * "summaries[i]"; parts of another run, e.g. "summaries[1]: of another run
 * (capacity_per_owner ...)"; negative counts); CK_OUT_OF_RANGE (a sum
 * beyond int64). */
CK_EXPORT ck_status ck_assess_merge_summaries(const void* const* summaries,
                                              const size_t* summary_sizes,
                                              size_t num_summaries,
                                              ck_buffer_t** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHURNKIT_C_API_EXPERIMENTAL_H_ */
