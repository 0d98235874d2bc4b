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
 *  5. Protobuf messages of package churnkit.v1 travel as serialized bytes,
 *     so hosts need not link protobuf. Configs may also be given in protobuf
 *     text format (const char*).
 *  6. Thread-safety: functions taking a `const` handle may be called from
 *     many threads at once on the same handle; a non-const handle must not
 *     be shared without external locking. ck_last_error() is per thread.
 *  7. No function aborts or lets a C++ exception escape. Out-of-memory and
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

/* ======================= Buffers ======================================== */

/* Library-owned bytes (e.g. a serialized protobuf message). */
typedef struct ck_buffer_t ck_buffer_t;

/* Pointer to the bytes; NULL for NULL. Valid until ck_buffer_free(). */
CK_EXPORT const void* ck_buffer_data(const ck_buffer_t* buffer);
/* Number of bytes; 0 for NULL. */
CK_EXPORT size_t ck_buffer_size(const ck_buffer_t* buffer);
/* Releases a buffer. NULL is a no-op. */
CK_EXPORT void ck_buffer_free(ck_buffer_t* buffer);

/* ======================= Datasets ======================================= */

/* An immutable customer data set (customers, events, contacts, contracts,
 * owners) with the error report of its ingestion. */
typedef struct ck_dataset_t ck_dataset_t;

/* Error policy values of churnkit.v1.ErrorPolicy. */
#define CK_POLICY_LENIENT 2
#define CK_POLICY_STRICT 1

/* Loads a data set from files. `options_textproto` is a
 * churnkit.v1.LoadOptions message in protobuf text format, e.g.
 *   "format: CSV paths: \"examples/data\" validation { policy: STRICT }".
 * Under LENIENT (the default) bad rows are skipped and listed in the error
 * report; under STRICT the first one fails the call.
 * Errors: CK_INVALID_ARGUMENT (NULL argument, unparsable options, a bad row
 * under STRICT), CK_NOT_FOUND / CK_PERMISSION_DENIED (unreadable file).
 * On success *out owns a new handle; free it with ck_dataset_free(). */
CK_EXPORT ck_status ck_dataset_load(const char* options_textproto,
                                    ck_dataset_t** out);

/* As ck_dataset_load, with serialized churnkit.v1.LoadOptions bytes. */
CK_EXPORT ck_status ck_dataset_load_proto(const void* options, size_t size,
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

/* Compiles a churnkit.v1.FeatureSet given in protobuf text format; NULL
 * means the shipped default (configs/features/default.textproto: every
 * warning signal of the domain notes).
 * Errors: CK_INVALID_ARGUMENT (NULL out; unparsable text; an invalid
 * feature, named by its path such as "features[3].window.window_days").
 * On success *out owns a new handle; free it with ck_features_free(). */
CK_EXPORT ck_status ck_features_create(const char* feature_set_textproto,
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
CK_EXPORT ck_status ck_matrix_customer_id(const ck_matrix_t* matrix,
                                          size_t row, const char** out);
CK_EXPORT ck_status ck_matrix_column_name(const ck_matrix_t* matrix,
                                          size_t col, const char** out);
/* Releases a matrix. NULL is a no-op. */
CK_EXPORT void ck_matrix_free(ck_matrix_t* matrix);

/* ======================= Churn labels =================================== */

/* Labels every customer as of `as_of`: active, passive or hidden churn per
 * a churnkit.v1.ChurnDefinition in protobuf text format (NULL: the shipped
 * default of the domain notes). *out receives a serialized
 * churnkit.v1.LabelSet (one CustomerLabel per customer, in data-set order);
 * free it with ck_buffer_free().
 * Errors: CK_INVALID_ARGUMENT (NULL dataset/out; an invalid definition,
 * named by its path such as "passive[1].inactive_days"). */
CK_EXPORT ck_status ck_labels_compute(const ck_dataset_t* dataset,
                                      const char* definition_textproto,
                                      int64_t as_of, ck_buffer_t** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHURNKIT_C_API_H_ */
