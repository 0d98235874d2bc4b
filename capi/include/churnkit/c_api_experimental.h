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

/* ======================= Protobuf text format =========================== */

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
CK_EXPORT ck_status ck_train(const ck_dataset_t* dataset, const void* request,
                             size_t request_size, ck_buffer_t** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHURNKIT_C_API_EXPERIMENTAL_H_ */
