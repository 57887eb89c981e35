# iop_embed_migrations(<target> <dir>): compiles every <dir>/*.sql, in file-name
# order, into a function `iop::migrations::<target>()` so that a binary carries
# its own schema and needs no files beside it at run time.
function(iop_embed_migrations target dir)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc)
  # '|' instead of ';' so the list survives the command line intact.
  string(REPLACE ";" "|" sql_arg "${sql_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAME=${target} "-DFILES=${sql_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    COMMENT "Embedding migrations for ${target}"
    VERBATIM)
  add_library(${target} ${IOP_LIBRARY_TYPE} ${out})
  target_link_libraries(${target} PUBLIC iop_common)
endfunction()

# iop_test(<name> SOURCES ... LIBS ... [INTEGRATION])
# INTEGRATION tests need IOP_TEST_DATABASE_URL and IOP_TEST_REDIS_URL, which
# tests/run_tests.sh sets after starting its own PostgreSQL and Redis.
function(iop_test name)
  cmake_parse_arguments(T "INTEGRATION" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(T_INTEGRATION)
    set_tests_properties(${name} PROPERTIES LABELS integration)
  else()
    set_tests_properties(${name} PROPERTIES LABELS unit)
  endif()
endfunction()

# iop_service(<name> [UNIT_LIBS <lib>...] [PEERS <lib>...]): the rooms every
# service has, built the same way for each.
#   <name>_domain       domain/*.cc, pure rules (no gRPC, SQL or Redis)
#   <name>_migrations   migrations/*.sql, embedded in the binary
#   <name>_service      store/*.cc and api/*.cc on top of both
#   iop-<name>          main.cc, the wiring
#   <name>_unit_tests   */*_test.cc, linked with UNIT_LIBS (default: the
#                       domain alone, so a unit test cannot reach a server)
#   <name>_integration_tests  */*_itest.cc, with the PEERS' libraries for
#                       the services those tests run in-process beside it
function(iop_service name)
  cmake_parse_arguments(S "" "" "UNIT_LIBS;PEERS" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT S_UNIT_LIBS)
    set(S_UNIT_LIBS ${name}_domain)
  endif()

  file(GLOB domain_sources CONFIGURE_DEPENDS ${dir}/domain/*.cc)
  list(FILTER domain_sources EXCLUDE REGEX "_(i?test)\\.cc$")
  add_library(${name}_domain ${IOP_LIBRARY_TYPE} ${domain_sources})
  target_link_libraries(${name}_domain PUBLIC iop_common absl::time)

  iop_embed_migrations(${name}_migrations ${dir}/migrations)

  file(GLOB service_sources CONFIGURE_DEPENDS ${dir}/store/*.cc ${dir}/api/*.cc)
  list(FILTER service_sources EXCLUDE REGEX "_(i?test)\\.cc$")
  add_library(${name}_service ${IOP_LIBRARY_TYPE} ${service_sources})
  target_link_libraries(${name}_service PUBLIC ${name}_domain ${name}_migrations iop_protos)

  add_executable(iop-${name} ${dir}/main.cc)
  target_link_libraries(iop-${name} PRIVATE ${name}_service)
  if(TARGET iop_allocator)
    target_link_libraries(iop-${name} PRIVATE iop_allocator)
  endif()

  file(GLOB unit_tests CONFIGURE_DEPENDS ${dir}/*/*_test.cc)
  iop_test(${name}_unit_tests SOURCES ${unit_tests} LIBS ${S_UNIT_LIBS})
  file(GLOB integration_tests CONFIGURE_DEPENDS ${dir}/*/*_itest.cc)
  iop_test(${name}_integration_tests SOURCES ${integration_tests}
           LIBS ${name}_service ${S_PEERS} iop_testing INTEGRATION)
endfunction()
