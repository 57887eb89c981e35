# Script mode: writes OUT, a C++ file holding the SQL FILES as raw strings.
set(body "// Generated from SQL migrations; do not edit.\n#include \"common/migrations.h\"\n\nnamespace iop::migrations {\n\nstd::vector<Migration> ${NAME}() {\n  return {\n")
string(REPLACE "|" ";" FILES "${FILES}")
foreach(f ${FILES})
  get_filename_component(base ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version "${base}")
  # Leading zeros would make the C++ literal octal (0010 == 8).
  string(REGEX REPLACE "^0+([0-9])" "\\1" version "${version}")
  file(READ ${f} sql)
  string(APPEND body "    {${version}, \"${base}\", R\"iopsql(${sql})iopsql\"},\n")
endforeach()
string(APPEND body "  };\n}\n\n}  // namespace iop::migrations\n")
file(WRITE ${OUT}.tmp "${body}")
configure_file(${OUT}.tmp ${OUT} COPYONLY)
