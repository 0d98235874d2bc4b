/* tests/c_api_c_test.c: the C ABI exercised from strict C99.
 *
 * Compiled as C (-std=c99 -Wall -Wextra -pedantic -Werror) so that the
 * header is proven to be C and the calls are what a C host writes. Exits
 * non-zero when any check fails.
 *
 * Usage: c_api_c_test [examples/data directory]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "churnkit/c_api.h"

static int failures = 0;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: \"%s\"\n", \
              __FILE__, __LINE__, #cond, ck_last_error());             \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

/* A failed call: the code, and a message that starts with the function. */
#define CHECK_FAILS(call, code, function)                                     \
  do {                                                                        \
    ck_status s_ = (call);                                                    \
    if (s_ != (code) ||                                                       \
        strncmp(ck_last_error(), function ": ", strlen(function) + 2) != 0) { \
      fprintf(stderr, "%s:%d: %s returned %s (\"%s\"), expected %s\n",        \
              __FILE__, __LINE__, #call, ck_status_name(s_), ck_last_error(), \
              #code);                                                         \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

#define CHECK_OK(call)                                                        \
  do {                                                                        \
    ck_status s_ = (call);                                                    \
    if (s_ != CK_OK || ck_last_error()[0] != '\0') {                          \
      fprintf(stderr, "%s:%d: %s returned %s (\"%s\")\n", __FILE__, __LINE__, \
              #call, ck_status_name(s_), ck_last_error());                    \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

static int write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "wb");
  int ok;
  if (f == NULL) return 0;
  ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok;
}

/* Reads a whole file into a malloc'ed buffer; NULL on failure. */
static char* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  char* data = NULL;
  long n;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0) {
    data = (char*)malloc((size_t)n + 1);
    if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
    }
    *size = (size_t)n;
  }
  fclose(f);
  return data;
}

static int remove_entry(const char* path, const struct stat* st, int flag,
                        struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void join(char* out, size_t size, const char* dir, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void test_versions(void) {
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", CK_VERSION_MAJOR,
           CK_VERSION_MINOR, CK_VERSION_PATCH);
  CHECK(strcmp(ck_version(), expected) == 0);
  CHECK(ck_version_number() == CK_VERSION_NUMBER);
  CHECK(ck_abi_version() == CK_ABI_VERSION);
}

/* Loads the data set of LoadOptions `text` (protobuf text format). */
static ck_status load_text(const char* text, ck_dataset_t** out) {
  ck_buffer_t* options = NULL;
  ck_status s = ck_proto_from_text("churnkit.v1.LoadOptions", text, &options);
  if (s == CK_OK) {
    s = ck_dataset_load(ck_buffer_data(options), ck_buffer_size(options), out);
  }
  ck_buffer_free(options);
  return s;
}

static void test_status_names(void) {
  CHECK(strcmp(ck_status_name(CK_OK), "CK_OK") == 0);
  CHECK(strcmp(ck_status_name(CK_INVALID_ARGUMENT), "CK_INVALID_ARGUMENT") ==
        0);
  CHECK(strcmp(ck_status_name(CK_UNAUTHENTICATED), "CK_UNAUTHENTICATED") == 0);
  /* Any int a C host may hold in a ck_status. */
  CHECK(strcmp(ck_status_name((ck_status)17), "CK_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(ck_status_name((ck_status)99), "CK_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(ck_status_name((ck_status)-1), "CK_UNKNOWN_STATUS") == 0);
}

/* Every function with NULL arguments: an error code and a message, never a
 * crash; output handles come back NULL. */
static void test_null_arguments(void) {
  ck_dataset_t* ds = NULL;
  ck_buffer_t* buffer = NULL;
  size_t n = 0;
  const char* text = NULL;
  int64_t row = 0;

  CHECK(ck_buffer_data(NULL) == NULL);
  CHECK(ck_buffer_size(NULL) == 0);
  ck_buffer_free(NULL);
  ck_dataset_free(NULL);

  /* No options: the defaults, which name no file to read. */
  CHECK_FAILS(ck_dataset_load(NULL, 0, &ds), CK_INVALID_ARGUMENT,
              "ck_dataset_load");
  CHECK(ds == NULL);
  CHECK_FAILS(ck_dataset_load(NULL, 3, &ds), CK_INVALID_ARGUMENT,
              "ck_dataset_load");
  CHECK(strstr(ck_last_error(), "'options'") != NULL);
  CHECK_FAILS(ck_dataset_load("", 0, NULL), CK_INVALID_ARGUMENT,
              "ck_dataset_load");
  CHECK_FAILS(ck_dataset_load("\xff\xff\xff", 3, &ds), CK_INVALID_ARGUMENT,
              "ck_dataset_load");
  CHECK(ds == NULL);
  CHECK_FAILS(load_text("format: {", &ds), CK_INVALID_ARGUMENT,
              "ck_proto_from_text");
  CHECK(ds == NULL);
  CHECK_FAILS(ck_dataset_from_records(NULL, 5, CK_POLICY_STRICT, &ds),
              CK_INVALID_ARGUMENT, "ck_dataset_from_records");
  CHECK_FAILS(ck_dataset_from_records(NULL, 0, CK_POLICY_STRICT, NULL),
              CK_INVALID_ARGUMENT, "ck_dataset_from_records");
  CHECK_FAILS(ck_dataset_from_records(NULL, 0, 0, &ds), CK_INVALID_ARGUMENT,
              "ck_dataset_from_records");
  CHECK(ds == NULL);

  CHECK_FAILS(ck_dataset_num_customers(NULL, &n), CK_INVALID_ARGUMENT,
              "ck_dataset_num_customers");
  CHECK_FAILS(ck_dataset_num_events(NULL, &n), CK_INVALID_ARGUMENT,
              "ck_dataset_num_events");
  CHECK_FAILS(ck_dataset_num_contacts(NULL, &n), CK_INVALID_ARGUMENT,
              "ck_dataset_num_contacts");
  CHECK_FAILS(ck_dataset_num_contracts(NULL, &n), CK_INVALID_ARGUMENT,
              "ck_dataset_num_contracts");
  CHECK_FAILS(ck_dataset_customer_id(NULL, 0, &text), CK_INVALID_ARGUMENT,
              "ck_dataset_customer_id");
  CHECK_FAILS(ck_dataset_find_customer(NULL, "c1", &n), CK_INVALID_ARGUMENT,
              "ck_dataset_find_customer");
  CHECK_FAILS(ck_dataset_summary(NULL, &buffer), CK_INVALID_ARGUMENT,
              "ck_dataset_summary");
  CHECK(buffer == NULL);
  CHECK_FAILS(ck_dataset_error_count(NULL, &n), CK_INVALID_ARGUMENT,
              "ck_dataset_error_count");
  CHECK_FAILS(ck_dataset_error_at(NULL, 0, &text, &row, &text, &text),
              CK_INVALID_ARGUMENT, "ck_dataset_error_at");
  CHECK_FAILS(ck_dataset_error_report(NULL, &buffer), CK_INVALID_ARGUMENT,
              "ck_dataset_error_report");
  CHECK(buffer == NULL);
  CHECK_FAILS(ck_dataset_write(NULL, "csv", "/tmp/x"), CK_INVALID_ARGUMENT,
              "ck_dataset_write");
}

/* Two customers; events.csv line 4 names an unknown customer and line 5
 * has a negative amount. */
static int write_fixture(const char* dir) {
  char path[4096];
  join(path, sizeof path, dir, "customers.csv");
  if (!write_file(path,
                  "id,name,industry,tier,signup_time\n"
                  "c1,Acme,saas,A,2024-01-01\n"
                  "c2,\"Zhang \"\"Z\"\" Trading\",ecommerce,B,2024-02-01\n")) {
    return 0;
  }
  join(path, sizeof path, dir, "events.csv");
  return write_file(path,
                    "customer_id,kind,time,amount\n"
                    "c1,LOGIN,2024-03-01,0\n"
                    "c1,ORDER,2024-03-05,99.5\n"
                    "ghost,ORDER,2024-03-06,5\n"
                    "c2,ORDER,2024-03-07,-3\n");
}

static void check_counts(const ck_dataset_t* ds, size_t customers,
                         size_t events) {
  size_t n = 0;
  CHECK_OK(ck_dataset_num_customers(ds, &n));
  CHECK(n == customers);
  CHECK_OK(ck_dataset_num_events(ds, &n));
  CHECK(n == events);
  CHECK_OK(ck_dataset_num_contacts(ds, &n));
  CHECK(n == 0);
  CHECK_OK(ck_dataset_num_contracts(ds, &n));
  CHECK(n == 0);
}

static void test_load_and_round_trip(const char* dir) {
  char options[8192], pb_path[4096];
  ck_dataset_t* ds = NULL;
  ck_dataset_t* copy = NULL;
  ck_buffer_t* buffer = NULL;
  const char *id = NULL, *source = "", *field = "", *reason = "";
  size_t n = 0, i, size = 0;
  int64_t row = 0;
  int saw_amount = 0;
  char* bytes;

  CHECK(write_fixture(dir));
  snprintf(options, sizeof options,
           "format: CSV paths: \"%s\" validation { policy: STRICT }", dir);
  ds = (ck_dataset_t*)&n; /* must come back NULL */
  CHECK_FAILS(load_text(options, &ds), CK_INVALID_ARGUMENT, "ck_dataset_load");
  CHECK(ds == NULL);
  CHECK(strstr(ck_last_error(), "events.csv") != NULL);

  snprintf(options, sizeof options, "format: CSV paths: \"%s\"", dir);
  CHECK_OK(load_text(options, &ds));
  if (ds == NULL) return;
  check_counts(ds, 2, 2);

  CHECK_OK(ck_dataset_customer_id(ds, 1, &id));
  CHECK(id != NULL && strcmp(id, "c2") == 0);
  CHECK_FAILS(ck_dataset_customer_id(ds, 2, &id), CK_OUT_OF_RANGE,
              "ck_dataset_customer_id");
  CHECK_OK(ck_dataset_find_customer(ds, "c2", &n));
  CHECK(n == 1);
  CHECK_FAILS(ck_dataset_find_customer(ds, "ghost", &n), CK_NOT_FOUND,
              "ck_dataset_find_customer");

  CHECK_OK(ck_dataset_error_count(ds, &n));
  CHECK(n == 2);
  for (i = 0; i < n; ++i) {
    CHECK_OK(ck_dataset_error_at(ds, i, &source, &row, &field, &reason));
    CHECK(strstr(source, "events.csv") != NULL);
    CHECK(row == 4 || row == 5);
    CHECK(reason[0] != '\0');
    if (row == 5) saw_amount = strcmp(field, "amount") == 0;
  }
  CHECK(saw_amount);
  CHECK_FAILS(ck_dataset_error_at(ds, n, &source, &row, &field, &reason),
              CK_OUT_OF_RANGE, "ck_dataset_error_at");

  CHECK_OK(ck_dataset_summary(ds, &buffer));
  CHECK(ck_buffer_size(buffer) > 0 && ck_buffer_data(buffer) != NULL);
  ck_buffer_free(buffer);
  buffer = NULL;
  CHECK_OK(ck_dataset_error_report(ds, &buffer));
  CHECK(ck_buffer_size(buffer) > 0);
  ck_buffer_free(buffer);

  /* Write the PB stream and hand its bytes back in memory. */
  join(pb_path, sizeof pb_path, dir, "records.pb");
  CHECK_FAILS(ck_dataset_write(ds, "parquet", pb_path), CK_INVALID_ARGUMENT,
              "ck_dataset_write");
  CHECK_OK(ck_dataset_write(ds, "pb", pb_path));
  bytes = read_file(pb_path, &size);
  CHECK(bytes != NULL && size > 0);
  if (bytes != NULL) {
    CHECK_OK(ck_dataset_from_records(bytes, size, CK_POLICY_STRICT, &copy));
    if (copy != NULL) check_counts(copy, 2, 2);
    ck_dataset_free(copy);
    copy = (ck_dataset_t*)&n;
    CHECK_FAILS(
        ck_dataset_from_records(bytes, size - 1, CK_POLICY_STRICT, &copy),
        CK_INVALID_ARGUMENT, "ck_dataset_from_records");
    CHECK(copy == NULL);
    free(bytes);
  }
  ck_dataset_free(ds);
}

static void test_example_data(const char* dir) {
  char options[8192], path[4096];
  ck_dataset_t* ds = NULL;
  size_t customers = 0, events = 0, errors = 0;
  join(path, sizeof path, dir, "customers.csv");
  if (access(path, R_OK) != 0) {
    printf("skipped: no example data in %s\n", dir);
    return;
  }
  snprintf(options, sizeof options, "format: CSV paths: \"%s\"", dir);
  CHECK_OK(load_text(options, &ds));
  if (ds == NULL) return;
  CHECK_OK(ck_dataset_num_customers(ds, &customers));
  CHECK_OK(ck_dataset_num_events(ds, &events));
  CHECK_OK(ck_dataset_error_count(ds, &errors));
  CHECK(customers > 0 && events > 0 && errors > 0);
  printf("examples/data: %lu customers, %lu events, %lu errors\n",
         (unsigned long)customers, (unsigned long)events,
         (unsigned long)errors);
  ck_dataset_free(ds);
}

int main(int argc, char** argv) {
  char dir[] = "/tmp/ck_c_test_XXXXXX";
  test_versions();
  test_status_names();
  test_null_arguments();
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  test_load_and_round_trip(dir);
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (argc > 1) test_example_data(argv[1]);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all C API checks passed\n");
  return 0;
}
