// examples/churn_model.cc: the churn model on an event history through the
// C++ API -- a generated CRM history, a training panel, a logistic fit on
// the early dates, its held-out ROC-AUC on the last one, and the
// assessment with every customer's churn probability and reasons.
//
// Usage: churn_model_cxx [CUSTOMERS]   (default 2000)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "churnkit/assess.h"
#include "churnkit/generator.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "churn_model: error: %s: %s\n", what,
               status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using churnkit::ParseTime;
  churnkit::v1::GeneratorConfig config;
  config.set_customers(argc > 1 ? std::atoi(argv[1]) : 2000);
  config.set_seed(42);
  absl::StatusOr<churnkit::GeneratedData> data =
      churnkit::GenerateInMemory(config);
  if (!data.ok()) return Fail("GenerateInMemory", data.status());

  absl::StatusOr<churnkit::FeatureEngine> engine =
      churnkit::FeatureEngine::Create(churnkit::DefaultFeatureSet().value());
  if (!engine.ok()) return Fail("FeatureEngine::Create", engine.status());
  absl::StatusOr<churnkit::ChurnLabeler> labeler =
      churnkit::ChurnLabeler::Create(
          churnkit::DefaultChurnDefinition().value());
  if (!labeler.ok()) return Fail("ChurnLabeler::Create", labeler.status());

  // Features at four quarterly dates, labelled by churn within 90 days.
  std::vector<churnkit::UnixSeconds> dates;
  for (const char* d :
       {"2024-10-01", "2025-01-01", "2025-04-01", "2025-07-01"}) {
    dates.push_back(ParseTime(d).value());
  }
  absl::StatusOr<churnkit::TrainingPanel> panel = churnkit::BuildTrainingPanel(
      data->dataset, *engine, *labeler, dates, /*horizon_days=*/90);
  if (!panel.ok()) return Fail("BuildTrainingPanel", panel.status());

  // Train before the last date, test on it.
  const churnkit::TimeSplitRows split =
      churnkit::TimeSplit(panel->features.as_of, dates.back());
  std::vector<uint8_t> train_labels, test_labels;
  for (size_t r : split.train) train_labels.push_back(panel->labels[r]);
  for (size_t r : split.test) test_labels.push_back(panel->labels[r]);
  churnkit::v1::FitOptions fit;
  fit.set_missing_values(churnkit::v1::MISSING_IMPUTE_MEAN);
  fit.set_winsorize(0.01);
  absl::StatusOr<churnkit::v1::LogisticModel> model = churnkit::FitLogistic(
      churnkit::SelectRows(panel->features, split.train), train_labels, fit);
  if (!model.ok()) return Fail("FitLogistic", model.status());
  absl::StatusOr<std::vector<double>> p =
      churnkit::Predict(*model, churnkit::MatrixView::Of(churnkit::SelectRows(
                                    panel->features, split.test)));
  if (!p.ok()) return Fail("Predict", p.status());
  absl::StatusOr<double> auc = churnkit::RocAuc(test_labels, *p);
  if (!auc.ok()) return Fail("RocAuc", auc.status());
  std::printf("panel: %zu training rows, %zu held out; held-out ROC-AUC %.3f\n",
              split.train.size(), split.test.size(), *auc);

  // The assessment with the model: probability and reasons per customer.
  absl::StatusOr<churnkit::Assessor> assessor = churnkit::Assessor::Create({});
  if (!assessor.ok()) return Fail("Assessor::Create", assessor.status());
  churnkit::AssessOptions options;
  options.model = &*model;
  absl::StatusOr<churnkit::AssessResult> result =
      assessor->Assess(data->dataset, ParseTime("2026-01-01").value(), options);
  if (!result.ok()) return Fail("Assess", result.status());
  std::vector<const churnkit::v1::CustomerAssessment*> at_risk;
  for (const auto& c : result->assessment().customers()) {
    if (!c.churned()) at_risk.push_back(&c);
  }
  std::sort(at_risk.begin(), at_risk.end(), [](const auto* a, const auto* b) {
    return a->churn_probability() > b->churn_probability();
  });
  std::printf("riskiest customers as of 2026-01-01:\n");
  for (size_t i = 0; i < std::min<size_t>(3, at_risk.size()); ++i) {
    const auto& c = *at_risk[i];
    std::printf(
        "  %s  p=%.3f  health %.0f  %s\n", c.customer_id().c_str(),
        c.churn_probability(), c.score(),
        c.churn_reasons().empty() ? "-" : c.churn_reasons(0).text().c_str());
  }
  return 0;
}
