/* examples/churn_model.c: the churn model on an event history through the
 * C ABI -- generate a CRM history, build a training panel, fit a logistic
 * model on its early dates, score the last date, assess every customer
 * with the model's churn probability, then reassess the riskiest one alone
 * when a complaint ticket arrives (the host's hot path).
 *
 * Usage: churn_model_c OUT_DIR   (the generated data goes there)
 *
 * Build against an installed churnkit:
 *   cc churn_model.c $(pkg-config --cflags --libs churnkit)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churnkit/c_api.h"

static int fail(const char* what, ck_status status) {
  fprintf(stderr, "churn_model: error: %s: %s: %s\n", what,
          ck_status_name(status), ck_last_error());
  return 1;
}

int main(int argc, char** argv) {
  static const char* const kDates[] = {"2024-10-01", "2025-01-01", "2025-04-01",
                                       "2025-07-01"};
  char options[4200];
  int64_t dates[4], as_of = 0;
  ck_dataset_t* ds = NULL;
  ck_features_t* features = NULL;
  ck_matrix_t* panel = NULL;
  ck_model_t* model = NULL;
  ck_assessor_t* assessor = NULL;
  ck_assessment_t* assessment = NULL;
  ck_buffer_t* message = NULL; /* options as bytes, from text format */
  ck_buffer_t* update = NULL;  /* the riskiest customer's reassessment */
  ck_buffer_t* json = NULL;
  const double* x;
  const uint8_t* labels;
  const char** names = NULL;
  double *train = NULL, *test = NULL, *p = NULL;
  uint8_t* train_labels = NULL;
  uint8_t* test_labels = NULL;
  size_t rows, cols, i, j, n_train = 0, n_test = 0, n, best = 0;
  double churners = 0, stayers = 0, best_p = -1;
  int n_churners = 0, code = 1;
  ck_status s;

  if (argc < 2) {
    fprintf(stderr, "usage: churn_model_c OUT_DIR\n");
    return 2;
  }
  /* Options travel as serialized churnkit.v1 messages; ck_proto_from_text
   * makes them from protobuf text format. */
  s = ck_proto_from_text("churnkit.v1.GeneratorConfig",
                         "customers: 2000 seed: 42", &message);
  if (s != CK_OK) return fail("ck_proto_from_text", s);
  s = ck_dataset_generate(ck_buffer_data(message), ck_buffer_size(message),
                          "csv", argv[1]);
  ck_buffer_free(message);
  message = NULL;
  if (s != CK_OK) return fail("ck_dataset_generate", s);
  /* Directory names with quotes or backslashes would need escaping. */
  if (snprintf(options, sizeof options, "paths: \"%s\"", argv[1]) >=
      (int)sizeof options) {
    fprintf(stderr, "churn_model: error: directory name too long\n");
    return 1;
  }
  s = ck_proto_from_text("churnkit.v1.LoadOptions", options, &message);
  if (s != CK_OK) return fail("ck_proto_from_text", s);
  s = ck_dataset_load(ck_buffer_data(message), ck_buffer_size(message), &ds);
  ck_buffer_free(message);
  message = NULL;
  if (s != CK_OK) return fail("ck_dataset_load", s);
  if ((s = ck_features_create(NULL, 0, &features)) != CK_OK) {
    fail("ck_features_create", s);
    goto done;
  }
  for (i = 0; i < 4; ++i) ck_time_parse(kDates[i], &dates[i]);

  /* Features at four quarterly dates, each row labelled 1 when the
   * customer churns within the next 90 days. */
  if ((s = ck_features_compute_panel(features, ds, NULL, 0, dates, 4, 90,
                                     &panel)) != CK_OK) {
    fail("ck_features_compute_panel", s);
    goto done;
  }
  ck_matrix_shape(panel, &rows, &cols);
  x = ck_matrix_data(panel);
  if ((s = ck_matrix_labels(panel, &labels)) != CK_OK) {
    fail("ck_matrix_labels", s);
    goto done;
  }
  names = malloc(cols * sizeof *names);
  train = malloc(rows * cols * sizeof *train);
  test = malloc(rows * cols * sizeof *test);
  p = malloc(rows * sizeof *p);
  train_labels = malloc(rows);
  test_labels = malloc(rows);
  if (!names || !train || !test || !p || !train_labels || !test_labels) {
    fprintf(stderr, "churn_model: error: out of memory\n");
    goto done;
  }
  for (j = 0; j < cols; ++j) ck_matrix_column_name(panel, j, &names[j]);

  /* Train before the last date, test on it. */
  for (i = 0; i < rows; ++i) {
    int64_t row_date = 0;
    ck_matrix_row_as_of(panel, i, &row_date);
    if (row_date < dates[3]) {
      memcpy(train + n_train * cols, x + i * cols, cols * sizeof *x);
      train_labels[n_train++] = labels[i];
    } else {
      memcpy(test + n_test * cols, x + i * cols, cols * sizeof *x);
      test_labels[n_test++] = labels[i];
    }
  }
  s = ck_proto_from_text("churnkit.v1.FitOptions",
                         "missing_values: MISSING_IMPUTE_MEAN winsorize: 0.01",
                         &message);
  if (s != CK_OK) {
    fail("ck_proto_from_text", s);
    goto done;
  }
  s = ck_model_fit(train, n_train, cols, (const char* const*)names,
                   train_labels, ck_buffer_data(message),
                   ck_buffer_size(message), &model);
  if (s != CK_OK) {
    fail("ck_model_fit", s);
    goto done;
  }
  s = ck_model_predict(model, test, n_test, cols, (const char* const*)names, p,
                       n_test);
  if (s != CK_OK) {
    fail("ck_model_predict", s);
    goto done;
  }
  for (i = 0; i < n_test; ++i) {
    if (test_labels[i]) {
      churners += p[i];
      ++n_churners;
    } else {
      stayers += p[i];
    }
  }
  printf("panel: %zu training rows, %zu held out\n", n_train, n_test);
  if (n_churners > 0 && (size_t)n_churners < n_test) {
    printf("held out: mean probability %.3f for churners, %.3f for stayers\n",
           churners / n_churners, stayers / (double)(n_test - n_churners));
  }

  /* The assessment with the model. */
  if ((s = ck_assessor_create(NULL, 0, &assessor)) != CK_OK) {
    fail("ck_assessor_create", s);
    goto done;
  }
  ck_time_parse("2026-01-01", &as_of);
  s = ck_assessor_assess_with_model(assessor, ds, as_of, NULL, 0, model,
                                    &assessment);
  if (s != CK_OK) {
    fail("ck_assessor_assess_with_model", s);
    goto done;
  }
  ck_assessment_num_customers(assessment, &n);
  for (i = 0; i < n; ++i) {
    double prob = 0;
    ck_assessment_churn_probability(assessment, i, &prob);
    if (prob > best_p) {
      best_p = prob;
      best = i;
    }
  }
  if (n > 0) {
    const char* id = NULL;
    double score = 0;
    ck_assessment_customer(assessment, best, &id, &score, NULL, NULL, NULL);
    printf("assessed %zu customers; riskiest: %s (p=%.3f, health %.0f)\n", n,
           id, best_p, score);
    /* A complaint ticket arrives for it: reassess that customer alone, as
     * the run of the data set plus the ticket would assess it. */
    snprintf(options, sizeof options,
             "customer_id: '%s' as_of: '2026-01-01' events { kind: TICKET "
             "time { seconds: %lld } complaint: true } previous_score: %.17g",
             id, (long long)(as_of - 3600), score);
    if ((s = ck_proto_from_text("churnkit.v1.CustomerUpdate", options,
                                &message)) != CK_OK ||
        (s = ck_assessor_assess_customer(assessor, ds, ck_buffer_data(message),
                                         ck_buffer_size(message), model,
                                         &update)) != CK_OK ||
        (s = ck_proto_to_json("churnkit.v1.CustomerUpdateResult",
                              ck_buffer_data(update), ck_buffer_size(update),
                              &json)) != CK_OK) {
      fail("ck_assessor_assess_customer", s);
      goto done;
    }
    printf("after a complaint ticket: %.*s...\n", 60,
           (const char*)ck_buffer_data(json));
  }
  code = 0;

done:
  ck_buffer_free(message);
  ck_buffer_free(update);
  ck_buffer_free(json);
  ck_assessment_free(assessment);
  ck_assessor_free(assessor);
  ck_model_free(model);
  ck_matrix_free(panel);
  ck_features_free(features);
  ck_dataset_free(ds);
  free(names);
  free(train);
  free(test);
  free(p);
  free(train_labels);
  free(test_labels);
  return code;
}
