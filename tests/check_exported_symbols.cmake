# Compares the dynamic symbols that libchurnkit.so defines with the golden
# list tests/golden/exported_symbols.txt (one name a line, sorted).
#
#   cmake -DLIBRARY=<path to libchurnkit.so> -DGOLDEN=<golden file>
#         [-DNM=nm] [-DUPDATE=ON] -P check_exported_symbols.cmake
#
# Fails when a symbol was added or removed, or when any exported name does
# not start with ck_. With -DUPDATE=ON it rewrites the golden file instead
# (an ABI change made on purpose: review the diff and commit it).
cmake_minimum_required(VERSION 3.25)

foreach(var LIBRARY GOLDEN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_exported_symbols: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED NM)
  set(NM nm)
endif()

execute_process(
  COMMAND ${NM} -D --defined-only ${LIBRARY}
  OUTPUT_VARIABLE nm_output
  ERROR_VARIABLE nm_error
  RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIBRARY} failed: ${nm_error}")
endif()

# Lines look like "000000000001a2b0 T ck_version"; keep the name, drop any
# "@VERSION" suffix.
string(REPLACE "\n" ";" lines "${nm_output}")
set(actual "")
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-fA-F]* *[A-Za-z] ([^ @]+)")
    list(APPEND actual "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(REMOVE_DUPLICATES actual)
list(SORT actual)
if(actual STREQUAL "")
  message(FATAL_ERROR "no dynamic symbols found in ${LIBRARY}")
endif()

if(UPDATE)
  list(JOIN actual "\n" text)
  file(WRITE ${GOLDEN} "${text}\n")
  list(LENGTH actual n)
  message(STATUS "wrote ${n} symbols to ${GOLDEN}")
  return()
endif()

file(STRINGS ${GOLDEN} expected)
list(SORT expected)

set(problems "")
foreach(name IN LISTS actual)
  if(NOT name MATCHES "^ck_")
    string(APPEND problems "  exported without the ck_ prefix: ${name}\n")
  elseif(NOT name IN_LIST expected)
    string(APPEND problems "  exported but not in the golden: ${name}\n")
  endif()
endforeach()
foreach(name IN LISTS expected)
  if(NOT name IN_LIST actual)
    string(APPEND problems "  in the golden but not exported: ${name}\n")
  endif()
endforeach()

if(problems)
  message(FATAL_ERROR
    "libchurnkit exported symbols differ from ${GOLDEN}:\n${problems}"
    "If the ABI change is deliberate, rerun with -DUPDATE=ON and commit the "
    "golden (see tests/CMakeLists.txt).")
endif()
list(LENGTH actual n)
message(STATUS "libchurnkit exports exactly the ${n} golden ck_ symbols")
