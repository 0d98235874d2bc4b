// Status propagation inside the library.
#ifndef CHURNKIT_SRC_INTERNAL_STATUS_MACROS_H_
#define CHURNKIT_SRC_INTERNAL_STATUS_MACROS_H_

#include "absl/status/status.h"

// Returns the status of `expr` from the enclosing function when not OK.
#define CK_RETURN_IF_ERROR(expr)              \
  do {                                        \
    if (absl::Status s_ = (expr); !s_.ok()) { \
      return s_;                              \
    }                                         \
  } while (false)

#endif  // CHURNKIT_SRC_INTERNAL_STATUS_MACROS_H_
