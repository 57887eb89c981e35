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
  add_library(${target} STATIC ${out})
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
