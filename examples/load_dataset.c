/* examples/load_dataset.c: load a churnkit CSV export through the C ABI and
 * print the counts and the ingestion error report.
 *
 * Usage: load_dataset_c [DIR]   (default: examples/data)
 *
 * Build against an installed churnkit:
 *   cc load_dataset.c $(pkg-config --cflags --libs churnkit)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churnkit/c_api.h"

/* Prints the failed call's status and message; returns the exit code. */
static int fail(const char* what, ck_status status) {
  fprintf(stderr, "load_dataset: error: %s: %s: %s\n", what,
          ck_status_name(status), ck_last_error());
  return 1;
}

/* Quotes `text` as a protobuf text-format string into out[size]. */
static int quote(const char* text, char* out, size_t size) {
  size_t n = 0;
  if (size < 3) return 0;
  out[n++] = '"';
  for (; *text != '\0'; ++text) {
    if (n + 4 > size) return 0;
    if (*text == '"' || *text == '\\') out[n++] = '\\';
    out[n++] = *text;
  }
  out[n++] = '"';
  out[n] = '\0';
  return 1;
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "examples/data";
  char quoted[4096], options[4200];
  ck_dataset_t* ds = NULL;
  ck_buffer_t* message = NULL; /* the options as bytes, from text format */
  ck_status s;
  size_t customers = 0, events = 0, contacts = 0, contracts = 0, errors = 0;
  size_t i;

  /* A host checks that the library it runs with is the one it was built
   * for. */
  if (ck_abi_version() != CK_ABI_VERSION) {
    fprintf(stderr, "load_dataset: error: built for ABI %d, running %u\n",
            CK_ABI_VERSION, ck_abi_version());
    return 1;
  }
  printf("churnkit %s\n", ck_version());

  if (!quote(dir, quoted, sizeof quoted)) {
    fprintf(stderr, "load_dataset: error: path too long\n");
    return 1;
  }
  /* LENIENT: keep every valid row and report the bad ones. */
  snprintf(options, sizeof options,
           "format: CSV paths: %s validation { policy: LENIENT }", quoted);
  s = ck_proto_from_text("churnkit.v1.LoadOptions", options, &message);
  if (s != CK_OK) return fail("ck_proto_from_text", s);
  s = ck_dataset_load(ck_buffer_data(message), ck_buffer_size(message), &ds);
  ck_buffer_free(message);
  if (s != CK_OK) return fail("ck_dataset_load", s);

  if ((s = ck_dataset_num_customers(ds, &customers)) != CK_OK ||
      (s = ck_dataset_num_events(ds, &events)) != CK_OK ||
      (s = ck_dataset_num_contacts(ds, &contacts)) != CK_OK ||
      (s = ck_dataset_num_contracts(ds, &contracts)) != CK_OK ||
      (s = ck_dataset_error_count(ds, &errors)) != CK_OK) {
    ck_dataset_free(ds);
    return fail("counts", s);
  }
  printf("customers: %lu\nevents: %lu\ncontacts: %lu\ncontracts: %lu\n",
         (unsigned long)customers, (unsigned long)events,
         (unsigned long)contacts, (unsigned long)contracts);
  printf("errors: %lu\n", (unsigned long)errors);

  /* The kept errors (up to max_errors); their strings live as long as ds. */
  for (i = 0;; ++i) {
    const char *source, *field, *reason;
    int64_t row;
    if (ck_dataset_error_at(ds, i, &source, &row, &field, &reason) != CK_OK) {
      break;
    }
    printf("  %s:%lld [%s] %s\n", source, (long long)row,
           field[0] != '\0' ? field : "row", reason);
  }
  ck_dataset_free(ds);
  return 0;
}
