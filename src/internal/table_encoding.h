// Names of a plain table's encoded columns, shared by the model's
// validation (model.cc) and the encoding itself (model_table.cc).
#ifndef CHURNKIT_SRC_INTERNAL_TABLE_ENCODING_H_
#define CHURNKIT_SRC_INTERNAL_TABLE_ENCODING_H_

#include <string>
#include <vector>

#include "churnkit/v1/model.pb.h"

namespace churnkit::internal {

// The feature names an encoding produces, in order: numeric columns by
// name, categorical ones as "column=level" per level kept.
std::vector<std::string> EncodedNames(const v1::TableEncoding& encoding);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_TABLE_ENCODING_H_
