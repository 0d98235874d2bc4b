// tests/test_paths.h: where tests find their data.
//
// CHURNKIT_SOURCE_DIR and CHURNKIT_SHARED_DATA_DIR are compile definitions
// set by churnkit_add_test() in tests/CMakeLists.txt.
#ifndef CHURNKIT_TESTS_TEST_PATHS_H_
#define CHURNKIT_TESTS_TEST_PATHS_H_

#include <cstdlib>
#include <string>

namespace churnkit::testing {

// The project root, e.g. for examples/data and proto/.
inline std::string SourceDir() { return CHURNKIT_SOURCE_DIR; }

// The shared public data sets (telco/, cdnow/): $CHURNKIT_SHARED_DATA when
// set and non-empty, else the configured ../shared/data. Tests that need
// them skip with a message naming this directory when it is absent.
inline std::string SharedDataDir() {
  const char* env = std::getenv("CHURNKIT_SHARED_DATA");
  return env != nullptr && *env != '\0' ? std::string(env)
                                        : std::string(CHURNKIT_SHARED_DATA_DIR);
}

}  // namespace churnkit::testing

#endif  // CHURNKIT_TESTS_TEST_PATHS_H_
