// CreateInstrument's checks of an org's own definition, field by field.
#include "outcomes/domain/definition.h"

#include <gtest/gtest.h>

#include "outcomes/domain/builtin.h"

namespace iop::outcomes::domain {
namespace {

Instrument Valid() {
  Instrument i;
  i.code = "ORS-local";
  i.name = "Session check";
  i.rule = ScoringRule::kSum;
  for (int n = 1; n <= 3; ++n) i.items.push_back({n, "Question " + std::to_string(n), {}, 0, 4, false, 0});
  i.bands = {{0, 5, "low", false}, {6, 12, "high", true}};
  i.critical_items = {{2, 3, 4, RiskLevel::kModerate, "needs a call"}};
  i.reliable_change_threshold = 3;
  i.clinical_cutoff = 6;
  return i;
}

std::vector<std::string> Fields(const Instrument& i) {
  std::vector<std::string> out;
  for (const auto& p : CheckDefinition(i)) out.push_back(p.field);
  return out;
}

bool Names(const Instrument& i, const std::string& field) {
  auto f = Fields(i);
  return std::find(f.begin(), f.end(), field) != f.end();
}

TEST(Definition, AValidDefinitionPasses) { EXPECT_TRUE(Fields(Valid()).empty()); }

TEST(Definition, EveryBuiltInPassesItsOwnChecksBarChangeFigures) {
  for (const auto& i : BuiltInInstruments()) {
    for (const auto& p : CheckDefinition(i)) {
      // Some built-ins have no published change figure (change is reported alone).
      EXPECT_EQ(p.field, "instrument.reliable_change_threshold") << i.code << ": " << p.description;
    }
  }
}

TEST(Definition, CodeAndNameAndRule) {
  Instrument i = Valid();
  i.code = "bad code!";
  EXPECT_TRUE(Names(i, "instrument.code"));
  i.code = std::string(33, 'A');
  EXPECT_TRUE(Names(i, "instrument.code"));
  i = Valid();
  i.name.clear();
  EXPECT_TRUE(Names(i, "instrument.name"));
  i = Valid();
  i.rule = ScoringRule::kUnspecified;
  EXPECT_TRUE(Names(i, "instrument.scoring.rule"));
}

TEST(Definition, ItemsNumberedInOrderWithSaneRanges) {
  Instrument i = Valid();
  i.items.clear();
  EXPECT_TRUE(Names(i, "instrument.items"));
  i = Valid();
  i.items[1].number = 3;
  EXPECT_TRUE(Names(i, "instrument.items[1].number"));
  i = Valid();
  i.items[2].min_value = 4;
  EXPECT_TRUE(Names(i, "instrument.items[2].min_value"));
  i = Valid();
  i.items[0].options = {{2, "b", 0}, {1, "a", 0}};
  EXPECT_TRUE(Names(i, "instrument.items[0].options[1].value"));
}

TEST(Definition, BandsMustCoverTheRangeWithoutGapsOrOverlaps) {
  Instrument i = Valid();
  i.bands = {{0, 6, "low", false}, {6, 12, "high", false}};
  EXPECT_TRUE(Names(i, "instrument.bands[1].min_score"));
  i.bands = {{0, 4, "low", false}, {6, 12, "high", false}};  // 5 has no band
  EXPECT_TRUE(Names(i, "instrument.bands"));
  i.bands = {{0, 5, "low", false}, {6, 13, "high", false}};  // beyond max total 12
  EXPECT_TRUE(Names(i, "instrument.bands[1]"));
  i.bands = {{1, 5, "low", false}, {6, 12, "high", false}};  // 0 has no band
  EXPECT_TRUE(Names(i, "instrument.bands"));
  i.scale_factor = 2;  // totals 0, 2, ..., 24
  i.bands = {{0, 10, "low", false}, {12, 24, "high", false}};
  EXPECT_TRUE(Fields(i).empty());
}

TEST(Definition, CriticalItemsMustNameAnItemAndStayInItsRange) {
  Instrument i = Valid();
  i.critical_items[0].item_number = 4;
  EXPECT_TRUE(Names(i, "instrument.critical_items[0].item_number"));
  i = Valid();
  i.critical_items[0].max_value = 5;
  EXPECT_TRUE(Names(i, "instrument.critical_items[0].min_value"));
  i = Valid();
  i.critical_items[0].risk_level = RiskLevel::kNone;
  EXPECT_TRUE(Names(i, "instrument.critical_items[0].risk_level"));
}

TEST(Definition, SumInstrumentsNeedAChangeFigure) {
  Instrument i = Valid();
  i.reliable_change_threshold = 0;
  EXPECT_TRUE(Names(i, "instrument.reliable_change_threshold"));
  i.reliability = 0.9;
  i.norms.clinical_sd = 4;
  EXPECT_TRUE(Fields(i).empty());
}

}  // namespace
}  // namespace iop::outcomes::domain
