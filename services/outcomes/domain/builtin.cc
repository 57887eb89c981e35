// Figures come from reference/instruments.md; each is named where it is set.
// Item texts are short paraphrases (enough to identify the question), not the
// instruments' published wording. Which bands are "acute" (individual care
// before group therapy) is this platform's clinical default, not a published
// figure; an org wanting other defaults defines its own instrument.
#include "outcomes/domain/builtin.h"

#include <algorithm>

namespace iop::outcomes::domain {
namespace {

std::vector<ResponseOption> Options(std::initializer_list<const char*> labels, int first = 0) {
  std::vector<ResponseOption> out;
  int value = first;
  for (const char* label : labels) out.push_back({value++, label, 0});
  return out;
}

std::vector<Item> Items(std::initializer_list<const char*> texts, const std::vector<ResponseOption>& options) {
  std::vector<Item> out;
  int number = 1;
  for (const char* text : texts) {
    out.push_back({number++, text, options, options.front().value, options.back().value, false, 0});
  }
  return out;
}

const auto kFrequency = Options({"Not at all", "Several days", "More than half the days", "Nearly every day"});
const auto kYesNo = Options({"No", "Yes"});

Instrument Phq9() {
  Instrument i;
  i.code = "PHQ-9";
  i.name = "Patient Health Questionnaire-9";
  i.description = "Depression severity; over the last 2 weeks.";
  i.items = Items({"Little interest or pleasure in doing things", "Feeling down, depressed or hopeless",
                   "Trouble falling or staying asleep, or sleeping too much", "Feeling tired or having little energy",
                   "Poor appetite or overeating", "Feeling bad about yourself, or that you are a failure",
                   "Trouble concentrating", "Moving or speaking noticeably slowly, or being fidgety or restless",
                   "Thoughts that you would be better off dead or of hurting yourself"},
                  kFrequency);
  i.rule = ScoringRule::kSum;
  i.bands = {{0, 4, "minimal", false}, {5, 9, "mild", false}, {10, 14, "moderate", false},
             {15, 19, "moderately severe", false}, {20, 27, "severe", true}};
  // Any answer above 0 on item 9 needs a same-day look; graded high so an
  // open alert puts individual care first.
  i.critical_items = {{9, 1, 3, RiskLevel::kHigh, "thoughts of self-harm"}};
  i.reliability = 0.89;  // Kroenke 2001, Cronbach's alpha
  i.norms = {17.1, 6.1, 3.3, 3.8, "MDD clinical and non-depressed functional norms (reference/instruments.md)"};
  i.clinical_cutoff = JacobsonTruaxCutoff(i.norms);  // ≈ 8.60
  i.loinc_code = "44261-6";
  i.license = "Free to use without permission (Pfizer).";
  return i;
}

Instrument Gad7() {
  Instrument i;
  i.code = "GAD-7";
  i.name = "Generalized Anxiety Disorder-7";
  i.description = "Anxiety severity; over the last 2 weeks.";
  i.items = Items({"Feeling nervous, anxious or on edge", "Not being able to stop or control worrying",
                   "Worrying too much about different things", "Trouble relaxing",
                   "Being so restless that it is hard to sit still", "Becoming easily annoyed or irritable",
                   "Feeling afraid as if something awful might happen"},
                  kFrequency);
  i.rule = ScoringRule::kSum;
  i.bands = {{0, 4, "minimal", false}, {5, 9, "mild", false}, {10, 14, "moderate", false}, {15, 21, "severe", true}};
  i.reliability = 0.92;  // Spitzer 2006
  // No clinical SD is given, so change is judged by the published minimal
  // clinically important difference (Toussaint 2020).
  i.reliable_change_threshold = 4;
  i.clinical_cutoff = 10;  // screening cutoff
  i.loinc_code = "70274-6";
  i.license = "Free to use without permission (Pfizer).";
  return i;
}

Instrument Pcl5() {
  Instrument i;
  i.code = "PCL-5";
  i.name = "PTSD Checklist for DSM-5";
  i.description = "PTSD symptom severity; over the past month.";
  i.items = Items({"Repeated disturbing memories of the stressful experience", "Repeated disturbing dreams of it",
                   "Suddenly feeling or acting as if it were happening again", "Feeling very upset when reminded of it",
                   "Strong physical reactions when reminded of it", "Avoiding memories, thoughts or feelings about it",
                   "Avoiding external reminders of it", "Trouble remembering important parts of it",
                   "Strong negative beliefs about yourself, others or the world",
                   "Blaming yourself or someone else for it", "Strong negative feelings such as fear, horror, anger, guilt or shame",
                   "Loss of interest in activities you used to enjoy", "Feeling distant or cut off from other people",
                   "Trouble experiencing positive feelings", "Irritable behaviour, angry outbursts or acting aggressively",
                   "Taking too many risks or doing things that could cause you harm", "Being superalert, watchful or on guard",
                   "Feeling jumpy or easily startled", "Having difficulty concentrating", "Trouble falling or staying asleep"},
                  Options({"Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"}));
  i.rule = ScoringRule::kSum;
  // Provisional PTSD at ≥ 33 (31–33 cited; 33 used, Blevins 2015 / VA NCPTSD).
  i.bands = {{0, 32, "below provisional PTSD threshold", false}, {33, 80, "provisional PTSD", false}};
  i.reliability = 0.94;
  i.reliable_change_threshold = 10;  // clinically meaningful change (5 = response)
  i.clinical_cutoff = 33;
  i.license = "Public domain (VA National Center for PTSD).";
  return i;
}

Instrument AuditC() {
  Instrument i;
  i.code = "AUDIT-C";
  i.name = "Alcohol Use Disorders Identification Test - Consumption";
  i.description = "Hazardous drinking screen; over the past year.";
  i.items = {
      {1, "How often do you have a drink containing alcohol?",
       Options({"Never", "Monthly or less", "2-4 times a month", "2-3 times a week", "4 or more times a week"}), 0, 4},
      {2, "How many standard drinks do you have on a typical drinking day?",
       Options({"1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"}), 0, 4},
      {3, "How often do you have six or more drinks on one occasion?",
       Options({"Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"}), 0, 4}};
  i.rule = ScoringRule::kSum;
  // Positive at ≥ 4 for men and ≥ 3 for women; sex is not recorded here, so
  // a score of 3 is its own band.
  i.bands = {{0, 2, "negative", false}, {3, 3, "positive for women (>= 3)", false},
             {4, 12, "positive (>= 4 men, >= 3 women)", false}};
  // The reference gives no reliability, norms or reliable-change figure:
  // progress reports change only.
  i.loinc_code = "75626-2";
  i.license = "Public domain (World Health Organization).";
  return i;
}

Instrument Who5() {
  Instrument i;
  i.code = "WHO-5";
  i.name = "WHO-5 Well-Being Index";
  i.description = "Wellbeing; over the last 2 weeks. Scored as a percentage (raw x 4).";
  i.items = Items({"I have felt cheerful and in good spirits", "I have felt calm and relaxed",
                   "I have felt active and vigorous", "I woke up feeling fresh and rested",
                   "My daily life has been filled with things that interest me"},
                  Options({"At no time", "Some of the time", "Less than half of the time",
                           "More than half of the time", "Most of the time", "All of the time"}));
  i.rule = ScoringRule::kSum;
  i.scale_factor = 4;
  // raw < 13 (percentage < 52) → screen for depression.
  i.bands = {{0, 48, "low wellbeing: screen for depression", false}, {52, 100, "adequate wellbeing", false}};
  for (int n = 1; n <= 5; ++n) i.critical_items.push_back({n, 0, 1, RiskLevel::kLow, "item answered 0 or 1: follow up"});
  i.reliable_change_threshold = 10;  // Topp 2015, percentage points
  i.clinical_cutoff = 50;
  i.higher_is_better = true;
  i.license = "Free to use (World Health Organization).";
  return i;
}

Instrument Dast10() {
  Instrument i;
  i.code = "DAST-10";
  i.name = "Drug Abuse Screening Test-10";
  i.description = "Drug use problems (not alcohol); over the past 12 months. Answers: 0 = no, 1 = yes.";
  i.items = Items({"Used drugs other than those needed for medical reasons", "Used more than one drug at a time",
                   "Always able to stop using drugs when you want to", "Had blackouts or flashbacks from drug use",
                   "Felt bad or guilty about your drug use", "Family or partner complained about your drug use",
                   "Neglected your family because of drug use", "Did illegal things to get drugs",
                   "Had withdrawal symptoms when you stopped", "Had medical problems from drug use"},
                  kYesNo);
  i.items[2].reverse_scored = true;  // item 3: "no" scores 1
  i.rule = ScoringRule::kSum;
  i.bands = {{0, 0, "none", false}, {1, 2, "low", false}, {3, 5, "moderate", false},
             {6, 8, "substantial", false}, {9, 10, "severe", true}};
  i.license = "Copyright H. Skinner; item texts here are paraphrases.";
  return i;
}

Instrument K10() {
  Instrument i;
  i.code = "K10";
  i.name = "Kessler Psychological Distress Scale";
  i.description = "Psychological distress; over the past 30 days.";
  i.items = Items({"Tired out for no good reason", "Nervous", "So nervous that nothing could calm you down",
                   "Hopeless", "Restless or fidgety", "So restless you could not sit still", "Depressed",
                   "That everything was an effort", "So sad that nothing could cheer you up", "Worthless"},
                  Options({"None of the time", "A little of the time", "Some of the time", "Most of the time",
                           "All of the time"},
                          1));
  i.rule = ScoringRule::kSum;
  i.bands = {{10, 15, "low", false}, {16, 21, "moderate", false}, {22, 29, "high", false},
             {30, 50, "very high", true}};  // ABS cut points
  i.license = "Free to use (R. Kessler); item texts here are paraphrases.";
  return i;
}

Instrument Cssrs() {
  Instrument i;
  i.code = "C-SSRS";
  i.name = "Columbia Suicide Severity Rating Scale - Screener";
  i.description = "Suicide risk screen; ideation in the past month. Answers: 0 = no, 1 = yes; item 6 also "
                  "says when (1 = over 3 months ago, 2 = in the past 3 months).";
  i.items = Items({"Wished you were dead or could go to sleep and not wake up",
                   "Had any actual thoughts of killing yourself", "Thought about how you might do this",
                   "Had these thoughts with some intention of acting on them",
                   "Worked out details of how to kill yourself and intend to carry out the plan"},
                  kYesNo);
  for (auto& item : i.items) item.level = item.number <= 2 ? 1 : item.number == 3 ? 2 : 3;
  i.items.push_back({6, "Ever done, started or prepared anything to end your life",
                     {{0, "No", 0}, {1, "Yes, more than 3 months ago", 2}, {2, "Yes, in the past 3 months", 3}},
                     0, 2, false, 3});
  i.rule = ScoringRule::kLevel;
  i.bands = {{0, 0, "no risk identified", false}, {1, 1, "low", false}, {2, 2, "moderate", false},
             {3, 3, "high", true}};
  i.critical_items = {{4, 1, 1, RiskLevel::kHigh, "suicidal intent"},
                      {5, 1, 1, RiskLevel::kHigh, "suicidal intent with a plan"},
                      {6, 1, 1, RiskLevel::kModerate, "suicidal behaviour over 3 months ago"},
                      {6, 2, 2, RiskLevel::kHigh, "suicidal behaviour in the past 3 months"}};
  i.license = "Free for community use (The Columbia Lighthouse Project); item texts here are paraphrases.";
  return i;
}

}  // namespace

const std::vector<Instrument>& BuiltInInstruments() {
  static const std::vector<Instrument> library = [] {
    std::vector<Instrument> all = {AuditC(), Cssrs(), Dast10(), Gad7(), K10(), Pcl5(), Phq9(), Who5()};
    for (auto& i : all) i.built_in = true;
    std::sort(all.begin(), all.end(), [](const Instrument& a, const Instrument& b) { return a.code < b.code; });
    return all;
  }();
  return library;
}

const Instrument* FindBuiltIn(const std::string& code) {
  for (const auto& i : BuiltInInstruments()) {
    if (i.code == code) return &i;
  }
  return nullptr;
}

}  // namespace iop::outcomes::domain
