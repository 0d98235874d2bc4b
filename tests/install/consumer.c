/* Consumer of the installed C ABI: loads the CSV data set in argv[1] and
 * prints its counts. Exits non-zero on any failure or an empty data set. */
#include <stdio.h>

#include "churnkit/c_api.h"

int main(int argc, char** argv) {
  char options[4096];
  ck_dataset_t* ds = NULL;
  ck_buffer_t* bytes = NULL;
  ck_status s;
  size_t customers = 0, events = 0;
  if (argc != 2) {
    fprintf(stderr, "usage: consumer_c DIR\n");
    return 2;
  }
  if (ck_version_number() != CK_VERSION_NUMBER) {
    fprintf(stderr, "header %d != library %u\n", CK_VERSION_NUMBER,
            ck_version_number());
    return 1;
  }
  snprintf(options, sizeof options, "format: CSV paths: \"%s\"", argv[1]);
  s = ck_proto_from_text("churnkit.v1.LoadOptions", options, &bytes);
  if (s == CK_OK) {
    s = ck_dataset_load(ck_buffer_data(bytes), ck_buffer_size(bytes), &ds);
  }
  ck_buffer_free(bytes);
  if (s != CK_OK || ck_dataset_num_customers(ds, &customers) != CK_OK ||
      ck_dataset_num_events(ds, &events) != CK_OK) {
    fprintf(stderr, "consumer_c: %s\n", ck_last_error());
    ck_dataset_free(ds);
    return 1;
  }
  ck_dataset_free(ds);
  printf("consumer_c: churnkit %s, %lu customers, %lu events\n", ck_version(),
         (unsigned long)customers, (unsigned long)events);
  return customers > 0 ? 0 : 1;
}
