// tests/error_text.h: an ErrorReport as text, for test failure messages and
// substring checks ("source:row: field: reason" per line).
#ifndef CHURNKIT_TESTS_ERROR_TEXT_H_
#define CHURNKIT_TESTS_ERROR_TEXT_H_

#include <string>

#include "churnkit/v1/ingest.pb.h"

namespace churnkit::testing {

inline std::string ErrorsText(const v1::ErrorReport& r) {
  std::string s;
  for (const v1::DataError& e : r.errors()) {
    s += e.source() + ":" + std::to_string(e.row()) + ": " + e.field() + ": " +
         e.reason() + "\n";
  }
  return s;
}

}  // namespace churnkit::testing

#endif  // CHURNKIT_TESTS_ERROR_TEXT_H_
