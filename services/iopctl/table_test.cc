#include "iopctl/table.h"

#include <gtest/gtest.h>

namespace iopctl {
namespace {

TEST(Table, PadsColumnsToTheWidestCell) {
  Table t({"NAME", "ID"});
  t.AddRow({"Maria", "c-1"});
  t.AddRow({"John Smith", "c-22"});
  EXPECT_EQ(t.Render(),
            "NAME        ID\n"
            "Maria       c-1\n"
            "John Smith  c-22\n");
  EXPECT_EQ(t.size(), 2u);
}

TEST(Table, CountsCodePointsNotBytes) {
  Table t({"CLIENT", "X"});
  t.AddRow({"Zoë", "1"});
  t.AddRow({"Ana", "2"});
  std::string out = t.Render();
  // "Zoë" is 4 bytes but 3 columns wide: both X values start in column 8.
  EXPECT_NE(out.find("Zoë     1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Ana     2\n"), std::string::npos) << out;
  EXPECT_EQ(DisplayWidth("Zoë"), 3u);
  EXPECT_EQ(DisplayWidth("10–12"), 5u);
}

TEST(Table, MissingCellsRenderEmptyWithoutTrailingBlanks) {
  Table t({"A", "B", "C"});
  t.AddRow({"x"});
  t.AddRow({"long", "", "z", "dropped"});
  EXPECT_EQ(t.Render(),
            "A     B  C\n"
            "x\n"
            "long     z\n");
}

TEST(Table, HeaderAloneWhenEmpty) {
  Table t({"SITE", "ID"});
  EXPECT_EQ(t.Render(), "SITE  ID\n");
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace iopctl
