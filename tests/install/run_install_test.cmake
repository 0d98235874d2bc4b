# Installs a churnkit build into a scratch prefix, then builds and runs the
# consumers of this directory against it, twice: with find_package(churnkit)
# (CMake) and with pkg-config (churnkit.pc for C, churnkit-cxx.pc for C++).
#
#   cmake -DBUILD_DIR=<churnkit build> -DWORK_DIR=<scratch dir>
#         -DCONSUMER_DIR=<this dir> -DDATA_DIR=<a CSV data set>
#         -DGENERATOR=Ninja -DC_COMPILER=cc -DCXX_COMPILER=c++
#         [-DC_FLAGS=...] [-DCXX_FLAGS=...] [-DLINKER_FLAGS=...]
#         [-DPKG_CONFIG=pkg-config] -P run_install_test.cmake
#
# The flags are the churnkit build's own (e.g. the asan preset's
# -fsanitize=...), which a consumer of an instrumented library needs too.
cmake_minimum_required(VERSION 3.25)

foreach(var BUILD_DIR WORK_DIR CONSUMER_DIR DATA_DIR GENERATOR C_COMPILER
            CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_install_test: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED PKG_CONFIG)
  set(PKG_CONFIG pkg-config)
endif()

# Runs a command; stops the test with its output when it fails.
function(run what)
  execute_process(COMMAND ${ARGN}
                  RESULT_VARIABLE result
                  OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  if(what MATCHES "^run ")
    message(STATUS "  ${out}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# ---- Install --------------------------------------------------------------
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The installed tree holds what the README promises.
file(GLOB_RECURSE config_files ${prefix}/*/churnkitConfig.cmake)
file(GLOB_RECURSE version_files ${prefix}/*/churnkitConfigVersion.cmake)
file(GLOB_RECURSE pc_files ${prefix}/*/pkgconfig/churnkit.pc)
file(GLOB_RECURSE pc_cxx_files ${prefix}/*/pkgconfig/churnkit-cxx.pc)
file(GLOB_RECURSE sonames ${prefix}/*/libchurnkit.so.0)
file(GLOB_RECURSE protos ${prefix}/share/churnkit/proto/churnkit/v1/*.proto)
foreach(list config_files version_files pc_files pc_cxx_files sonames protos)
  if(NOT ${list})
    message(FATAL_ERROR "install: nothing matched for ${list} under ${prefix}")
  endif()
endforeach()
foreach(header churnkit/c_api.h churnkit/dataset.h churnkit/io.h
               churnkit/v1/data.pb.h churnkit/v1/ingest.pb.h)
  if(NOT EXISTS ${prefix}/include/${header})
    message(FATAL_ERROR "install: missing include/${header}")
  endif()
endforeach()

separate_arguments(c_flags UNIX_COMMAND "${C_FLAGS}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
separate_arguments(linker_flags UNIX_COMMAND "${LINKER_FLAGS}")

# ---- (a) find_package -----------------------------------------------------
set(cmake_dir ${WORK_DIR}/cmake)
run("configure the find_package consumer"
    ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${cmake_dir} -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_C_COMPILER=${C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_C_FLAGS=${C_FLAGS}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run("build the find_package consumer" ${CMAKE_COMMAND} --build ${cmake_dir})
run("run consumer_c (find_package)" ${cmake_dir}/consumer_c ${DATA_DIR})
run("run consumer_cxx (find_package)" ${cmake_dir}/consumer_cxx ${DATA_DIR})

# ---- (b) pkg-config ---------------------------------------------------------
# Only the installed tree's .pc files, wherever the libdir is.
set(pc_dirs "")
foreach(pc IN LISTS pc_files)
  get_filename_component(dir ${pc} DIRECTORY)
  list(APPEND pc_dirs ${dir})
endforeach()
string(REPLACE ";" ":" pc_path "${pc_dirs}")
if(DEFINED ENV{PKG_CONFIG_PATH} AND NOT "$ENV{PKG_CONFIG_PATH}" STREQUAL "")
  string(APPEND pc_path ":$ENV{PKG_CONFIG_PATH}")
endif()
set(ENV{PKG_CONFIG_PATH} "${pc_path}")

function(pkg_config out)
  execute_process(COMMAND ${PKG_CONFIG} ${ARGN}
                  RESULT_VARIABLE result OUTPUT_VARIABLE text
                  ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} failed: ${err}")
  endif()
  separate_arguments(args UNIX_COMMAND "${text}")
  set(${out} "${args}" PARENT_SCOPE)
endfunction()

pkg_config(c_pc --cflags --libs churnkit)
pkg_config(cxx_pc --cflags --libs churnkit-cxx)
pkg_config(libdir --variable=libdir churnkit)
if(NOT libdir MATCHES "^${prefix}")
  message(FATAL_ERROR "churnkit.pc points at ${libdir}, not into ${prefix}")
endif()

set(pc_dir ${WORK_DIR}/pkg-config)
file(MAKE_DIRECTORY ${pc_dir})
run("compile consumer_c (pkg-config)"
    ${C_COMPILER} -std=c99 ${c_flags} ${CONSUMER_DIR}/consumer.c ${c_pc}
    ${linker_flags} -o ${pc_dir}/consumer_c)
run("compile consumer_cxx (pkg-config)"
    ${CXX_COMPILER} ${cxx_flags} ${CONSUMER_DIR}/consumer.cc ${cxx_pc}
    ${linker_flags} -o ${pc_dir}/consumer_cxx)
run("run consumer_c (pkg-config)"
    ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir}
    ${pc_dir}/consumer_c ${DATA_DIR})
run("run consumer_cxx (pkg-config)" ${pc_dir}/consumer_cxx ${DATA_DIR})

file(REMOVE_RECURSE ${WORK_DIR})
