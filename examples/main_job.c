/* examples/main_job.c: the main job of the README through the C ABI's jobs
 * (churnkit/c_api_experimental.h, docs/jobs.md) -- train the churn model on
 * a training panel, assess every customer with it a month apart (the
 * second time with the first assessment as the previous one), segment by
 * value and risk, and report the year's churn. Requests are written in
 * protobuf text format and converted with ck_proto_from_text; results are
 * read field by field with ck_proto_get, so the host needs no protobuf.
 *
 * Usage: main_job_c DATA_DIR   (a `churnkit generate` directory)
 * Prints one "name value" line per figure; tests/main_job_c_test.sh checks
 * them against the CLI's on the same data.
 *
 * Build against an installed churnkit:
 *   cc main_job.c $(pkg-config --cflags --libs churnkit)
 */
#include <stdio.h>

#include "churnkit/c_api_experimental.h"

static int fail(const char* what, ck_status status) {
  fprintf(stderr, "main_job: error: %s: %s: %s\n", what, ck_status_name(status),
          ck_last_error());
  return 1;
}

/* Prints field `path` of a result as "label value", or fails. */
static ck_status print_field(const char* label, const char* message,
                             const ck_buffer_t* result, const char* path) {
  ck_buffer_t* value = NULL;
  ck_status s = ck_proto_get(message, ck_buffer_data(result),
                             ck_buffer_size(result), path, &value);
  if (s != CK_OK) return s;
  printf("%s %.*s\n", label, (int)ck_buffer_size(value),
         (const char*)ck_buffer_data(value));
  ck_buffer_free(value);
  return CK_OK;
}

/* *out = `base` (a `message`) with `field` set to the bytes of field
 * `from_path` of `from` (a `from_message`). */
static ck_status set_from(const char* message, const ck_buffer_t* base,
                          const char* field, const char* from_message,
                          const ck_buffer_t* from, const char* from_path,
                          ck_buffer_t** out) {
  ck_buffer_t* value = NULL;
  ck_status s = ck_proto_get(from_message, ck_buffer_data(from),
                             ck_buffer_size(from), from_path, &value);
  if (s == CK_OK) {
    s = ck_proto_set(message, ck_buffer_data(base), ck_buffer_size(base), field,
                     ck_buffer_data(value), ck_buffer_size(value), out);
  }
  ck_buffer_free(value);
  return s;
}

/* The same, from a request in text format. */
static ck_status request_with(const char* message, const char* text,
                              const char* field, const char* from_message,
                              const ck_buffer_t* from, const char* from_path,
                              ck_buffer_t** out) {
  ck_buffer_t* base = NULL;
  ck_status s = ck_proto_from_text(message, text, &base);
  if (s == CK_OK) {
    s = set_from(message, base, field, from_message, from, from_path, out);
  }
  ck_buffer_free(base);
  return s;
}

int main(int argc, char** argv) {
  char options[4200];
  ck_dataset_t* ds = NULL;
  ck_buffer_t *request = NULL, *trained = NULL, *previous = NULL,
              *assessed = NULL, *with_previous = NULL, *segmented = NULL,
              *report = NULL;
  int code = 1;
  ck_status s;

  if (argc < 2) {
    fprintf(stderr, "usage: main_job_c DATA_DIR\n");
    return 2;
  }
  /* Directory names with quotes or backslashes would need escaping. */
  if (snprintf(options, sizeof options, "paths: \"%s\"", argv[1]) >=
      (int)sizeof options) {
    fprintf(stderr, "main_job: error: directory name too long\n");
    return 1;
  }
  s = ck_proto_from_text("churnkit.v1.LoadOptions", options, &request);
  if (s != CK_OK) return fail("ck_proto_from_text", s);
  s = ck_dataset_load(ck_buffer_data(request), ck_buffer_size(request), &ds);
  ck_buffer_free(request);
  request = NULL;
  if (s != CK_OK) return fail("ck_dataset_load", s);

  /* Train: features at six quarterly dates, label "churned 90 days later",
   * held out from the last date (the defaults of `churnkit train`). */
  s = ck_proto_from_text("churnkit.v1.TrainRequest",
                         "as_of_dates: [\"2024-07-01\", \"2024-10-01\", "
                         "\"2025-01-01\", \"2025-04-01\", \"2025-07-01\", "
                         "\"2025-10-01\"] horizon_days: 90 "
                         "panel_label: PANEL_LABEL_CHURNED_AT_END",
                         &request);
  if (s != CK_OK) {
    fail("ck_proto_from_text", s);
    goto done;
  }
  s = ck_job_train(ds, ck_buffer_data(request), ck_buffer_size(request),
                   &trained);
  ck_buffer_free(request);
  request = NULL;
  if (s != CK_OK) {
    fail("ck_job_train", s);
    goto done;
  }
  if ((s = print_field("train_rows", "churnkit.v1.TrainResult", trained,
                       "train.rows")) != CK_OK ||
      (s = print_field("held_out_roc_auc", "churnkit.v1.TrainResult", trained,
                       "held_out.roc_auc")) != CK_OK) {
    fail("ck_proto_get", s);
    goto done;
  }

  /* Assess a month before, then as of 2026-01-01 with that assessment as
   * the previous one (score changes), both with the model. */
  s = request_with("churnkit.v1.AssessRequest", "as_of: \"2025-12-01\"",
                   "model", "churnkit.v1.TrainResult", trained, "model",
                   &request);
  if (s == CK_OK) {
    s = ck_job_assess(ds, ck_buffer_data(request), ck_buffer_size(request),
                      &previous);
  }
  ck_buffer_free(request);
  request = NULL;
  if (s != CK_OK) {
    fail("ck_job_assess (previous)", s);
    goto done;
  }
  s = request_with("churnkit.v1.AssessRequest", "as_of: \"2026-01-01\"",
                   "model", "churnkit.v1.TrainResult", trained, "model",
                   &request);
  if (s == CK_OK) {
    s = set_from("churnkit.v1.AssessRequest", request, "previous",
                 "churnkit.v1.AssessResponse", previous, "assessment",
                 &with_previous);
  }
  if (s == CK_OK) {
    s = ck_job_assess(ds, ck_buffer_data(with_previous),
                      ck_buffer_size(with_previous), &assessed);
  }
  ck_buffer_free(request);
  request = NULL;
  if (s != CK_OK) {
    fail("ck_job_assess", s);
    goto done;
  }
  if ((s = print_field("assessed_customers", "churnkit.v1.AssessResponse",
                       assessed, "summary.customers")) != CK_OK ||
      (s = print_field("already_churned", "churnkit.v1.AssessResponse",
                       assessed, "summary.churned")) != CK_OK ||
      (s = print_field("alerts", "churnkit.v1.AssessResponse", assessed,
                       "summary.alerts")) != CK_OK ||
      (s = print_field("tasks", "churnkit.v1.AssessResponse", assessed,
                       "summary.tasks")) != CK_OK) {
    fail("ck_proto_get", s);
    goto done;
  }

  /* Segment with the model's risk and the evidence of 90 days before. */
  s = request_with("churnkit.v1.SegmentRequest",
                   "options { as_of: \"2026-01-01\" }", "model",
                   "churnkit.v1.TrainResult", trained, "model", &request);
  if (s == CK_OK) {
    s = ck_job_segment(ds, ck_buffer_data(request), ck_buffer_size(request),
                       &segmented);
  }
  ck_buffer_free(request);
  request = NULL;
  if (s != CK_OK) {
    fail("ck_job_segment", s);
    goto done;
  }
  if ((s = print_field("segment_active", "churnkit.v1.SegmentResponse",
                       segmented, "report.active_customers")) != CK_OK ||
      (s = print_field("reasons_churned", "churnkit.v1.SegmentResponse",
                       segmented, "report.reasons.churned")) != CK_OK) {
    fail("ck_proto_get", s);
    goto done;
  }

  /* The year's churn report. */
  s = ck_proto_from_text("churnkit.v1.ReportRequest",
                         "period { start: \"2025-01-01\" end: \"2026-01-01\" }",
                         &request);
  if (s == CK_OK) {
    s = ck_job_report(ds, ck_buffer_data(request), ck_buffer_size(request),
                      &report);
  }
  ck_buffer_free(request);
  request = NULL;
  if (s != CK_OK) {
    fail("ck_job_report", s);
    goto done;
  }
  if ((s = print_field("customers_at_start", "churnkit.v1.ChurnReport", report,
                       "period.overall.customers_at_start")) != CK_OK ||
      (s = print_field("churned", "churnkit.v1.ChurnReport", report,
                       "period.overall.churned")) != CK_OK) {
    fail("ck_proto_get", s);
    goto done;
  }
  code = 0;

done:
  ck_buffer_free(trained);
  ck_buffer_free(previous);
  ck_buffer_free(assessed);
  ck_buffer_free(with_previous);
  ck_buffer_free(segmented);
  ck_buffer_free(report);
  ck_dataset_free(ds);
  return code;
}
