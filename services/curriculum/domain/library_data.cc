// Content of the starter library. Every lesson runs the five phases in a
// 60-minute group; programs adapt timing and content through CopyTrack.
#include "curriculum/domain/library.h"

namespace iop::curriculum::domain {
namespace {

struct Seed {
  const char* id;
  const char* title;
  std::vector<std::string> objectives;
  const char* skill_intro;
  const char* activity;
  std::vector<std::string> materials;
  const char* homework;
};

struct ModuleSeed {
  const char* title;
  std::vector<Seed> lessons;
};

struct TrackSeed {
  const char* id;
  const char* title;
  Modality modality;
  const char* description;
  std::vector<ModuleSeed> modules;
};

std::vector<Phase> StandardPhases(const Seed& s) {
  return {
      {PhaseKind::kCheckIn, 10, "Go-round: name, current mood 0-10, use of skills and homework since last group."},
      {PhaseKind::kSkillIntro, 15, s.skill_intro},
      {PhaseKind::kActivity, 25, s.activity},
      {PhaseKind::kFeedback, 5, "Each member names one thing that was useful and one thing that was hard."},
      {PhaseKind::kWrapUp, 5, "Summarise the skill, assign the practice, note anyone who needs follow-up."},
  };
}

const std::vector<TrackSeed>& Seeds() {
  static const std::vector<TrackSeed> seeds = {
      {"builtin-track-dbt-skills", "DBT Skills", Modality::kDbtSkills,
       "Rolling DBT skills group: mindfulness, emotion regulation, distress tolerance and "
       "interpersonal effectiveness. Members can start in any week and stay until every module is covered.",
       {{"Mindfulness",
         {{"builtin-dbt-mindfulness-1", "Wise mind",
           {"Describe reasonable mind, emotion mind and wise mind", "Use a breathing practice to reach wise mind"},
           "Present the three states of mind with everyday examples; wise mind as the overlap of knowing and feeling.",
           "Guided wise-mind breathing, then pairs sort recent decisions into the three states of mind.",
           {"States of mind handout", "Wise mind practice sheet"},
           "Practise wise-mind breathing once a day and note one decision made from wise mind."},
          {"builtin-dbt-mindfulness-2", "What skills: observe, describe, participate",
           {"Separate observing from describing", "Describe an experience without interpretation"},
           "Teach observe, describe and participate as the three things we do when practising mindfulness.",
           "Observe an object for two minutes, describe it in facts only, then a short participation exercise.",
           {"What skills handout", "Observe and describe worksheet"},
           "Record three moments a day using observe and describe."},
          {"builtin-dbt-mindfulness-3", "How skills: non-judgmentally, one-mindfully, effectively",
           {"Notice judgments and restate them as facts and feelings", "Do one thing at a time with full attention"},
           "Teach the how skills and why judgments intensify painful emotions.",
           "Members rewrite their own judgmental statements non-judgmentally; one-mindful eating practice.",
           {"How skills handout", "Judgment tally sheet"},
           "Keep a daily tally of judgments and rephrase two of them."}}},
        {"Emotion Regulation",
         {{"builtin-dbt-emotion-regulation-1", "Understanding and naming emotions",
           {"Name the parts of an emotion: prompt, interpretation, body, urge, action", "Explain what emotions are for"},
           "Walk through the model of emotions and the three functions of emotions.",
           "Members map one recent emotion through the model in small groups.",
           {"Model of emotions handout", "Emotion observation worksheet"},
           "Complete the emotion observation worksheet for two emotions this week."},
          {"builtin-dbt-emotion-regulation-2", "Check the facts and opposite action",
           {"Test whether an emotion fits the facts", "Plan an opposite action for an unjustified emotion"},
           "Teach check the facts; when an emotion does not fit, act opposite to its urge all the way.",
           "Role-play opposite action for fear, shame and anger scenarios members bring.",
           {"Check the facts worksheet", "Opposite action chart"},
           "Use check the facts once and try opposite action once; note what changed."},
          {"builtin-dbt-emotion-regulation-3", "ABC PLEASE: reducing vulnerability",
           {"Plan one pleasant event a day", "Link sleep, eating, exercise and illness care to emotional vulnerability"},
           "Teach accumulate positives, build mastery, cope ahead and the PLEASE skills.",
           "Members build a one-week plan with pleasant events, one mastery task and a PLEASE target.",
           {"ABC PLEASE handout", "Pleasant events list"},
           "Follow the one-week plan and track sleep and meals daily."}}},
        {"Distress Tolerance",
         {{"builtin-dbt-distress-tolerance-1", "STOP and TIPP skills",
           {"Use STOP to pause before acting on an urge", "Use TIPP to bring down extreme arousal quickly"},
           "Teach STOP and the TIPP skills (temperature, intense exercise, paced breathing, paired relaxation).",
           "Practise paced breathing and paired muscle relaxation together; plan when to use cold water.",
           {"STOP handout", "TIPP handout"},
           "Practise paced breathing daily and use STOP once in a difficult moment."},
          {"builtin-dbt-distress-tolerance-2", "Distract and self-soothe",
           {"Build a personal list of ACCEPTS distractions", "Create a self-soothe kit using the five senses"},
           "Teach ACCEPTS and self-soothing with the senses as ways through a crisis without making it worse.",
           "Members draft a crisis survival card and a self-soothe kit list and share one item each.",
           {"ACCEPTS handout", "Self-soothe checklist", "Crisis survival card"},
           "Assemble the self-soothe kit and keep the crisis card with you."},
          {"builtin-dbt-distress-tolerance-3", "Radical acceptance",
           {"Explain acceptance as different from approval", "Practise turning the mind toward acceptance"},
           "Teach radical acceptance, turning the mind and willingness versus willfulness.",
           "Guided acceptance practice with half-smile and willing hands; discuss a small reality to accept.",
           {"Radical acceptance handout", "Turning the mind worksheet"},
           "Practise turning the mind once a day on a small frustration."}}},
        {"Interpersonal Effectiveness",
         {{"builtin-dbt-interpersonal-1", "Clarifying priorities in relationships",
           {"Separate objective, relationship and self-respect goals", "Identify what gets in the way of effectiveness"},
           "Teach the three kinds of effectiveness and the factors that reduce them.",
           "Members rank their goals for a real upcoming conversation.",
           {"Priorities handout", "Goals worksheet"},
           "Write the three goals for one conversation you need to have."},
          {"builtin-dbt-interpersonal-2", "DEAR MAN: asking and saying no",
           {"Make a clear request with DEAR MAN", "Say no while staying mindful and appearing confident"},
           "Teach DEAR MAN step by step with a worked example.",
           "Pairs script and role-play a request or refusal; the group coaches each step.",
           {"DEAR MAN handout", "Script worksheet"},
           "Use DEAR MAN in one real conversation and record how it went."},
          {"builtin-dbt-interpersonal-3", "GIVE and FAST: relationships and self-respect",
           {"Keep relationships with GIVE", "Protect self-respect with FAST"},
           "Teach GIVE for relationship effectiveness and FAST for self-respect effectiveness.",
           "Role-play a repair conversation using GIVE and a boundary using FAST.",
           {"GIVE handout", "FAST handout"},
           "Practise validation (the V in GIVE) with someone each day."}}}}},
      {"builtin-track-cbt", "Cognitive Behavioural Therapy Skills", Modality::kCbt,
       "Core CBT skills for depression and anxiety: the CBT model, cognitive restructuring and behavioural change.",
       {{"Foundations",
         {{"builtin-cbt-foundations-1", "The CBT model",
           {"Describe how situations, thoughts, feelings and behaviours link", "Map one recent situation on the model"},
           "Present the cognitive model with an everyday example and set expectations for practice between groups.",
           "Members complete a five-part model for a recent upsetting situation and share in pairs.",
           {"CBT model diagram", "Five-part model worksheet"},
           "Map two more situations on the five-part model."},
          {"builtin-cbt-foundations-2", "Catching automatic thoughts",
           {"Notice automatic thoughts when mood shifts", "Rate belief in a thought and the strength of the emotion"},
           "Teach automatic thoughts and mood shifts as the cue to look for them.",
           "Members fill the first three columns of a thought record from the past week.",
           {"Thought record (three column)"},
           "Complete a three-column thought record each day."}}},
        {"Cognitive Restructuring",
         {{"builtin-cbt-restructuring-1", "Thinking traps",
           {"Recognise common thinking traps", "Label the traps in one's own thoughts"},
           "Teach all-or-nothing thinking, catastrophising, mind reading, should statements and others.",
           "Card sort of thoughts into traps, then members label traps in their own records.",
           {"Thinking traps handout", "Sorting cards"},
           "Label the thinking trap in each thought you record this week."},
          {"builtin-cbt-restructuring-2", "Weighing the evidence",
           {"Gather evidence for and against a hot thought", "Write a balanced alternative thought"},
           "Teach the full thought record and how to write a balanced thought.",
           "Group works through one member's thought record, then members complete their own.",
           {"Seven-column thought record"},
           "Complete two full thought records and rerate the emotion afterwards."}}},
        {"Behavioural Skills",
         {{"builtin-cbt-behavioural-1", "Behavioural activation",
           {"Connect activity and mood", "Schedule valued and enjoyable activities"},
           "Teach the cycle of withdrawal and low mood and how activity breaks it.",
           "Members review an activity log and schedule three activities for the coming week.",
           {"Activity log", "Values and activities list"},
           "Do the scheduled activities and rate mastery and pleasure."},
          {"builtin-cbt-behavioural-2", "Structured problem solving",
           {"Define a problem in solvable terms", "Generate, choose and plan a solution"},
           "Teach the five steps of problem solving.",
           "Pairs apply the steps to a real problem and draft an action plan.",
           {"Problem solving worksheet"},
           "Carry out the first step of the action plan."}}}}},
      {"builtin-track-relapse-prevention", "Relapse Prevention", Modality::kRelapsePrevention,
       "Relapse prevention for substance use: the relapse process, triggers and cravings, and a written plan.",
       {{"Understanding Relapse",
         {{"builtin-rp-understanding-1", "Relapse is a process",
           {"Describe emotional, mental and physical relapse", "Recognise that a lapse need not become a relapse"},
           "Teach the stages of relapse and the abstinence violation effect.",
           "Members place their own past experiences on a relapse timeline.",
           {"Stages of relapse handout", "Timeline worksheet"},
           "Write down how emotional relapse looks for you."},
          {"builtin-rp-understanding-2", "Personal warning signs",
           {"List personal early warning signs", "Choose who to tell when signs appear"},
           "Teach common warning signs: isolation, skipping meetings, romanticising use, poor self-care.",
           "Members build a personal warning sign list and check it with a peer.",
           {"Warning signs checklist"},
           "Share your warning sign list with one support person."}}},
        {"Triggers and Cravings",
         {{"builtin-rp-triggers-1", "Mapping high-risk situations",
           {"Identify people, places, feelings and times linked to use", "Rank situations by risk"},
           "Teach internal and external triggers and the trigger-thought-craving-use chain.",
           "Members map their triggers and rank them from lowest to highest risk.",
           {"Trigger map worksheet"},
           "Notice and log triggers daily, with what you did instead of using."},
          {"builtin-rp-triggers-2", "Coping with cravings",
           {"Ride out a craving with urge surfing", "Use delay, distract and decide"},
           "Teach cravings as time-limited waves and the urge surfing technique.",
           "Guided urge surfing practice; members write a craving coping card.",
           {"Urge surfing script", "Craving coping card"},
           "Use urge surfing or the coping card for every craving and rate its peak."}}},
        {"Recovery Plan",
         {{"builtin-rp-plan-1", "Refusal skills",
           {"Say no to an offer clearly and quickly", "Plan responses for the people most likely to offer"},
           "Teach assertive refusal: clear no, eye contact, suggest an alternative, leave if needed.",
           "Role-play refusals with increasing pressure; group gives feedback.",
           {"Refusal skills handout"},
           "Write refusal lines for your three most likely situations."},
          {"builtin-rp-plan-2", "Writing a relapse prevention plan",
           {"Assemble triggers, warning signs, coping skills and supports in one plan", "Decide what to do after a lapse"},
           "Review the parts of a relapse prevention plan and how to keep it alive.",
           "Members draft their plan and present one part to the group.",
           {"Relapse prevention plan template"},
           "Finish the plan and give a copy to a support person."}}}}},
      {"builtin-track-psychoeducation", "Psychoeducation", Modality::kPsychoeducation,
       "Psychoeducation on addiction, trauma, self-care and medication management.",
       {{"Addiction",
         {{"builtin-psyed-addiction-1", "Addiction and the brain",
           {"Explain how substances change reward, stress and self-control systems", "Describe why early recovery feels hard"},
           "Explain reward pathways, tolerance, withdrawal and recovery of brain function over time.",
           "Discussion: which effects members recognise in themselves, and what helps the brain heal.",
           {"Brain and addiction handout"},
           "Write down two changes you have noticed since stopping or cutting down."},
          {"builtin-psyed-addiction-2", "Stages of change",
           {"Name the stages of change", "Place oneself on the stages for one behaviour"},
           "Teach the stages of change and that moving back and forth is normal.",
           "Members rate their readiness on a ruler and discuss what would move them one point up.",
           {"Stages of change handout", "Readiness ruler"},
           "List pros and cons of changing one behaviour."}}},
        {"Trauma",
         {{"builtin-psyed-trauma-1", "How trauma affects body and mind",
           {"Describe common reactions to trauma", "Understand reactions as survival responses"},
           "Explain fight, flight and freeze, hyperarousal and avoidance without asking for trauma details.",
           "Members identify which reactions they notice, in general terms only.",
           {"Common reactions to trauma handout"},
           "Notice when your body shifts into alarm and what helped it settle."},
          {"builtin-psyed-trauma-2", "Grounding and the window of tolerance",
           {"Describe the window of tolerance", "Use two grounding techniques"},
           "Teach the window of tolerance and grounding as a way back into it.",
           "Practise 5-4-3-2-1 grounding and a physical grounding technique together.",
           {"Window of tolerance diagram", "Grounding techniques card"},
           "Practise one grounding technique daily, also when calm."}}},
        {"Self-Care",
         {{"builtin-psyed-selfcare-1", "Sleep, food and movement",
           {"Link sleep, eating and activity to mood and cravings", "Set one small self-care goal"},
           "Teach basic sleep hygiene, regular meals and the mood effects of exercise.",
           "Members review their current routine and set one specific, small goal.",
           {"Sleep hygiene handout", "Daily routine log"},
           "Track the self-care goal every day."},
          {"builtin-psyed-selfcare-2", "Building a support network",
           {"Map current supports", "Plan one step to strengthen support"},
           "Teach kinds of support (practical, emotional, recovery) and how to ask for help.",
           "Members draw a support map and plan one contact for the week.",
           {"Support map worksheet", "Local mutual-help meeting list"},
           "Make the planned contact and attend one support meeting."}}},
        {"Medication Management",
         {{"builtin-psyed-medication-1", "Understanding your medications",
           {"Describe what each of one's medications is for", "Know common side effects and what to report"},
           "Explain medication classes used in treatment, including medications for substance use disorders.",
           "Members complete a medication list with purpose, dose and questions for the prescriber.",
           {"Medication list template", "Medication classes handout"},
           "Bring the completed medication list to your next prescriber visit."},
          {"builtin-psyed-medication-2", "Taking medication as prescribed",
           {"Identify barriers to taking medication", "Prepare questions for the prescriber"},
           "Discuss common barriers (side effects, cost, forgetting, stigma) and practical supports.",
           "Members pick one barrier and plan a practical fix; practise asking the prescriber about it.",
           {"Adherence tips handout", "Pill organiser demonstration"},
           "Use one adherence aid every day this week."}}}}},
  };
  return seeds;
}

Library Build() {
  std::vector<Lesson> lessons;
  std::vector<Track> tracks;
  for (const TrackSeed& ts : Seeds()) {
    Track track{ts.id, ts.title, ts.modality, ts.description, {}, /*rolling_admission=*/true};
    for (const ModuleSeed& ms : ts.modules) {
      Module module{ms.title, {}};
      for (const Seed& s : ms.lessons) {
        lessons.push_back(
            {s.id, s.title, ts.modality, ms.title, s.objectives, StandardPhases(s), s.materials, s.homework});
        module.lesson_ids.push_back(s.id);
      }
      track.modules.push_back(std::move(module));
    }
    tracks.push_back(std::move(track));
  }
  return Library(std::move(lessons), std::move(tracks));
}

}  // namespace

const Library& StarterLibrary() {
  static const Library library = Build();
  return library;
}

}  // namespace iop::curriculum::domain
