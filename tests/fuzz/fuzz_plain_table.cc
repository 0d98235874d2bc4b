// libFuzzer target: plain customer tables, a snapshot export (one row per
// customer, like Telco's) modelled without events: ReadPlainTable ->
// EncodeTable -> FitLogistic -> EncodeForModel -> PredictInto / Explain.
//
// Input: one selector byte, then the file's bytes. The label column is
// "churn", the id column "id" when the header has one.
//   bit 0  ';' as delimiter (else ',')
//   bit 1  drop_first_level
//   bit 2  positive_label "Yes" (else the default tokens)
//   bit 3  column "b" declared categorical, "c" declared numeric
//   bit 4  missing values imputed (else rejected)
//   bit 5  max_levels 3
//   bit 6  fit, encode again with the model's encoding, score and explain
//          (tables of at most 200 rows and 40 columns)
// Every success is checked: shapes agree, labels are 0/1, a fitted model
// passes ValidateModel and round-trips, probabilities lie in [0, 1].
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "fuzz_util.h"

namespace {

namespace v1 = churnkit::v1;
using churnkit::fuzz::Check;

void FitAndScore(const churnkit::EncodedTable& encoded,
                 const churnkit::PlainTable& table, bool impute) {
  v1::FitOptions fit;
  fit.set_max_iterations(30);
  fit.set_allow_not_converged(true);
  fit.set_threads(1);
  if (impute) fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  absl::StatusOr<v1::LogisticModel> model =
      churnkit::FitLogistic(encoded.features, encoded.labels, fit);
  if (!model.ok()) return;
  *model->mutable_encoding() = encoded.encoding;
  Check(churnkit::ValidateModel(*model).ok(), "a fitted model is valid");
  absl::StatusOr<std::string> bytes = churnkit::SerializeModel(*model);
  Check(bytes.ok(), "a fitted model serializes");
  absl::StatusOr<v1::LogisticModel> back = churnkit::ParseModel(*bytes);
  Check(back.ok(), "a serialized model parses");
  absl::StatusOr<std::string> again_bytes = churnkit::SerializeModel(*back);
  Check(again_bytes.ok() && *again_bytes == *bytes,
        "a model round-trips to the same bytes");

  absl::StatusOr<churnkit::EncodedTable> again =
      churnkit::EncodeForModel(*model, table);
  Check(again.ok(), "the training table encodes with the model's encoding");
  Check(again->features.columns == encoded.features.columns,
        "the model's encoding gives the training columns");
  std::vector<double> p(again->features.num_rows());
  if (churnkit::PredictInto(*model, churnkit::MatrixView::Of(again->features),
                            absl::MakeSpan(p), 1)
          .ok()) {
    for (double v : p) Check(v >= 0 && v <= 1, "a probability in [0, 1]");
  }
  absl::StatusOr<v1::Explanations> why = churnkit::Explain(
      *model, churnkit::MatrixView::Of(again->features), {.top_k = 2});
  if (why.ok()) {
    Check(why->rows_size() == static_cast<int>(p.size()),
          "one explanation per row");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  churnkit::fuzz::MemFile file(data + 1, size - 1);
  absl::StatusOr<churnkit::PlainTable> table =
      churnkit::ReadPlainTable(file.path(), (selector & 0x01) ? ';' : ',');
  if (!table.ok()) return 0;
  Check(table->cells.size() == table->num_rows() * table->num_cols(),
        "cells = rows x columns");

  v1::TableOptions options;
  options.set_label_column("churn");
  if (table->ColumnIndex("id").has_value()) options.set_id_column("id");
  options.set_drop_first_level(selector & 0x02);
  if (selector & 0x04) options.set_positive_label("Yes");
  if (selector & 0x08) {
    options.add_categorical("b");
    options.add_numeric("c");
  }
  if (selector & 0x20) options.set_max_levels(3);
  absl::StatusOr<churnkit::EncodedTable> encoded =
      churnkit::EncodeTable(*table, options);
  if (!encoded.ok()) return 0;
  const churnkit::FeatureMatrix& x = encoded->features;
  Check(x.values.size() == x.num_rows() * x.num_cols(),
        "values = rows x columns");
  Check(x.num_rows() == table->num_rows(), "one matrix row per table row");
  Check(encoded->labels.size() == x.num_rows(), "one label per row");
  for (uint8_t y : encoded->labels) Check(y <= 1, "labels are 0/1");

  if ((selector & 0x40) && x.num_rows() <= 200 && x.num_cols() <= 40) {
    FitAndScore(*encoded, *table, selector & 0x10);
  }
  return 0;
}
