#!/usr/bin/env bash
# Seeds the demo network of the local run through the public APIs (the same
# calls a partner system makes), then prints what to try.
#
# Usage: deploy/local/demo.sh        (make run calls it after starting the services)
#
# Org "demo": two sites in different time zones, rooms, facilitators, three
# programs, groups of every modality meeting weekly since six weeks ago,
# clients (among them John and Maria, the personas of the design), their
# enrollments, the DBT group's lesson plan, six weeks of attendance and
# questionnaires that tell each persona's story.
#
# Idempotent: everything is looked up (sites, rooms, staff and programs by
# name, clients by external_ref, groups by name, enrollments by client)
# before it is created, attendance is recorded only where nothing is
# recorded yet, and assessments only beyond the scores a client already has.
# Parts whose service is not running are skipped with a note.
#
# Environment (make run exports them from deploy/local/services.sh env):
#   IOP_SCHEDULING_ADDR, IOP_ATTENDANCE_ADDR, IOP_CURRICULUM_ADDR,
#   IOP_OUTCOMES_ADDR, IOP_JWT_SECRET_FILE
#   IOP_BIN_DIR  folder of iopctl (default: <repo>/build/bin)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

case ${1:-} in
  -h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac

iopctl=${IOP_BIN_DIR:-$repo_root/build/bin}/iopctl
[ -x "$iopctl" ] || {
  echo "demo: $iopctl is not built (make build)" >&2
  exit 1
}
command -v python3 >/dev/null || {
  echo "demo: python3 is needed to seed the demo (make deps installs it)" >&2
  exit 1
}
if [ -z "${IOP_JWT_SECRET_FILE:-}" ] && [ -z "${IOP_JWT_SECRET:-}" ]; then
  eval "$("$script_dir/services.sh" env)"
fi

export IOPCTL=$iopctl
# The seeding logic reads more easily as a small program than as shell.
exec python3 - <<'PY'
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys

IOPCTL = os.environ["IOPCTL"]
ORG = "demo"


class CallFailed(Exception):
    pass


def mint(role, subject):
    out = subprocess.run([IOPCTL, "token", "--org", ORG, "--role", role, "--subject", subject,
                          "--ttl_minutes", "120"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        sys.exit("demo: cannot mint a token: " + out.stderr.strip())
    return out.stdout.strip()


ADMIN = mint("admin", "demo-seed")
CALLS = 0


def call(method, body, token=ADMIN):
    global CALLS
    CALLS += 1
    env = dict(os.environ, IOP_TOKEN=token)
    out = subprocess.run([IOPCTL, "call", method, json.dumps(body)], capture_output=True, text=True,
                         env=env, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise CallFailed(f"{method} {json.dumps(body)[:300]}\n  {out.stderr.strip()}")
    return json.loads(out.stdout or "{}")


def up(name, addr_var, port):
    addr = os.environ.get(addr_var, f"127.0.0.1:{port}")
    out = subprocess.run([IOPCTL, "health", "--addr", addr], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL)
    ok = out.returncode == 0
    if not ok:
        print(f"demo: {name} is not running at {addr}: its part of the demo is skipped")
    return ok


def list_all(method, body, key):
    items, token = [], ""
    while True:
        page = call(method, dict(body, page_size=500, **({"page_token": token} if token else {})))
        items += page.get(key, [])
        token = page.get("next_page_token", "")
        if not token:
            return items


def ensure(what, existing, match, create_method, create_body):
    for item in existing:
        if match(item):
            return item
    made = call(create_method, create_body)
    print(f"demo: created {what}")
    return made


def stable(*parts):
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


def rfc3339(day, hh=0, mm=0):
    return f"{day.isoformat()}T{hh:02d}:{mm:02d}:00Z"


def parse_ts(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


NOW = dt.datetime.now(dt.timezone.utc)
TODAY = NOW.date()
# Six complete weeks of history before the current week.
FIRST_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) - dt.timedelta(weeks=6)

have = {
    "scheduling": up("scheduling", "IOP_SCHEDULING_ADDR", 50051),
    "attendance": up("attendance", "IOP_ATTENDANCE_ADDR", 50052),
    "curriculum": up("curriculum", "IOP_CURRICULUM_ADDR", 50053),
    "outcomes": up("outcomes", "IOP_OUTCOMES_ADDR", 50054),
}
if not have["scheduling"]:
    print("demo: nothing seeded (every part of the demo needs scheduling)")
    sys.exit(0)

# ---------------------------------------------------------------- network
SITES = [
    ("riverside", "Riverside Clinic", "America/New_York", "120 River St, Hartford, CT"),
    ("mountain", "Mountain View Center", "America/Denver", "45 Summit Ave, Boulder, CO"),
]
ROOMS = [  # site, name, capacity, telehealth
    ("riverside", "Oak Room", 12, False), ("riverside", "Maple Room", 12, False),
    ("riverside", "Riverside Telehealth", 15, True),
    ("mountain", "Aspen Room", 12, False), ("mountain", "Summit Room", 12, False),
]
STAFF = [  # key, name, credentials, site
    ("dana", "Dana Whitfield", "LCSW", "riverside"),
    ("marcus", "Marcus Reyes", "LADC", "riverside"),
    ("priya", "Priya Natarajan", "PsyD", "riverside"),
    ("elena", "Elena Alvarez", "LPC", "riverside"),
    ("tom", "Tom Becker", "LMFT", "mountain"),
    ("grace", "Grace Kim", "LCSW", "mountain"),
    ("sam", "Sam Ortiz", "CADC", "mountain"),
]
PROGRAMS = [  # key, site, name, age group, focus
    ("su", "riverside", "Adult Substance Use IOP", "ADULT", "SUBSTANCE_USE"),
    ("mh", "riverside", "Adult Mental Health IOP", "ADULT", "MENTAL_HEALTH"),
    ("teen", "mountain", "Adolescent IOP", "ADOLESCENT", "MENTAL_HEALTH"),
    ("co", "mountain", "Adult Co-Occurring IOP", "ADULT", "CO_OCCURRING"),
]
GROUPS = [  # key, program, name, modality, facilitators, room, weekdays, start, minutes
    ("rp", "su", "Relapse Prevention", "RELAPSE_PREVENTION", ["marcus"], "Oak Room",
     ["MONDAY", "WEDNESDAY", "FRIDAY"], "09:00", 180),
    ("process", "su", "Recovery Process Group", "PROCESS", ["dana"], "Oak Room",
     ["TUESDAY", "THURSDAY"], "09:00", 120),
    ("dbt", "mh", "DBT Skills Group", "DBT_SKILLS", ["priya"], "Maple Room",
     ["MONDAY", "WEDNESDAY"], "13:00", 150),
    ("cbt", "mh", "CBT for Depression and Anxiety", "CBT", ["elena"], "Maple Room",
     ["TUESDAY", "THURSDAY"], "13:00", 120),
    ("psyed", "mh", "Mental Health Psychoeducation", "PSYCHOEDUCATION", ["elena"], "Maple Room",
     ["FRIDAY"], "13:00", 120),
    ("teencomm", "teen", "Teen Communication Skills", "COMMUNICATION_SKILLS", ["grace"], "Aspen Room",
     ["MONDAY", "WEDNESDAY"], "16:00", 120),
    ("teenproc", "teen", "Teen Process Group", "PROCESS", ["grace"], "Aspen Room",
     ["TUESDAY", "THURSDAY"], "16:00", 90),
    ("trauma", "co", "Trauma-Informed Recovery", "TRAUMA_INFORMED", ["tom"], "Summit Room",
     ["TUESDAY", "THURSDAY"], "10:00", 150),
    ("cocbt", "co", "Co-Occurring CBT Skills", "CBT", ["sam"], "Summit Room",
     ["MONDAY", "WEDNESDAY", "FRIDAY"], "10:00", 120),
]
# external_ref, name, age group, site, groups
CLIENTS = [
    ("EHR-1001", "John Carter", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1002", "Maria Santos", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-1003", "Derek Lawson", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1004", "Angela Price", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1005", "Luis Moreno", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1006", "Frank Delaney", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1007", "Tasha Green", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1008", "Ray Kowalski", "ADULT", "riverside", ["rp", "process"]),
    ("EHR-1011", "Hannah Lee", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-1012", "Sofia Ramirez", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-1013", "Olivia Bennett", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-1014", "Kevin Walsh", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-1015", "Aisha Rahman", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-1016", "Ben Foster", "ADULT", "riverside", ["dbt", "cbt", "psyed"]),
    ("EHR-2001", "Tyler Brooks", "ADOLESCENT", "mountain", ["teencomm", "teenproc"]),
    ("EHR-2002", "Emma Novak", "ADOLESCENT", "mountain", ["teencomm", "teenproc"]),
    ("EHR-2003", "Jayden Cruz", "ADOLESCENT", "mountain", ["teencomm", "teenproc"]),
    ("EHR-2004", "Lily Chen", "ADOLESCENT", "mountain", ["teencomm", "teenproc"]),
    ("EHR-2005", "Noah Patel", "ADOLESCENT", "mountain", ["teencomm", "teenproc"]),
    ("EHR-2006", "Ava Martinez", "ADOLESCENT", "mountain", ["teencomm", "teenproc"]),
    ("EHR-2011", "Carl Jensen", "ADULT", "mountain", ["trauma", "cocbt"]),
    ("EHR-2012", "Rosa Diaz", "ADULT", "mountain", ["trauma", "cocbt"]),
    ("EHR-2013", "Mike O'Neill", "ADULT", "mountain", ["trauma", "cocbt"]),
    ("EHR-2014", "Denise Harper", "ADULT", "mountain", ["trauma", "cocbt"]),
    ("EHR-2015", "Victor Huang", "ADULT", "mountain", ["trauma", "cocbt"]),
    ("EHR-2016", "Joy Adams", "ADULT", "mountain", ["trauma", "cocbt"]),
]
JOHN, MARIA, DEREK, TYLER = "EHR-1001", "EHR-1002", "EHR-1003", "EHR-2001"

site, room, staff, program, group, client = {}, {}, {}, {}, {}, {}
existing_sites = list_all("SchedulingService/ListSites", {}, "sites")
for key, name, tz, address in SITES:
    site[key] = ensure(f"site {name} ({tz})", existing_sites, lambda s: s["display_name"] == name,
                       "SchedulingService/CreateSite",
                       {"site": {"display_name": name, "time_zone": tz, "address": address}})
for key in site:
    rooms = list_all("SchedulingService/ListRooms", {"site_id": site[key]["id"]}, "rooms")
    for skey, name, capacity, tele in ROOMS:
        if skey == key:
            room[name] = ensure(f"room {name}", rooms, lambda r: r["display_name"] == name,
                                "SchedulingService/CreateRoom",
                                {"room": {"site_id": site[key]["id"], "display_name": name,
                                          "capacity": capacity, "telehealth": tele}})
all_staff = list_all("SchedulingService/ListStaff", {}, "staff")
for key, name, cred, skey in STAFF:
    staff[key] = ensure(f"staff {name}, {cred}", all_staff, lambda s: s["display_name"] == name,
                        "SchedulingService/CreateStaff",
                        {"staff": {"display_name": name, "credentials": cred, "site_ids": [site[skey]["id"]]}})
all_programs = list_all("SchedulingService/ListPrograms", {}, "programs")
for key, skey, name, age, focus in PROGRAMS:
    program[key] = ensure(f"program {name}", all_programs,
                          lambda p: p["display_name"] == name and p["site_id"] == site[skey]["id"],
                          "SchedulingService/CreateProgram",
                          {"program": {"site_id": site[skey]["id"], "display_name": name,
                                       "age_group": "AGE_GROUP_" + age, "focus": "PROGRAM_FOCUS_" + focus}})

dbt_track = None
if have["curriculum"]:
    tracks = list_all("CurriculumService/ListTracks", {"modality": "MODALITY_DBT_SKILLS"}, "tracks")
    built_in = [t for t in tracks if t.get("built_in")]
    dbt_track = (built_in or tracks or [None])[0]
    if dbt_track is None:
        print("demo: no DBT skills track in the curriculum library: the DBT group gets no plan")

all_groups = list_all("SchedulingService/ListGroups", {}, "groups")
for key, pkey, name, modality, facs, rname, days, start, minutes in GROUPS:
    body = {"program_id": program[pkey]["id"], "display_name": name, "modality": "MODALITY_" + modality,
            "facilitator_ids": [staff[f]["id"] for f in facs], "room_id": room[rname]["id"],
            "recurrence": {"weekdays": ["WEEKDAY_" + d for d in days], "start_local_time": start,
                           "duration_minutes": minutes, "starts_on": FIRST_MONDAY.isoformat()}}
    if key == "dbt" and dbt_track:
        body["curriculum_track_id"] = dbt_track["id"]
    group[key] = ensure(f"group {name} ({modality}, {', '.join(days)} {start})", all_groups,
                        lambda g: g["display_name"] == name and g["program_id"] == program[pkey]["id"],
                        "SchedulingService/CreateGroup", {"group": body})

for ref, name, age, skey, gkeys in CLIENTS:
    found = list_all("SchedulingService/ListClients", {"external_ref": ref}, "clients")
    client[ref] = ensure(f"client {name} ({ref})", found, lambda c: True, "SchedulingService/CreateClient",
                         {"client": {"display_name": name, "external_ref": ref, "age_group": "AGE_GROUP_" + age,
                                     "site_id": site[skey]["id"]}})
    memberships = list_all("SchedulingService/ListMemberships", {"client_id": client[ref]["id"]}, "memberships")
    joined = {m["group_id"] for m in memberships}
    for gkey in gkeys:
        g = group[gkey]
        if g["id"] not in joined:
            call("SchedulingService/EnrollClient", {"group_id": g["id"], "client_id": client[ref]["id"],
                                                    "start_date": g["recurrence"]["starts_on"]})
            print(f"demo: enrolled {name} in {g['display_name']}")
by_id = {c["id"]: ref for ref, c in client.items()}
name_of = {ref: n for ref, n, *_ in CLIENTS}
starts_on = dt.date.fromisoformat(group["rp"]["recurrence"]["starts_on"])


def past_sessions(g):
    sessions = list_all("SchedulingService/ListSessions",
                        {"group_id": g["id"], "start_time": rfc3339(starts_on - dt.timedelta(days=1)),
                         "end_time": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": "SESSION_STATUS_SCHEDULED"},
                        "sessions")
    return [s for s in sessions if parse_ts(s["end_time"]) <= NOW]


# ------------------------------------------------------------- attendance
def story_status(ref, session, nth_from_end):
    """(status, minutes, note) that tells each client's story."""
    day = dt.date.fromisoformat(session["local_date"])
    week, weekday = (day - starts_on).days // 7, day.weekday()
    length = int((parse_ts(session["end_time"]) - parse_ts(session["start_time"])).total_seconds() // 60)
    if ref == JOHN:
        if week == 0:
            return {0: ("PRESENT", 0, "Quiet at check-in; listened, did not share."),
                    1: ("LATE", length - 25, "Arrived late (drop-off at his daughter's school)."),
                    2: ("PRESENT", 0, "Said one sentence when invited to; still guarded."),
                    3: ("ABSENT_EXCUSED", 0, "Called in: daughter sick."),
                    4: ("PRESENT", 0, "")}[weekday]
        if week == 1 and weekday <= 2:
            return ("ABSENT_UNEXCUSED", 0, "No call, no show; outreach call left a voicemail.")
        if week == 1 and weekday == 3:
            return ("LATE", length - 30, "Back after three missed sessions; agreed to a check-in call plan.")
        if week == 3 and weekday == 1:
            return ("PRESENT", 0, "Shared about his daughter's birthday at check-in, unprompted for the first time.")
        return ("PRESENT", 0, "")
    if ref == MARIA:
        if week == 3 and weekday == 3:
            return ("ABSENT_EXCUSED", 0, "Midterm exam; arranged ahead.")
        return ("PRESENT", 0, "")
    if ref == DEREK and nth_from_end < 3:
        return ("ABSENT_UNEXCUSED", 0, "No call, no show.")
    if ref == TYLER and stable(ref, session["id"]) % 2 == 0:
        return ("ABSENT_EXCUSED", 0, "Parent called: school conflict.")
    roll = stable(ref, session["id"]) % 100
    if roll < 90:
        return ("PRESENT", 0, "")
    if roll < 97:
        return ("LATE", length - 15, "")
    return ("ABSENT_EXCUSED", 0, "")


if have["attendance"]:
    # Every past session of every group, with what is recorded so far.
    sessions = []
    for g in group.values():
        for s in past_sessions(g):
            sheet = call("AttendanceService/GetSessionAttendance", {"session_id": s["id"]})
            sessions.append((s, sheet.get("entries", [])))
    sessions.sort(key=lambda item: item[0]["start_time"])
    per_client = {}
    for s, entries in sessions:
        for e in entries:
            per_client.setdefault(e["client_id"], []).append(s["id"])
    recorded = 0
    for s, entries in sessions:
        todo = []
        for e in entries:
            if e.get("status", "ATTENDANCE_STATUS_UNRECORDED") != "ATTENDANCE_STATUS_UNRECORDED":
                continue
            ref = by_id.get(e["client_id"])
            if ref is None:
                continue
            order = per_client[e["client_id"]]
            status, minutes, note = story_status(ref, s, len(order) - 1 - order.index(s["id"]))
            todo.append({"client_id": e["client_id"], "status": "ATTENDANCE_STATUS_" + status,
                         "minutes_attended": minutes, "note": note})
        if todo:
            call("AttendanceService/RecordAttendance", {"session_id": s["id"], "entries": todo})
            recorded += len(todo)
    print(f"demo: attendance: {len(sessions)} past sessions, {recorded} records added")

# --------------------------------------------------------------- outcomes
# Weekly scores from the first week on, one list per (client, instrument).
SCORES = {
    (MARIA, "PHQ-9"): [17, 15, 13, 11, 9, 7],
    (MARIA, "GAD-7"): [16, 14, 12, 10, 8, 7],
    (JOHN, "AUDIT-C"): [10, 9, 8, 6, 5, 4],
    (JOHN, "PHQ-9"): [14, 14, 12, 10, 9, 8],
}
for ref, _, age, skey, gkeys in CLIENTS:
    if ref in (JOHN, MARIA):
        continue
    base = 11 + stable(ref, "base") % 9
    drop = stable(ref, "drop") % 9 - 1  # most improve, a few do not
    if "rp" in gkeys:
        SCORES[(ref, "AUDIT-C")] = [8 + stable(ref, "a") % 4, max(2, 8 + stable(ref, "a") % 4 - drop // 2)]
    SCORES[(ref, "PHQ-9")] = [base, max(0, base - drop)]
    if "dbt" in gkeys or age == "ADOLESCENT":
        g = 9 + stable(ref, "g") % 8
        SCORES[(ref, "GAD-7")] = [g, max(0, g - stable(ref, "gd") % 7)]
# Answers that open a risk alert: Maria's first PHQ-9, item 9 ("thoughts
# that you would be better off dead...") answered "several days".
CRITICAL = {(MARIA, "PHQ-9", 0): {9: 1}}


def answers_for(instrument, total, fixed):
    items = instrument["items"]
    values = [it.get("min_value", 0) for it in items]
    for number, value in fixed.items():
        values[number - 1] = value
    left = total - sum(values)
    # Critical items stay at their minimum unless the story sets them.
    critical = {c["item_number"] for c in instrument.get("critical_items", [])}
    free = [i for i, it in enumerate(items)
            if it["number"] not in fixed and it["number"] not in critical and not it.get("reverse_scored")]
    while left > 0:
        moved = False
        for i in free:
            if left > 0 and values[i] < items[i].get("max_value", 0):
                values[i] += 1
                left -= 1
                moved = True
        if not moved:
            raise SystemExit(f"demo: cannot reach {total} on {instrument['code']}")
    return values


if have["outcomes"]:
    instruments = {}
    submitted = 0
    for (ref, code), series in SCORES.items():
        if code not in instruments:
            instruments[code] = call("OutcomesService/GetInstrument", {"code": code})
        progress = call("OutcomesService/GetClientProgress", {"client_id": client[ref]["id"], "instrument_code": code})
        already = len(progress.get("points", []))
        # Later scores of short series are the last week's.
        weeks = list(range(len(series))) if len(series) > 2 else [0, 5]
        for n, (week, total) in enumerate(zip(weeks, series)):
            when = starts_on + dt.timedelta(weeks=week)
            if n < already or dt.datetime.combine(when, dt.time(18), dt.timezone.utc) > NOW:
                continue
            call("OutcomesService/SubmitAssessment", {
                "client_id": client[ref]["id"], "instrument_code": code,
                "answers": answers_for(instruments[code], total, CRITICAL.get((ref, code, n), {})),
                "administered_at": rfc3339(when, 18), "request_id": f"demo-{ref}-{code}-{n}"})
            submitted += 1
    print(f"demo: outcomes: {submitted} assessments added")
    clinician = mint("clinician", "priya.natarajan")
    for alert in list_all("OutcomesService/ListRiskAlerts",
                          {"client_id": client[MARIA]["id"], "state": "RISK_ALERT_STATE_OPEN"}, "risk_alerts"):
        call("OutcomesService/AcknowledgeRiskAlert", {
            "id": alert["id"], "request_id": "demo-ack-" + alert["id"],
            "note": "Reviewed with Maria the same day: passive thoughts, no plan or intent. "
                    "Safety plan completed; weekly check-ins with Dr. Natarajan."}, token=clinician)
        print("demo: Maria's PHQ-9 risk alert acknowledged by priya.natarajan")

# ------------------------------------------------------------- curriculum
if have["curriculum"] and dbt_track:
    dbt = group["dbt"]
    plans = call("CurriculumService/PlanSessions", {
        "group_id": dbt["id"], "track_id": dbt_track["id"], "start_date": dbt["recurrence"]["starts_on"],
        "end_date": (TODAY + dt.timedelta(days=27)).isoformat()}).get("plans", [])
    delivered = 0
    for plan in plans:
        if plan.get("delivered") or parse_ts(plan["planned_time"]) > NOW - dt.timedelta(hours=3):
            continue
        call("CurriculumService/RecordDelivery", {
            "session_id": plan["session_id"], "lesson_id": plan["lesson_id"],
            "phases_completed": ["PHASE_KIND_CHECK_IN", "PHASE_KIND_SKILL_INTRO", "PHASE_KIND_ACTIVITY",
                                 "PHASE_KIND_FEEDBACK", "PHASE_KIND_WRAP_UP"],
            "fidelity_notes": "Delivered as planned.", "delivered_by": staff["priya"]["id"],
            "request_id": "demo-delivery-" + plan["session_id"]})
        delivered += 1
    print(f"demo: curriculum: DBT group planned with \"{dbt_track['title']}\" "
          f"({len(plans)} sessions), {delivered} deliveries recorded")

# ------------------------------------------------------------------ guide
# Maria's session in progress, else her next one: the one to check in to.
upcoming = list_all("SchedulingService/ListSessions",
                    {"client_id": client[MARIA]["id"], "status": "SESSION_STATUS_SCHEDULED",
                     "start_time": (NOW - dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")}, "sessions")
upcoming = [s for s in upcoming if parse_ts(s["end_time"]) > NOW]
next_session = upcoming[0]["id"] if upcoming else "SESSION_ID"
# Wednesday of John's second week: his third unexcused absence in a row.
streak_day = (starts_on + dt.timedelta(weeks=1, days=2)).isoformat()
b = "build/bin/iopctl"
john, maria = client[JOHN]["id"], client[MARIA]["id"]
def show(comment, command):
    print(f"  # {comment}\n  {command}" if comment else f"  {command}")


print(f"\nDemo network of org \"demo\" is ready ({CALLS} calls). Try:")
show("sites, with their local time now", f"{b} sites")
show("groups of every modality at Riverside", f"{b} groups --site {site['riverside']['id']}")
show("this week at Riverside, in New York time", f"{b} sessions --site {site['riverside']['id']}")
show("this week at Mountain View, in Denver time", f"{b} sessions --site {site['mountain']['id']}")
show("Maria's first week", f"{b} sessions --client {maria} --week {starts_on}")
show("who is expected at Maria's current or next session", f"{b} roster {next_session}")
show("front desk: check Maria in", f"{b} checkin {next_session} {maria} --mood 6")
if have["outcomes"]:
    show("Maria's PHQ-9: 17 (moderately severe) to 7 (mild), reliably improved", f"{b} progress {maria} --instrument PHQ-9")
    show("Maria's GAD-7", f"{b} progress {maria} --instrument GAD-7")
    show("John's drinking (AUDIT-C) and mood (PHQ-9)", f"{b} progress {john} --instrument AUDIT-C")
    show("", f"{b} progress {john} --instrument PHQ-9")
    show("risk alerts including Maria's acknowledged PHQ-9 item 9 alert", f"{b} alerts --all")
    show("a new questionnaire for John", f"{b} assess {john} --instrument PHQ-9 --answers 1,1,1,1,0,1,1,0,0")
if have["attendance"]:
    show("open risk alerts and today's attendance alerts (Derek's absences)", f"{b} alerts")
    show("John's unexcused-absence streak as it stood in his second week",
         f"{b} call AttendanceService/ListAttendanceAlerts '{{\"client_id\": \"{john}\", \"on_date\": \"{streak_day}\"}}'")
    show("John's attendance since he started",
         f"{b} call AttendanceService/GetClientAttendance '{{\"client_id\": \"{john}\", \"start_date\": \"{starts_on}\", \"end_date\": \"{TODAY}\"}}'")
if have["curriculum"] and dbt_track:
    show("DBT modules Maria has covered",
         f"{b} call CurriculumService/GetClientCoverage '{{\"client_id\": \"{maria}\", \"track_id\": \"{dbt_track['id']}\"}}'")
show("the same data for scripts", f"{b} --json sessions --client {john}")
print("Tokens: minted from .run/jwt-secret for --org demo --role admin unless --token or $IOP_TOKEN is set.")
PY
