/* examples/churn_report.c: the churn report of a churnkit CSV export through
 * the C ABI. The report comes back as a serialized churnkit.v1.ChurnReport,
 * which this program writes to a file for any protobuf reader, e.g.
 *   protoc --decode=churnkit.v1.ChurnReport -I proto \
 *     proto/churnkit/v1/report.proto < report.pb
 *
 * Usage: churn_report_c [DIR [OUT]]   (default: examples/data, report.pb)
 *
 * Build against an installed churnkit:
 *   cc churn_report.c $(pkg-config --cflags --libs churnkit)
 */
#include <stdio.h>

#include "churnkit/c_api.h"

static int fail(const char* what, ck_status status) {
  fprintf(stderr, "churn_report: error: %s: %s: %s\n", what,
          ck_status_name(status), ck_last_error());
  return 1;
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "examples/data";
  const char* out_path = argc > 2 ? argv[2] : "report.pb";
  char options[4200];
  ck_dataset_t* ds = NULL;
  ck_buffer_t* report = NULL;
  ck_buffer_t* unused = NULL;
  ck_buffer_t* message = NULL; /* a request as bytes, from text format */
  ck_status s;
  FILE* out;
  size_t written;

  /* Directory names with quotes or backslashes would need escaping. */
  if (snprintf(options, sizeof options, "paths: \"%s\"", dir) >=
      (int)sizeof options) {
    fprintf(stderr, "churn_report: error: directory name too long\n");
    return 1;
  }
  s = ck_proto_from_text("churnkit.v1.LoadOptions", options, &message);
  if (s != CK_OK) return fail("ck_proto_from_text", s);
  s = ck_dataset_load(ck_buffer_data(message), ck_buffer_size(message), &ds);
  ck_buffer_free(message);
  if (s != CK_OK) return fail("ck_dataset_load", s);

  /* The churn rate of the first half of 2024 by tier, the monthly trend and
   * Kaplan-Meier curves per tier, under the shipped churn definition. */
  s = ck_proto_from_text("churnkit.v1.ReportRequest",
                         "period { start: \"2024-01-01\" end: \"2024-06-28\" }"
                         " breakdowns: \"tier\" trend {}"
                         " survival { group_by: \"tier\" }",
                         &message);
  if (s == CK_OK) {
    s = ck_report_churn(ds, ck_buffer_data(message), ck_buffer_size(message),
                        &report);
  }
  ck_buffer_free(message);
  if (s != CK_OK) {
    ck_dataset_free(ds);
    return fail("ck_report_churn", s);
  }
  out = fopen(out_path, "wb");
  if (out == NULL) {
    fprintf(stderr, "churn_report: error: cannot write %s\n", out_path);
    ck_buffer_free(report);
    ck_dataset_free(ds);
    return 1;
  }
  written = fwrite(ck_buffer_data(report), 1, ck_buffer_size(report), out);
  if (fclose(out) != 0 || written != ck_buffer_size(report)) {
    fprintf(stderr, "churn_report: error: cannot write %s\n", out_path);
    ck_buffer_free(report);
    ck_dataset_free(ds);
    return 1;
  }
  printf("report: %lu bytes of churnkit.v1.ChurnReport in %s\n",
         (unsigned long)ck_buffer_size(report), out_path);
  ck_buffer_free(report);

  /* A bad request is an error that names the field at fault. */
  s = ck_proto_from_text("churnkit.v1.ReportRequest", "breakdowns: \"colour\"",
                         &message);
  if (s == CK_OK) {
    s = ck_report_churn(ds, ck_buffer_data(message), ck_buffer_size(message),
                        &unused);
  }
  ck_buffer_free(message);
  printf("a bad request: %s: %s\n", ck_status_name(s), ck_last_error());

  ck_dataset_free(ds);
  return 0;
}
