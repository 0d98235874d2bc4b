// A churn model for assessment tests: three shipped features fitted on
// made-up labels (long without a login, one in five flipped), so that its
// probabilities spread enough for some customers to clear the risk floor.
#ifndef CHURNKIT_TESTS_TOY_RISK_MODEL_H_
#define CHURNKIT_TESTS_TOY_RISK_MODEL_H_

#include <cstdint>
#include <vector>

#include "churnkit/assess.h"
#include "churnkit/model.h"

namespace churnkit {

inline v1::LogisticModel ToyRiskModel(const Assessor& assessor,
                                      const Dataset& dataset,
                                      UnixSeconds as_of) {
  const AssessResult plain = assessor.Assess(dataset, as_of).value();
  FeatureMatrix x = SelectColumns(plain.features(), {"logins_30d", "orders_90d",
                                                     "days_since_login"})
                        .value();
  std::vector<uint8_t> y;
  for (size_t i = 0; i < x.num_rows(); ++i) {
    y.push_back((x.row(i)[2] > 14) != (i % 5 == 0));
  }
  v1::FitOptions fit;
  fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  return FitLogistic(x, y, fit).value();
}

}  // namespace churnkit

#endif  // CHURNKIT_TESTS_TOY_RISK_MODEL_H_
