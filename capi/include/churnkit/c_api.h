/* churnkit/c_api.h: the stable C ABI of churnkit (C99).
 *
 * Conventions, once for every function below:
 *  1. Objects are typed opaque handles (ck_dataset_t*, ck_buffer_t*), made by
 *     a ck_<object>_<create|load|...> function and released by
 *     ck_<object>_free(). Passing NULL to a free function does nothing.
 *  2. Every fallible function returns a ck_status. CK_OK (0) is success; any
 *     other value is an error whose message ck_last_error() returns. On error
 *     output arguments are left unchanged (handles: set to NULL).
 *  3. Bytes cross the boundary as (const void* data, size_t size); strings
 *     are NUL-terminated UTF-8. Inputs are borrowed for the duration of the
 *     call only and copied if kept, unless a comment says otherwise.
 *  4. Memory the library hands out is owned by the library: ck_buffer_t
 *     holds bytes until ck_buffer_free(); `const char*` results live as long
 *     as the handle they came from.
 *  5. Protobuf messages of package churnkit.v1 -- options, configs,
 *     requests and results alike -- travel as serialized bytes
 *     (const void* x, size_t x_size), so hosts need not link protobuf. A NULL
 *     pointer with size 0 (or any pointer with size 0) means the message's
 *     defaults; NULL with a non-zero size is CK_INVALID_ARGUMENT. Hosts
 *     without a protobuf library make the bytes from text format or JSON
 *     with ck_proto_from_text / ck_proto_from_json (below).
 *  6. Thread-safety: functions taking a `const` handle may be called from
 *     many threads at once on the same handle; a non-const handle must not
 *     be shared without external locking. ck_last_error() is per thread.
 *  7. Compute calls (features, labels, panels, reports, fits, scoring,
 *     assessments, segments, A/B tests, jobs, the generator) use every
 *     core unless ck_threads_set() says otherwise for the calling thread;
 *     results never depend on the thread count.
 *  8. No function aborts or lets a C++ exception escape. Out-of-memory and
 *     internal failures come back as CK_RESOURCE_EXHAUSTED / CK_INTERNAL.
 * Only ck_-prefixed symbols are exported. A shipped signature never changes;
 * incompatible successors are added as ck_..._v2.
 */
#ifndef CHURNKIT_C_API_H_
#define CHURNKIT_C_API_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(CK_BUILDING_LIBRARY)
#define CK_EXPORT __declspec(dllexport)
#else
#define CK_EXPORT __declspec(dllimport)
#endif
#else
#define CK_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================= Versions ======================================= */

/* Version of this header: major * 10000 + minor * 100 + patch. */
#define CK_VERSION_MAJOR 0
#define CK_VERSION_MINOR 1
#define CK_VERSION_PATCH 0
#define CK_VERSION_NUMBER \
  (CK_VERSION_MAJOR * 10000 + CK_VERSION_MINOR * 100 + CK_VERSION_PATCH)
/* ABI major; equals the SONAME suffix (libchurnkit.so.0). */
#define CK_ABI_VERSION 0

/* The library's version string, e.g. "0.1.0". Static storage; never NULL.
 * Thread-safe. */
CK_EXPORT const char* ck_version(void);
/* The library's CK_VERSION_NUMBER, to compare with the header's. */
CK_EXPORT unsigned ck_version_number(void);
/* The library's CK_ABI_VERSION. */
CK_EXPORT unsigned ck_abi_version(void);

/* ======================= Status and errors ============================== */

/* Status codes. Values mirror absl::StatusCode and are stable forever. */
typedef enum ck_status {
  CK_OK = 0,
  CK_CANCELLED = 1,
  CK_UNKNOWN = 2,
  CK_INVALID_ARGUMENT = 3,
  CK_DEADLINE_EXCEEDED = 4,
  CK_NOT_FOUND = 5,
  CK_ALREADY_EXISTS = 6,
  CK_PERMISSION_DENIED = 7,
  CK_RESOURCE_EXHAUSTED = 8,
  CK_FAILED_PRECONDITION = 9,
  CK_ABORTED = 10,
  CK_OUT_OF_RANGE = 11,
  CK_UNIMPLEMENTED = 12,
  CK_INTERNAL = 13,
  CK_UNAVAILABLE = 14,
  CK_DATA_LOSS = 15,
  CK_UNAUTHENTICATED = 16
} ck_status;

/* Name of a status code ("CK_INVALID_ARGUMENT"); "CK_UNKNOWN_STATUS" for a
 * value outside the enum. Static storage. Thread-safe. */
CK_EXPORT const char* ck_status_name(ck_status status);

/* Message of the last error on the calling thread ("" when the last call
 * returning a ck_status succeeded). Functions that cannot fail (versions,
 * ck_status_name, buffer accessors, frees) leave it unchanged, so
 * ck_status_name(s) and ck_last_error() may appear in one printf. Valid
 * until the next churnkit call on this thread. Never NULL. */
CK_EXPORT const char* ck_last_error(void);

/* ======================= Threads ======================================== */

/* Sets how many worker threads the compute calls made from the calling
 * thread use: 0 (the default) is one per core, 1 runs them on the calling
 * thread alone. Per calling thread, like ck_last_error() and OpenMP's
 * omp_set_num_threads(): a host running several workers on one machine
 * (Dask worker processes or threads, a web server's request threads)
 * gives each its share so they do not oversubscribe the cores. A
 * `threads` field set in a call's options or request takes precedence.
 * Results never depend on it.
 * Errors: CK_INVALID_ARGUMENT (n < 0 or n > 4096). */
CK_EXPORT ck_status ck_threads_set(int n);

/* The calling thread's setting of ck_threads_set (0: one per core). */
CK_EXPORT int ck_threads_get(void);

/* ======================= Buffers ======================================== */

/* Library-owned bytes (e.g. a serialized protobuf message). */
typedef struct ck_buffer_t ck_buffer_t;

/* Pointer to the bytes; NULL for NULL. Valid until ck_buffer_free(). */
CK_EXPORT const void* ck_buffer_data(const ck_buffer_t* buffer);
/* Number of bytes; 0 for NULL. */
CK_EXPORT size_t ck_buffer_size(const ck_buffer_t* buffer);
/* Releases a buffer. NULL is a no-op. */
CK_EXPORT void ck_buffer_free(ck_buffer_t* buffer);

/* ======================= Messages: text and JSON ======================== */

/* Converts a message in protobuf text format to its serialized bytes, for
 * hosts that keep configs as text and call the byte-taking functions:
 * `message_name` is the full name of a churnkit.v1 message (e.g.
 * "churnkit.v1.TrainRequest"), `text` its text format (NULL or "": the
 * empty message). *out receives the bytes; free them with ck_buffer_free().
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL message_name/out; a name that is not a
 * churnkit.v1 message; text that does not parse, with line and column). */
CK_EXPORT ck_status ck_proto_from_text(const char* message_name,
                                       const char* text, ck_buffer_t** out);

/* The same from JSON (protobuf's JSON mapping: proto or lowerCamel field
 * names, enums by name, 64-bit integers as numbers or strings), for hosts
 * that build requests as dictionaries (Python: json.dumps). Unknown fields
 * are errors. NULL or "": the empty message.
 * Errors: CK_INVALID_ARGUMENT (NULL message_name/out; an unknown name;
 * JSON that does not parse as the message, with the reason). */
CK_EXPORT ck_status ck_proto_from_json(const char* message_name,
                                       const char* json, ck_buffer_t** out);

/* Converts serialized bytes of the churnkit.v1 message `message_name` to
 * JSON (proto field names; fields at their default left out, 64-bit
 * integers as strings, as protobuf's JSON mapping says), for hosts that
 * read results without protobuf (Python: json.loads). NULL / 0 bytes are
 * the empty message. *out receives the UTF-8 JSON text (not
 * NUL-terminated; use ck_buffer_size); free it with ck_buffer_free().
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL message_name/out; an unknown name;
 * data NULL with a non-zero size; bytes that are not that message). */
CK_EXPORT ck_status ck_proto_to_json(const char* message_name, const void* data,
                                     size_t size, ck_buffer_t** out);

/* ======================= Datasets ======================================= */

/* An immutable customer data set (customers, events, contacts, contracts,
 * owners) with the error report of its ingestion. */
typedef struct ck_dataset_t ck_dataset_t;

/* Error policy values of churnkit.v1.ErrorPolicy. */
#define CK_POLICY_LENIENT 2
#define CK_POLICY_STRICT 1

/* Loads a data set from files. `options` / `options_size` hold a
 * serialized churnkit.v1.LoadOptions, e.g. from the text
 *   "format: CSV paths: \"examples/data\" validation { policy: STRICT }".
 * Under LENIENT (the default) bad rows are skipped and listed in the error
 * report; under STRICT the first one fails the call.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, unparsable options, a bad row
 * under STRICT), CK_NOT_FOUND / CK_PERMISSION_DENIED (unreadable file).
 * On success *out owns a new handle; free it with ck_dataset_free(). */
CK_EXPORT ck_status ck_dataset_load(const void* options, size_t options_size,
                                    ck_dataset_t** out);

/* Builds a data set from an in-memory stream of churnkit.v1.Record messages,
 * each preceded by its size as a varint (the PB file format). `policy` is
 * CK_POLICY_LENIENT or CK_POLICY_STRICT. The bytes are copied as needed;
 * `data` may be NULL only when size is 0 (an empty data set).
 * Errors: CK_INVALID_ARGUMENT (NULL out, bad policy, a bad record under
 * STRICT). */
CK_EXPORT ck_status ck_dataset_from_records(const void* data, size_t size,
                                            int policy, ck_dataset_t** out);

/* Releases a data set. NULL is a no-op. */
CK_EXPORT void ck_dataset_free(ck_dataset_t* dataset);

/* Table sizes. Errors: CK_INVALID_ARGUMENT for a NULL argument. */
CK_EXPORT ck_status ck_dataset_num_customers(const ck_dataset_t* dataset,
                                             size_t* out);
CK_EXPORT ck_status ck_dataset_num_events(const ck_dataset_t* dataset,
                                          size_t* out);
CK_EXPORT ck_status ck_dataset_num_contacts(const ck_dataset_t* dataset,
                                            size_t* out);
CK_EXPORT ck_status ck_dataset_num_contracts(const ck_dataset_t* dataset,
                                             size_t* out);

/* Id of customer `index` (0 <= index < num_customers), NUL-terminated,
 * valid while the data set lives.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_OUT_OF_RANGE (bad index). */
CK_EXPORT ck_status ck_dataset_customer_id(const ck_dataset_t* dataset,
                                           size_t index, const char** out);

/* Index of the customer with id `customer_id`.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_NOT_FOUND (no such customer). */
CK_EXPORT ck_status ck_dataset_find_customer(const ck_dataset_t* dataset,
                                             const char* customer_id,
                                             size_t* out);

/* Serialized churnkit.v1.DatasetSummary (counts, date span, event-kind
 * mix, memory). *out owns a new buffer; free it with ck_buffer_free(). */
CK_EXPORT ck_status ck_dataset_summary(const ck_dataset_t* dataset,
                                       ck_buffer_t** out);

/* ---- The ingestion error report ---- */

/* Number of ingestion errors found (including those past the kept cap). */
CK_EXPORT ck_status ck_dataset_error_count(const ck_dataset_t* dataset,
                                           size_t* out);

/* Details of kept error `index` (0 <= index < number kept, which is
 * min(error count, max_errors)). Any output pointer may be NULL to skip it;
 * strings live as long as the data set.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset), CK_OUT_OF_RANGE. */
CK_EXPORT ck_status ck_dataset_error_at(const ck_dataset_t* dataset,
                                        size_t index, const char** source,
                                        int64_t* row, const char** field,
                                        const char** reason);

/* The whole report as serialized churnkit.v1.ErrorReport. *out owns a new
 * buffer; free it with ck_buffer_free(). */
CK_EXPORT ck_status ck_dataset_error_report(const ck_dataset_t* dataset,
                                            ck_buffer_t** out);

/* Writes the data set in `format` ("csv": a directory; "jsonl" / "pb": a
 * file). Files appear only when complete.
 * Errors: CK_INVALID_ARGUMENT (NULL, unknown format), CK_PERMISSION_DENIED /
 * CK_NOT_FOUND / CK_INTERNAL (cannot write). */
CK_EXPORT ck_status ck_dataset_write(const ck_dataset_t* dataset,
                                     const char* format, const char* path);

/* ======================= Generator ====================================== */

/* Generates a synthetic CRM history (docs/generator.md) into the directory
 * `out_dir` (created if missing): the data in `format` ("csv": the five
 * table files; "jsonl" / "pb": out_dir/records.jsonl or records.pb), the
 * ground truth in out_dir/truth.csv and, written last to mark a complete
 * run, the resolved config in out_dir/generator_config.textproto.
 * `config` / `config_size` hold a serialized churnkit.v1.GeneratorConfig;
 * NULL / 0 uses every default (1000 customers, seed 0, 2024-01-01 ..
 * 2025-12-31). The same config always gives the same bytes. Files appear
 * only when complete; on failure none of this run's files is left.
 * Uses every core; blocks until done. Thread-safe (distinct out_dir).
 * Errors: CK_INVALID_ARGUMENT (NULL argument, unparsable or invalid config
 * -- the message names the field, e.g. "industries[2].share: ..." --,
 * unknown format, empty out_dir), CK_PERMISSION_DENIED / CK_NOT_FOUND /
 * CK_UNAVAILABLE (out_dir cannot be written). */
CK_EXPORT ck_status ck_dataset_generate(const void* config, size_t config_size,
                                        const char* format,
                                        const char* out_dir);

/* ======================= Time =========================================== */

/* Parses a date or time ("2024-03-01", "20240301", "2024-03-01T09:30:00Z",
 * "2024-03-01 09:30", "+08:00" offsets) into seconds since 1970-01-01 UTC,
 * the unit of every `as_of` argument below.
 * Errors: CK_INVALID_ARGUMENT (NULL, or not a valid date/time). */
CK_EXPORT ck_status ck_time_parse(const char* text, int64_t* out);

/* ======================= Features ======================================= */

/* A compiled, validated feature set (churnkit.v1.FeatureSet). Immutable:
 * safe to share across threads. */
typedef struct ck_features_t ck_features_t;
/* A library-owned feature matrix: rows = customers, row-major doubles;
 * NaN marks a value that is not defined for the row (features.proto). */
typedef struct ck_matrix_t ck_matrix_t;

/* Compiles a serialized churnkit.v1.FeatureSet; NULL / 0 means the shipped
 * default (configs/features/default.textproto: every
 * warning signal of the domain notes).
 * Errors: CK_INVALID_ARGUMENT (NULL out; bytes that are not the message; an
 * invalid feature, named by its path such as "features[3].window.window_days").
 * On success *out owns a new handle; free it with ck_features_free(). */
CK_EXPORT ck_status ck_features_create(const void* feature_set,
                                       size_t feature_set_size,
                                       ck_features_t** out);
/* Releases a feature set. NULL is a no-op. */
CK_EXPORT void ck_features_free(ck_features_t* features);

/* Number of features (matrix columns). */
CK_EXPORT ck_status ck_features_num_columns(const ck_features_t* features,
                                            size_t* out);
/* Name of column `index`; valid while the handle lives.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_OUT_OF_RANGE. */
CK_EXPORT ck_status ck_features_column_name(const ck_features_t* features,
                                            size_t index, const char** out);

/* Computes the features of the customers at `customer_indices` (indices
 * into the data set, see ck_dataset_find_customer) as of `as_of` (seconds
 * since the epoch; only events strictly before it are seen) into caller
 * memory: `out` holds n_customers rows of num_columns doubles, row-major,
 * and `out_size` must equal n_customers * num_columns. Uses all cores;
 * results do not depend on the number of threads.
 * Errors: CK_INVALID_ARGUMENT (NULL, out_size mismatch),
 * CK_OUT_OF_RANGE (an index >= number of customers). */
CK_EXPORT ck_status ck_features_compute(const ck_features_t* features,
                                        const ck_dataset_t* dataset,
                                        int64_t as_of,
                                        const size_t* customer_indices,
                                        size_t n_customers, double* out,
                                        size_t out_size);

/* Computes the features of every customer signed up before `as_of` into a
 * library-owned matrix. *out owns a new matrix; free it with
 * ck_matrix_free(). Errors: CK_INVALID_ARGUMENT (NULL). */
CK_EXPORT ck_status ck_features_compute_matrix(const ck_features_t* features,
                                               const ck_dataset_t* dataset,
                                               int64_t as_of,
                                               ck_matrix_t** out);

/* Shape of a matrix. Errors: CK_INVALID_ARGUMENT (NULL). */
CK_EXPORT ck_status ck_matrix_shape(const ck_matrix_t* matrix, size_t* rows,
                                    size_t* cols);
/* The values, rows * cols doubles row-major; NULL for NULL or an empty
 * matrix. Valid until ck_matrix_free(). */
CK_EXPORT const double* ck_matrix_data(const ck_matrix_t* matrix);
/* Customer id of `row` / name of `col`; valid while the matrix lives.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_OUT_OF_RANGE. */
CK_EXPORT ck_status ck_matrix_customer_id(const ck_matrix_t* matrix, size_t row,
                                          const char** out);
CK_EXPORT ck_status ck_matrix_column_name(const ck_matrix_t* matrix, size_t col,
                                          const char** out);
/* As-of date of `row` (seconds since the epoch): the matrix's as_of for a
 * computed matrix, the row's date for a training panel.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_OUT_OF_RANGE. */
CK_EXPORT ck_status ck_matrix_row_as_of(const ck_matrix_t* matrix, size_t row,
                                        int64_t* out);
/* A training panel's labels: *out points to one 0/1 value per row (1:
 * churned within the horizon), valid until ck_matrix_free().
 * Errors: CK_INVALID_ARGUMENT (NULL); CK_FAILED_PRECONDITION (a matrix
 * that is not a training panel, or has no rows; *out is set to NULL). */
CK_EXPORT ck_status ck_matrix_labels(const ck_matrix_t* matrix,
                                     const uint8_t** out);
/* Releases a matrix. NULL is a no-op. */
CK_EXPORT void ck_matrix_free(ck_matrix_t* matrix);

/* Builds a training panel: the features of every customer that exists and
 * has not churned at each of the `n_dates` strictly increasing `dates`
 * (seconds since the epoch; features see only events before each date),
 * each row labelled 1 when the customer churns within `horizon_days` after
 * its date, per a serialized churnkit.v1.ChurnDefinition (NULL / 0: the
 * shipped default). Rows are in (date, customer) order; read
 * them with ck_matrix_data / ck_matrix_customer_id / ck_matrix_row_as_of
 * and the labels with ck_matrix_labels, then fit with ck_model_fit (use
 * ck_matrix_row_as_of to hold out the latest dates). Uses all cores;
 * results do not depend on the number of threads. *out owns a new matrix;
 * free it with ck_matrix_free().
 * Errors: CK_INVALID_ARGUMENT (NULL features/dataset/out; NULL dates with
 * n_dates > 0; no dates, dates out of order, horizon_days <= 0; an invalid
 * definition, named by its path). */
CK_EXPORT ck_status ck_features_compute_panel(
    const ck_features_t* features, const ck_dataset_t* dataset,
    const void* definition, size_t definition_size, const int64_t* dates,
    size_t n_dates, int32_t horizon_days, ck_matrix_t** out);

/* ======================= Churn labels =================================== */

/* Labels every customer as of `as_of`: active, passive or hidden churn per
 * a serialized churnkit.v1.ChurnDefinition (NULL / 0: the shipped
 * default of the domain notes). *out receives a serialized
 * churnkit.v1.LabelSet (one CustomerLabel per customer, in data-set order);
 * free it with ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; an invalid definition,
 * named by its path such as "passive[1].inactive_days"). */
CK_EXPORT ck_status ck_labels_compute(const ck_dataset_t* dataset,
                                      const void* definition,
                                      size_t definition_size, int64_t as_of,
                                      ck_buffer_t** out);

/* ======================= Reports ======================================== */

/* Computes a churn report from churn labels (docs/reports.md): the churn
 * and retention rate of a period with the revenue lost, broken down by
 * customer attribute, churn type, reason and lifecycle stage; and, when
 * asked, a monthly trend, cohort retention tables and Kaplan-Meier
 * retention curves. `request` / `request_size` hold a serialized
 * churnkit.v1.ReportRequest (proto/churnkit/v1/report.proto); NULL / 0 means
 * every default (the shipped churn definition, the year before the last
 * activity), e.g.
 *   "period { start: \"2024-01-01\" end: \"2024-07-01\" }"
 *   " breakdowns: \"tier\" survival { group_by: \"tier\" }".
 * *out receives a serialized churnkit.v1.ChurnReport (rates in percent, a
 * rate over zero customers absent, never NaN); free it with
 * ck_buffer_free(). An empty data set gives a valid empty report. Uses all
 * cores unless the request sets `threads`; the dataset may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; bytes that are not the
 * message; an invalid request named by its field, e.g. "period.end: 2024-01-01
 * is not after period.start 2024-02-01", "breakdowns[0]: unknown attribute
 * 'colour'", "definition.passive[0].inactive_days: must be > 0"). */
CK_EXPORT ck_status ck_report_churn(const ck_dataset_t* dataset,
                                    const void* request, size_t request_size,
                                    ck_buffer_t** out);

/* ======================= Inactivity windows ============================= */

/* Chooses passive-churn windows from history (docs/labels.md, "Choosing
 * windows from history"): per segment (overall, and per value of
 * `request.by`), every spell without qualifying activity before as_of, the
 * share of customers who returned after N silent days on a grid of N, and
 * the shortest N after which at most `max_return` return, also as a ready
 * churnkit.v1.ChurnDefinition. `request` / `request_size` hold a serialized
 * churnkit.v1.WindowsRequest (proto/churnkit/v1/windows.proto; copied).
 * as_of is required, so NULL / 0 (every default) is an error naming it.
 * *out receives a serialized churnkit.v1.WindowsResult (a share over zero
 * spells absent, never NaN); free it with ck_buffer_free(). An empty data
 * set gives a valid result without suggestions. Thread-safe; the dataset
 * is only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out, `request` NULL with a
 * non-zero size, bytes that are not a WindowsRequest, an invalid request
 * named by its field, e.g. "as_of: required", "by: unknown attribute
 * 'colour'", "max_return: must be in (0, 1), got 1.5", "step_days: 40 is
 * more than max_days (30)"). */
CK_EXPORT ck_status ck_windows_suggest(const ck_dataset_t* dataset,
                                       const void* request, size_t request_size,
                                       ck_buffer_t** out);

/* ======================= Churn prediction =============================== */

/* A fitted logistic churn model (churnkit.v1.LogisticModel,
 * docs/prediction.md). Immutable: safe to share across threads, e.g. for
 * concurrent scoring. */
typedef struct ck_model_t ck_model_t;

/* Fits a logistic model on a feature matrix in caller memory: `x` holds
 * `rows` rows of `cols` doubles, row-major, named by `column_names` (cols
 * NUL-terminated strings); `labels` holds rows values, 0 (retained) or 1
 * (churned). Nothing is kept past the call. `options` / `options_size` are a
 * serialized churnkit.v1.FitOptions; NULL / 0 means the defaults (L2 penalty, c
 * = 1, Newton-Cholesky up to 64 columns), e.g. "penalty: PENALTY_L1 c: 0.1
 * missing_values: MISSING_IMPUTE_MEAN". Features are standardized with the
 * training means and scales, kept in the model. Uses all cores unless the
 * options set `threads`; the model is bit-identical for any thread count.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, cols 0, a NULL or duplicate
 * column name, a label other than 0/1, a single class, a NaN or infinite
 * value named by row and column, unparsable or invalid options named by
 * field); CK_FAILED_PRECONDITION (no penalty and separable classes or
 * collinear columns; no convergence within max_iterations).
 * On success *out owns a new model; free it with ck_model_free(). */
CK_EXPORT ck_status ck_model_fit(const double* x, size_t rows, size_t cols,
                                 const char* const* column_names,
                                 const uint8_t* labels, const void* options,
                                 size_t options_size, ck_model_t** out);

/* Churn probabilities of `rows` rows of `cols` doubles (row-major, caller
 * memory; NULL only when rows is 0) into `out`, which holds `out_size` =
 * rows doubles. `column_names` must equal the model's features in order;
 * the error names the first difference. Uses all cores; the model may be
 * shared by concurrent calls.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, out_size != rows, columns
 * that differ from the model's, an infinite value, or a NaN when the model
 * rejects missing values). */
CK_EXPORT ck_status ck_model_predict(const ck_model_t* model, const double* x,
                                     size_t rows, size_t cols,
                                     const char* const* column_names,
                                     double* out, size_t out_size);

/* Why each row scores as it does: *out receives a serialized
 * churnkit.v1.Explanations, one Explanation per row in order, each with the
 * probability and up to `top_k` risk-raising and `top_k` protective
 * reasons (coefficient x standardized value, against a customer at the
 * training means). Reason texts fill the {value} of each feature's
 * description in `feature_set` (a serialized churnkit.v1.FeatureSet; NULL /
 * 0: the shipped default feature set); other features read "name = value".
 * A feature whose coefficient's sign differs from its univariate direction
 * (an adjustment for correlated features) gives no reason; its
 * contribution is in Explanation.adjustment (docs/prediction.md).
 * Matrix arguments as ck_model_predict. Free *out with ck_buffer_free().
 * Errors: as ck_model_predict; CK_INVALID_ARGUMENT for unparsable
 * feature_set bytes or top_k > 1000000. */
CK_EXPORT ck_status ck_model_explain(const ck_model_t* model, const double* x,
                                     size_t rows, size_t cols,
                                     const char* const* column_names,
                                     size_t top_k, const void* feature_set,
                                     size_t feature_set_size,
                                     ck_buffer_t** out);

/* Number of features of a model and the name of feature `index`
 * (valid while the model lives), to build matrices in its order.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_OUT_OF_RANGE (bad index). */
CK_EXPORT ck_status ck_model_num_features(const ck_model_t* model, size_t* out);
CK_EXPORT ck_status ck_model_feature_name(const ck_model_t* model, size_t index,
                                          const char** out);

/* The model as bytes (a serialized churnkit.v1.LogisticModel with a
 * checksum), for storage; ck_model_load reads them back into an identical
 * model. *out owns a new buffer; free it with ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (NULL). */
CK_EXPORT ck_status ck_model_save(const ck_model_t* model, ck_buffer_t** out);

/* Loads a model from `size` bytes written by ck_model_save (copied).
 * Errors: CK_INVALID_ARGUMENT (NULL data/out; a model that fails
 * validation, e.g. a newer format_version); CK_DATA_LOSS (bytes that are
 * not a model, or corrupted: the checksum does not match).
 * On success *out owns a new model; free it with ck_model_free(). */
CK_EXPORT ck_status ck_model_load(const void* data, size_t size,
                                  ck_model_t** out);

/* Releases a model. NULL is a no-op. */
CK_EXPORT void ck_model_free(ck_model_t* model);

/* ======================= Metrics ======================================== */

/* Evaluates `n` scores against 0/1 labels (both caller memory): ROC-AUC
 * (ties count half), average precision, log-loss and Brier (when every
 * score is a probability), lift and gains by decile, a reliability table
 * and the confusion matrix at a threshold, as scikit-learn computes them.
 * `options` is a serialized churnkit.v1.EvaluationOptions (NULL / 0: the
 * defaults, threshold by maximum F1), e.g.
 *   "threshold_rule { rule: THRESHOLD_MIN_COST contact_cost: 50
 *    churn_loss: 1200 }".
 * *out receives a serialized churnkit.v1.Evaluation; free it with
 * ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, n 0, a label other than 0/1,
 * a NaN or infinite score, a single class, invalid options);
 * CK_NOT_FOUND (no threshold reaches the target precision). */
CK_EXPORT ck_status ck_metrics_evaluate(const uint8_t* labels,
                                        const double* scores, size_t n,
                                        const void* options,
                                        size_t options_size, ck_buffer_t** out);

/* ======================= Learned scorecards ============================= */

/* Learns a health scorecard from churn history (docs/scorecards.md): each
 * column is binned, each bin gets its weight of evidence, a logistic model
 * is fitted on the WoE columns and its coefficients are scaled into points
 * (points to double the odds). Matrix arguments as ck_model_fit: `x` holds
 * `rows` rows of `cols` doubles, row-major, NaN = missing, named by
 * `column_names`; `labels` holds rows values, 0 (stayed) or 1 (churned).
 * Nothing is kept past the call. `options` / `options_size` are a
 * serialized churnkit.v1.ScorecardLearnOptions (read during the call only;
 * NULL / 0 for the defaults: monotonic bins, at most 5 per column, 50
 * points at odds 1, 10 points to double them, a stratified 30% holdout).
 * holdout_from is refused: rows carry no as-of times here.
 * *scorecard_out receives a serialized churnkit.v1.Scorecard (to store,
 * or to use as the `scorecard` of an AssessmentConfig for
 * ck_assessor_create, when the columns are the assessment's features);
 * *report_out, unless report_out is NULL, a serialized
 * churnkit.v1.ScorecardReport (bins, WoE, information values, training and
 * holdout AUC). Free both with ck_buffer_free(). Uses all cores;
 * thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL x / column_names / labels /
 * scorecard_out, `options` NULL with a non-zero size, cols 0, a NULL or
 * duplicate column name, bytes that are not a ScorecardLearnOptions, an
 * option out of range named by its field, e.g. "pdo: must be > 0", a label
 * other than 0/1, a single class, an infinite value, no usable column —
 * each constant, all missing or uninformative). */
CK_EXPORT ck_status ck_scorecard_learn(
    const double* x, size_t rows, size_t cols, const char* const* column_names,
    const uint8_t* labels, const void* options, size_t options_size,
    ck_buffer_t** scorecard_out, ck_buffer_t** report_out);

/* ======================= Experiments (A/B tests) ======================== */

/* Analyses the A/B tests of retention interventions (INTERVENTION events:
 * key = strategy, group = arm, amount = cost; docs/experiments.md): per
 * strategy and arm, retention after 1..3 cycles, response and win-back
 * rates, cost per retained customer; each arm against the control arm with
 * the difference, Wald and Newcombe intervals, z-test and Fisher p-values
 * and the sample size a conclusive test needs; strategies with a low
 * response flagged. `options` / `options_size` hold a serialized
 * churnkit.v1.ExperimentOptions (copied; NULL / 0 for every default: as of
 * midnight after the last event, 30-day cycles, 3 cycles, alpha 0.05).
 * *out receives a serialized churnkit.v1.ExperimentReport (rates in
 * percent, never NaN); free it with ck_buffer_free(). Uses all cores unless
 * the options set `threads`; the dataset may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out, `options` NULL with a
 * non-zero size, bytes that are not an ExperimentOptions, an invalid option
 * named by its field, e.g. "alpha: must be in (0, 1)", "control_arm: 'X'
 * is not an arm of strategy 'call'"). */
CK_EXPORT ck_status ck_abtest_analyze(const ck_dataset_t* dataset,
                                      const void* options, size_t options_size,
                                      ck_buffer_t** out);

/* The statistics behind ck_abtest_analyze on plain counts: group i has
 * `successes_i` of `trials_i`. Every output pointer may be NULL to skip it;
 * outputs are written only on success. Thread-safe.
 * Errors (CK_INVALID_ARGUMENT, naming the argument): a negative count,
 * successes > trials, trials = 0, alpha / power outside (0, 1). */

/* Two-proportion z-test of p1 = p2 with the pooled standard error: z, the
 * two-sided p-value and the one-sided p-value of p1 > p2. When every trial
 * of both groups succeeded, or none did, z = 0, p = 1 and the one-sided
 * p = 0.5 (never NaN). */
CK_EXPORT ck_status ck_stats_two_proportion_test(
    int64_t successes1, int64_t trials1, int64_t successes2, int64_t trials2,
    double* z, double* p_value, double* p_value_greater);

/* Interval methods of ck_stats_difference_interval. */
#define CK_INTERVAL_WALD 1
#define CK_INTERVAL_NEWCOMBE 2

/* Confidence interval of p1 - p2 at level 1 - alpha: CK_INTERVAL_WALD or
 * CK_INTERVAL_NEWCOMBE (Newcombe's hybrid score interval, method 10).
 * Errors: also an unknown method. */
CK_EXPORT ck_status ck_stats_difference_interval(
    int64_t successes1, int64_t trials1, int64_t successes2, int64_t trials2,
    double alpha, int method, double* lower, double* upper);

/* Fisher's exact test on the 2x2 table [[a, b], [c, d]]: the two-sided
 * p-value (as scipy.stats.fisher_exact), P(X <= a) and P(X >= a), and the
 * sample odds ratio a d / (b c): INFINITY when b c = 0 < a d, -1 when a row
 * or column sums to 0 (then every p-value is 1). Errors: a negative cell. */
CK_EXPORT ck_status ck_stats_fisher_exact(int64_t a, int64_t b, int64_t c,
                                          int64_t d, double* p_value,
                                          double* p_less, double* p_greater,
                                          double* odds_ratio);

/* Subjects per arm for a two-sided two-proportion z-test at `alpha` to
 * detect p1 vs p2 with probability `power` (Fleiss et al. 2003, without
 * continuity correction), rounded up, into *out.
 * Errors: NULL out, p1 or p2 outside [0, 1], p1 = p2, alpha or power
 * outside (0, 1), a size over 10^15. */
CK_EXPORT ck_status ck_stats_sample_size(double p1, double p2, double alpha,
                                         double power, int64_t* out);

/* ======================= Assessment ===================================== */

/* Health colours (churnkit.v1.Colour) and alert levels (churnkit.v1.Level). */
#define CK_COLOUR_GREEN 1
#define CK_COLOUR_YELLOW 2
#define CK_COLOUR_RED 3

/* A validated assessment configuration (features, scorecard, warning
 * rules, care plan). Immutable: safe to share across threads. */
typedef struct ck_assessor_t ck_assessor_t;
/* The result of one assessment: every customer's health, colour, alerts
 * and tasks, plus the updated alert history. */
typedef struct ck_assessment_t ck_assessment_t;

/* Compiles a serialized churnkit.v1.AssessmentConfig (`config_size`
 * bytes; NULL / 0 means the shipped defaults: Zoho scorecard, domain rules
 * and care plan over the default features) -- e.g. a scorecard from
 * ck_scorecard_learn put into its `scorecard` field.
 * Errors: CK_INVALID_ARGUMENT (NULL out; NULL config with size > 0; bytes
 * that are not an AssessmentConfig; an invalid part, named by its path
 * such as "rules.rules[0].when.compare.feature").
 * On success *out owns a new handle; free it with ck_assessor_free(). */
CK_EXPORT ck_status ck_assessor_create(const void* config, size_t config_size,
                                       ck_assessor_t** out);
/* Releases an assessor. NULL is a no-op. */
CK_EXPORT void ck_assessor_free(ck_assessor_t* assessor);

/* Assesses every customer signed up before `as_of` (seconds since the
 * epoch). `history` / `history_size` hold a serialized
 * churnkit.v1.AlertHistory from the previous run (cool-downs, escalation);
 * NULL / 0 for none. The bytes are copied.
 * Errors: CK_INVALID_ARGUMENT (NULL, corrupt history, as_of before the
 * data). On success *out owns a new handle; free it with
 * ck_assessment_free(). */
CK_EXPORT ck_status ck_assessor_assess(const ck_assessor_t* assessor,
                                       const ck_dataset_t* dataset,
                                       int64_t as_of, const void* history,
                                       size_t history_size,
                                       ck_assessment_t** out);
/* As ck_assessor_assess, and with a churn model (may be NULL: then exactly
 * ck_assessor_assess) fitted on the assessor's features (e.g. on a
 * ck_features_compute_panel of the same feature set): every customer gets its
 * churn probability (ck_assessment_churn_probability) and the model's three
 * strongest risk reasons (churn_reasons in the serialized Assessment). The
 * model is only read during the call. Errors: as ck_assessor_assess;
 * CK_INVALID_ARGUMENT when the model uses a feature the assessor does not
 * compute (named). */
CK_EXPORT ck_status ck_assessor_assess_with_model(
    const ck_assessor_t* assessor, const ck_dataset_t* dataset, int64_t as_of,
    const void* history, size_t history_size, const ck_model_t* model,
    ck_assessment_t** out);
/* One customer whose events just changed, assessed alone (the host's hot
 * path; docs/rules.md "One customer at a time"): `update` / `update_size`
 * hold a serialized churnkit.v1.CustomerUpdate (customer id, its new
 * events, as_of, the last full run's colour cut-offs, its alert-history
 * entries, its previous score). The customer comes out as
 * ck_assessor_assess_with_model of the data set with those events
 * appended would give it -- health, colour, churn probability and reasons
 * (with `model`, which may be NULL), alerts (to its owner, rank 0) and
 * tasks -- at the cost of its own events, on the calling thread. The
 * dataset is not modified. *out receives a serialized
 * churnkit.v1.CustomerUpdateResult; free it with ck_buffer_free().
 * Thread-safe. Errors: CK_INVALID_ARGUMENT (NULL assessor, dataset or out;
 * update NULL with a size; bytes that are not a CustomerUpdate; as_of
 * unset; an event refused, "added event:2: time: ..."; empty colours
 * under red_share), CK_NOT_FOUND (no such customer), CK_FAILED_PRECONDITION
 * (signed up on or after as_of). */
CK_EXPORT ck_status ck_assessor_assess_customer(const ck_assessor_t* assessor,
                                                const ck_dataset_t* dataset,
                                                const void* update,
                                                size_t update_size,
                                                const ck_model_t* model,
                                                ck_buffer_t** out);
/* Releases an assessment. NULL is a no-op. */
CK_EXPORT void ck_assessment_free(ck_assessment_t* assessment);

/* Number of customers assessed. */
CK_EXPORT ck_status
ck_assessment_num_customers(const ck_assessment_t* assessment, size_t* out);
/* Customer `index`: its id (valid while the assessment lives), health
 * score, colour (CK_COLOUR_*), number of alerts and of tasks. Any output
 * pointer may be NULL to skip it.
 * Errors: CK_INVALID_ARGUMENT (NULL assessment), CK_OUT_OF_RANGE. */
CK_EXPORT ck_status ck_assessment_customer(const ck_assessment_t* assessment,
                                           size_t index, const char** id,
                                           double* score, int* colour,
                                           size_t* num_alerts,
                                           size_t* num_tasks);
/* Churn probability of customer `index` from the model given to
 * ck_assessor_assess_with_model; NaN without a model.
 * Errors: CK_INVALID_ARGUMENT (NULL), CK_OUT_OF_RANGE. */
CK_EXPORT ck_status ck_assessment_churn_probability(
    const ck_assessment_t* assessment, size_t index, double* out);
/* The whole result as serialized churnkit.v1.Assessment, and the updated
 * churnkit.v1.AlertHistory to pass to the next ck_assessor_assess. *out owns a
 * new buffer; free it with ck_buffer_free(). */
CK_EXPORT ck_status ck_assessment_serialize(const ck_assessment_t* assessment,
                                            ck_buffer_t** out);
CK_EXPORT ck_status ck_assessment_history(const ck_assessment_t* assessment,
                                          ck_buffer_t** out);

/* ======================= Customer lifetime value ======================= */

/* RFM summaries of every customer with an order before `as_of` (seconds
 * since the epoch; only events strictly before it count), docs/clv.md.
 * `options` is a serialized churnkit.v1.RfmOptions (NULL / 0: days, ORDER
 * events, same-day orders merged), e.g. "time_unit: CLV_WEEKS".
 * *out receives a serialized churnkit.v1.RfmSummaries; free it with
 * ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, unparsable or invalid
 * options). */
CK_EXPORT ck_status ck_clv_summaries(const ck_dataset_t* dataset, int64_t as_of,
                                     const void* options, size_t options_size,
                                     ck_buffer_t** out);

/* Fits BG/NBD (and Gamma-Gamma when `monetary` is not NULL) on `n`
 * customers' summaries in caller memory: frequency (repeat purchases,
 * whole numbers), recency t_x and age T (one time unit, which the model's
 * alpha and later horizons share), monetary (mean repeat spend, >= 0;
 * repeat buyers with 0, who returned everything, are left out of the
 * Gamma-Gamma fit). Nothing is kept past the call. `options` is a
 * serialized churnkit.v1.ClvFitOptions (NULL / 0: no penalty, tolerance 1e-9).
 * *out receives a serialized churnkit.v1.ClvModel (gamma_gamma unset
 * without monetary); free it with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, n 0, a negative, NaN or
 * non-integral value or recency > age, named by customer index and field;
 * invalid options named by field); CK_FAILED_PRECONDITION (no customer with
 * frequency > 0, a degenerate likelihood, no convergence). */
CK_EXPORT ck_status ck_clv_fit(const double* frequency, const double* recency,
                               const double* age, const double* monetary,
                               size_t n, const void* options,
                               size_t options_size, ck_buffer_t** out);

/* Predicts `n` customers under a model from ck_clv_fit (`model` /
 * `model_size`: the serialized churnkit.v1.ClvModel, copied). Arrays as
 * ck_clv_fit; `monetary` is required when the model has a Gamma-Gamma
 * part and ignored otherwise (spend and CLV are then 0).
 * `options` is a serialized churnkit.v1.ClvPredictOptions and must set
 * horizon, e.g. "horizon: 52 margin: 0.3". Each output (n doubles, caller
 * memory) may be NULL to skip it: P(alive), expected purchases over the
 * horizon, expected spend per purchase, CLV. Outputs are always finite and
 * are left untouched on error.
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, bytes that are not a
 * ClvModel, invalid parameters, summaries or options);
 * CK_FAILED_PRECONDITION (Gamma-Gamma q <= 1; a horizon too long to sum
 * the hypergeometric series, naming the customer). */
CK_EXPORT ck_status ck_clv_predict(const void* model, size_t model_size,
                                   const double* frequency,
                                   const double* recency, const double* age,
                                   const double* monetary, size_t n,
                                   const void* options, size_t options_size,
                                   double* p_alive, double* expected_purchases,
                                   double* expected_spend, double* clv);

/* Fits over partitions (docs/scale-out.md): the models depend on the
 * customers only through the number of customers per distinct pattern,
 * a churnkit.v1.RfmPatterns -- (frequency, recency, age) for BG/NBD,
 * (frequency, monetary) of repeat buyers for Gamma-Gamma. Patterns of
 * disjoint customer sets merge exactly, and ck_clv_fit fits from the same
 * patterns, so a fit of merged partition patterns equals ck_clv_fit of all
 * the customers bit for bit. */

/* The patterns of serialized churnkit.v1.RfmSummaries (`summaries` /
 * `summaries_size`, e.g. from ck_clv_summaries; read during the call only;
 * monetary is read for every customer, 0 when unset). No customers give
 * empty patterns (an empty partition). *out receives a serialized
 * churnkit.v1.RfmPatterns in canonical order; free it with ck_buffer_free().
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument; bytes that are not an
 * RfmSummaries; a bad value named by customer and field, e.g.
 * "customer 'c7' (index 6): recency 40 > age 39"). */
CK_EXPORT ck_status ck_clv_patterns(const void* summaries,
                                    size_t summaries_size, ck_buffer_t** out);

/* Merges `count` serialized churnkit.v1.RfmPatterns (`parts[i]` /
 * `sizes[i]`, e.g. one per partition from ck_clv_patterns; read during the
 * call only) into those of all their customers: counts of equal patterns
 * add. The result is canonical, so its bytes do not depend on the order of
 * the parts. *out receives a serialized churnkit.v1.RfmPatterns; free it
 * with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, count 0, a part that is not
 * valid RfmPatterns named "parts[i]", parts of different time units or
 * with and without monetary values, more than 2^53 customers). */
CK_EXPORT ck_status ck_clv_patterns_merge(const void* const* parts,
                                          const size_t* sizes, size_t count,
                                          ck_buffer_t** out);

/* Fits BG/NBD (and Gamma-Gamma when the patterns have monetary values) from
 * serialized churnkit.v1.RfmPatterns (`patterns` / `patterns_size`, read
 * during the call only), as ck_clv_fit does from arrays. `options` is a
 * serialized churnkit.v1.ClvFitOptions (NULL / 0: no penalty, tolerance
 * 1e-9). *out receives a serialized churnkit.v1.ClvModel for ck_clv_predict;
 * free it with ck_buffer_free(). Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument; bytes that are not
 * RfmPatterns or ClvFitOptions; patterns that are not valid and canonical,
 * named by list and entry, e.g. "patterns: purchases[3]: recency 5 > age
 * 4"; no customers; invalid options named by field); CK_FAILED_PRECONDITION
 * (no repeat buyer, a degenerate likelihood, no convergence). */
CK_EXPORT ck_status ck_clv_fit_patterns(const void* patterns,
                                        size_t patterns_size,
                                        const void* options,
                                        size_t options_size, ck_buffer_t** out);

/* ======================= Segmentation =================================== */

/* Segments every customer existing at the as-of date (docs/segmentation.md):
 * customer value and A/B/C tiers, the value x risk matrix with its four
 * strategies and save-first ranking, and the churn-reason matrix.
 * `options` / `options_size` hold a serialized churnkit.v1.SegmentOptions
 * (proto/churnkit/v1/segment.proto; NULL / 0 for every shipped default;
 * the bytes are read during the call only). Risk comes from exactly one of:
 *   - `risk_ids` / `risk` / `num_risk`: `num_risk` customer ids
 *     (NUL-terminated UTF-8) and values whose meaning is
 *     SegmentOptions.risk.source (health score, colour, churn
 *     probability); both arrays are borrowed for the call; NULL only when
 *     num_risk is 0; every customer not churned needs a value;
 *   - `assessment`: a ck_assessor_assess() result (its scores, colours or churn
 *     probabilities, and its alerts and model reasons as evidence for the
 *     reasons of churn without a cancellation); as_of then defaults to the
 *     assessment's. Pass NULL arrays and 0 with it.
 * *out receives a serialized churnkit.v1.SegmentReport; free it with
 * ck_buffer_free(). Uses all cores unless the options set `threads`; the
 * dataset and assessment are only read and may be shared.
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; NULL arrays with
 * num_risk > 0; both an assessment and arrays; bytes that are not a
 * SegmentOptions; invalid options named by their path, e.g.
 * "tiers.a_share: must be in (0, 1], got 1.5"; an unknown or repeated risk
 * id, "risk.customer_ids[3]: unknown customer 'x'"; a NaN or out-of-range
 * value, "risk.values[2]: ..."; an active customer without a value). */
CK_EXPORT ck_status ck_segments_compute(
    const ck_dataset_t* dataset, const void* options, size_t options_size,
    const char* const* risk_ids, const double* risk, size_t num_risk,
    const ck_assessment_t* assessment, ck_buffer_t** out);

/* A/B/C value tiers (docs/segmentation.md), as the thresholds of a set of
 * values so that values spread over partitions are tiered exactly: gather
 * every partition's values (in any order), compute the thresholds once,
 * and assign each partition's customers by them. */
#define CK_TIER_A 0
#define CK_TIER_B 1
#define CK_TIER_C 2

/* The tier thresholds of `n` values (caller memory, read during the call
 * only; NULL only when n is 0; each finite and >= 0) under a serialized
 * churnkit.v1.TierOptions (`options` / `options_size`; NULL / 0: PARETO
 * 0.80 / 0.15; unset shares take the method's defaults as in
 * SegmentOptions): *a_min and *b_min receive the smallest value of tier A
 * and of tier B (+inf when the tier is empty). The result depends only on
 * the values, not their order. Outputs are untouched on error.
 * Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument; bytes that are not a
 * TierOptions; an invalid share, e.g. "tiers.a_share: must be in (0, 1],
 * got 1.5"; a NaN, infinite or negative value, "values[3]: ..."). */
CK_EXPORT ck_status ck_tier_thresholds(const double* values, size_t n,
                                       const void* options, size_t options_size,
                                       double* a_min, double* b_min);

/* The tier of each of `n` values under thresholds from ck_tier_thresholds:
 * tiers[i] (caller memory, n ints) is CK_TIER_A when values[i] > 0 and
 * >= a_min, else CK_TIER_B when > 0 and >= b_min, else CK_TIER_C. Over the
 * values the thresholds were computed from, these are the tiers of
 * ck_segments_compute. `tiers` is untouched on error. Thread-safe.
 * Errors: CK_INVALID_ARGUMENT (NULL argument with n > 0; a threshold that
 * is not > 0 (NaN included; +inf is allowed); a NaN, infinite or negative
 * value named "values[i]"). */
CK_EXPORT ck_status ck_tier_assign(const double* values, size_t n, double a_min,
                                   double b_min, int* tiers);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHURNKIT_C_API_H_ */
