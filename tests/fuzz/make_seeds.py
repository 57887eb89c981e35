#!/usr/bin/env python3
"""Writes the seed corpus: for each service, one input per unary RPC (the
method's index byte followed by an encoded, plausible request) plus a few
malformed ones. Run from the repository root after a build:
    tests/fuzz/make_seeds.py build/bin/iopctl
"""
import os
import re
import subprocess
import sys

IOPCTL = sys.argv[1] if len(sys.argv) > 1 else "build/bin/iopctl"
ROOT = os.path.dirname(os.path.abspath(__file__))

# A plausible request per method (JSON, as `iopctl call` takes it); methods
# not listed get an empty request.
REQUESTS = {
    "CreateSite": '{"site":{"display_name":"Seed","time_zone":"America/New_York"},"request_id":"s1"}',
    "ListSites": '{"page_size":5}',
    "CreateRoom": '{"room":{"site_id":"x","display_name":"R","capacity":8}}',
    "CreateClient": '{"client":{"display_name":"C","age_group":"AGE_GROUP_ADULT","external_ref":"E1"}}',
    "CreateProgram": '{"program":{"site_id":"x","display_name":"P","age_group":"AGE_GROUP_ADULT","focus":"PROGRAM_FOCUS_MENTAL_HEALTH"}}',
    "CreateGroup": '{"group":{"program_id":"p","display_name":"G","modality":"MODALITY_CBT","recurrence":{"weekdays":["WEEKDAY_MONDAY"],"start_local_time":"25:00","duration_minutes":90,"starts_on":"2026-02-30"}}}',
    "ListSessions": '{"group_id":"g","start_time":"2026-03-01T00:00:00Z","end_time":"2026-03-09T00:00:00Z"}',
    "EnrollClient": '{"group_id":"g","client_id":"c","start_date":"2026-13-01"}',
    "GetClientIntensity": '{"client_id":"c","week_start":"2026-03-02"}',
    "CreateLesson": '{"lesson":{"title":"L","modality":"MODALITY_DBT_SKILLS","phases":[{"kind":"PHASE_KIND_WRAP_UP","minutes":5},{"kind":"PHASE_KIND_CHECK_IN","minutes":-1}]}}',
    "PlanSessions": '{"group_id":"g","start_date":"2026-03-01","end_date":"2025-03-01"}',
    "SubmitAssessment": '{"client_id":"c","instrument_code":"PHQ-9","answers":[3,3,3,3,3,3,3,3,9]}',
    "GetClientProgress": '{"client_id":"c","instrument_code":"PHQ-9"}',
    "GetCohortOutcomes": '{"group_id":"g","instrument_code":"GAD-7","start_date":"2026-01-01","end_date":"2026-12-31"}',
    "CheckIn": '{"session_id":"s","client_id":"c","mood_rating":11}',
    "RecordAttendance": '{"session_id":"s","entries":[{"client_id":"c","status":"ATTENDANCE_STATUS_PRESENT","minutes_attended":-5}]}',
    "GetClientAttendance": '{"client_id":"c","start_date":"2026-03-01","end_date":"2026-02-01"}',
}

# Requests that name the fuzzers' stand-in scheduling world (fuzz_<service>.cc):
# these get past the lookups and reach the writes and reports. Written as
# "ok_<Method>" next to the seeds above.
VALID = {
    "attendance": {
        "CheckIn": '{"session_id":"session-now","client_id":"client-1","mood_rating":4,"request_id":"seed-1"}',
        "CheckOut": '{"session_id":"session-now","client_id":"client-1","request_id":"seed-2"}',
        "RecordAttendance": '{"session_id":"session-past","entries":[{"client_id":"client-1","status":"ATTENDANCE_STATUS_PRESENT","minutes_attended":180},{"client_id":"client-2","status":"ATTENDANCE_STATUS_ABSENT_EXCUSED","note":"sick"}],"request_id":"seed-3"}',
        "GetSessionAttendance": '{"session_id":"session-past"}',
        "GetAttendanceHistory": '{"session_id":"session-now","client_id":"client-1"}',
        "GetClientAttendance": '{"client_id":"client-1","start_date":"2026-06-01","end_date":"2027-05-31"}',
        "GetGroupAttendanceStats": '{"group_id":"group-1","start_date":"2026-06-01","end_date":"2027-05-31"}',
        "ListAttendanceAlerts": '{"site_id":"site-1","page_size":5}',
    },
    "outcomes": {
        "SubmitAssessment": '{"client_id":"client-1","instrument_code":"PHQ-9","answers":[3,3,2,2,1,1,2,1,1],"request_id":"seed-1"}',
        "GetClientProgress": '{"client_id":"client-1","instrument_code":"PHQ-9"}',
        "GetCohortOutcomes": '{"group_id":"group-1","instrument_code":"PHQ-9","start_date":"2026-06-01","end_date":"2027-05-31"}',
        "ListRiskAlerts": '{"client_id":"client-1","page_size":5}',
        "AssessGroupReadiness": '{"client_id":"client-1"}',
    },
}

def write_seed(folder, name, cls, index, method, body):
    framed = subprocess.run([IOPCTL, "encode", f"{cls}/{method}", body],
                            check=True, capture_output=True).stdout
    with open(os.path.join(folder, name), "wb") as f:
        f.write(bytes([index]) + framed[5:])

def unary_methods(service):
    text = open(os.path.join(ROOT, "..", "..", "protos", "iop", service, "v1", f"{service}.proto")).read()
    out = []
    for m in re.finditer(r"rpc (\w+)\(\s*(stream\s+)?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?", text):
        if not m.group(2) and not m.group(3):
            out.append(m.group(1))
    return out

def main():
    for service in ("scheduling", "attendance", "curriculum", "outcomes"):
        methods = unary_methods(service)
        folder = os.path.join(ROOT, "corpus", service)
        os.makedirs(folder, exist_ok=True)
        cls = service.capitalize() + "Service"
        valid = VALID.get(service, {})
        for index, method in enumerate(methods):
            write_seed(folder, f"{index:02d}_{method}", cls, index, method, REQUESTS.get(method, "{}"))
            if method in valid:
                write_seed(folder, f"ok_{method}", cls, index, method, valid.pop(method))
        if valid:
            sys.exit(f"{service}: no unary method named {', '.join(valid)}")
        # Malformed wire data: truncated varint, wrong wire type, huge length.
        for name, blob in (("zz_truncated", b"\x00\x0a\xff"), ("zz_wiretype", b"\x01\x0f\x01"),
                           ("zz_length", b"\x02\x0a\xff\xff\xff\xff\x0f")):
            with open(os.path.join(folder, name), "wb") as f:
                f.write(blob)
        print(f"{service}: {len(methods)} unary methods")

if __name__ == "__main__":
    main()
