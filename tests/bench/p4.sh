# shellcheck shell=bash
# Variables this fragment reads (bin, work, token, port_of, site_id,
# program_id, group_id) are run_bench.sh's; p4_plans is read there.
# shellcheck disable=SC2154,SC2034
# P4 of make bench (sourced by run_bench.sh, which defines the helpers and
# the seeded site/program/group): the latency of GetClientAttendance and
# GetCohortOutcomes with 10k rows in their tables, then with 1M attendance
# rows and 100k assessments. Bulk rows go in with SQL (generate_series) into
# the services' own databases; the clients read are real ones, enrolled
# through scheduling, so the calls do everything they do in production.
#
# Filler rows belong to the same org as the clients read (the hardest case:
# no tenant filter narrows them away) and spread over three years, so the
# date range read holds a third of them. Triggers are skipped while seeding
# (session_replication_role = replica): the version history of rows that
# are never changed adds nothing to these reads.

p4_cohort=10
p4_small=10000

# seed_attendance FIRST LAST: filler attendance rows numbered FIRST..LAST.
p4_fill_attendance() {
  psql_db iop_attendance -v org=bench -v site="$site_id" -v from="$1" -v to="$2" <<'SQL'
SET session_replication_role = replica;
INSERT INTO attendance_records (org_id, session_id, client_id, group_id, site_id, program_id,
  local_date, session_start, session_end, time_zone, status, recorded_by)
SELECT :'org', 'filler-s' || n, 'filler-c' || (n % 20000), 'filler-g' || (n % 500), :'site',
  'filler-p', d, (d + time '09:00') AT TIME ZONE 'America/New_York',
  (d + time '12:00') AT TIME ZONE 'America/New_York', 'America/New_York', 2 + n % 5, 'bench'
FROM generate_series(:from, :to) n, LATERAL (SELECT date '2029-01-01' + (n % 1095) AS d) x;
ANALYZE attendance_records;
SQL
}

p4_fill_assessments() {
  psql_db iop_outcomes -v org=bench -v from="$1" -v to="$2" <<'SQL'
INSERT INTO assessments (org_id, client_id, instrument_code, answers, total_score, severity,
  administered_at, submitted_by)
SELECT :'org', 'filler-c' || (n % 20000), (ARRAY['PHQ-9', 'GAD-7', 'PCL-5'])[1 + n % 3],
  '{1,1,1,1,1,1,1,1,1}', n % 27, 'mild',
  timestamptz '2029-01-01 15:00Z' + (n % 1095) * interval '1 day', 'bench'
FROM generate_series(:from, :to) n;
ANALYZE assessments;
SQL
}

# The cohort's own rows: a record for every session of the group (Monday,
# Wednesday, Friday of 2030) and six PHQ-9 scores a year, improving.
p4_seed_cohort() {
  psql_db iop_attendance -v org=bench -v site="$site_id" -v program="$program_id" \
    -v group="$group_id" -v clients="$1" <<'SQL'
SET session_replication_role = replica;
INSERT INTO attendance_records (org_id, session_id, client_id, group_id, site_id, program_id,
  local_date, session_start, session_end, time_zone, status, recorded_by)
SELECT :'org', :'group' || '_' || to_char(d, 'YYYYMMDD'), c, :'group', :'site', :'program', d,
  (d + time '18:00') AT TIME ZONE 'America/New_York', (d + time '21:00') AT TIME ZONE 'America/New_York',
  'America/New_York', 2 + abs(hashtext(c || d::text)) % 3, 'bench'
FROM unnest(string_to_array(:'clients', ',')) c,
  LATERAL (SELECT g::date AS d FROM generate_series(date '2030-01-07', date '2030-12-31', interval '1 day') g) x
WHERE extract(isodow FROM d) IN (1, 3, 5);
SQL
  psql_db iop_outcomes -v org=bench -v clients="$1" <<'SQL'
INSERT INTO assessments (org_id, client_id, instrument_code, answers, total_score, severity,
  administered_at, submitted_by)
SELECT :'org', c, 'PHQ-9', '{2,2,2,2,2,2,2,1,0}', 18 - 2 * k - abs(hashtext(c)) % 3, 'moderate',
  timestamptz '2030-01-10 15:00Z' + k * interval '50 days', 'bench'
FROM unnest(string_to_array(:'clients', ',')) c, generate_series(0, 5) k;
SQL
}

# The p50 of both reads (p4_att_p50, p4_out_p50); the argument names the
# phase for the log files.
p4_measure() {
  local phase=$1 att=${port_of[attendance]} out=${port_of[outcomes]}
  check_grpc_ok "$att" "$p4_att_method" "$work/p4_att.bin" "$token"
  check_grpc_ok "$out" "$p4_out_method" "$work/p4_out.bin" "$token"
  grpc_load "$att" "$p4_att_method" "$work/p4_att.bin" "$token" 50 1 1 >/dev/null
  grpc_load "$out" "$p4_out_method" "$work/p4_out.bin" "$token" 50 1 1 >/dev/null
  read -r p4_att_p50 _ < <(grpc_latency "$att" "$p4_att_method" "$work/p4_att.bin" "$token" 300 "$work/p4_att_$phase.log")
  read -r p4_out_p50 _ < <(grpc_latency "$out" "$p4_out_method" "$work/p4_out.bin" "$token" 300 "$work/p4_out_$phase.log")
}

# EXPLAIN ANALYZE of the statements the two reads run, prepared and run six
# times first so the plan shown is the one a long-lived connection uses
# (PostgreSQL may switch a prepared statement to a generic plan after five).
p4_explain() {
  local client=$1 clients=$2
  echo '```'
  echo "-- attendance: AttendanceStore att_range (GetClientAttendance reads a year up to end_date)"
  psql_db iop_attendance -v org=bench -v client="$client" <<'SQL' | sed '/^PREPARE$/d;/^$/d' | grep -v '^ *id *|' | grep -v '^(.* rows\?)$' | grep -v -- '^---' | awk '/QUERY PLAN/{p=1;next} p'
\pset pager off
PREPARE att_range(text, date, date, text[], text, text, text, text) AS
  SELECT r.* FROM attendance_records r WHERE r.org_id=$1 AND r.local_date BETWEEN $2 AND $3
  AND ($4 = '{}' OR r.site_id = ANY($4)) AND ($5 = '' OR r.client_id=$5) AND ($6 = '' OR r.group_id=$6)
  AND ($7 = '' OR r.site_id=$7) AND ($8 = '' OR r.program_id=$8)
  ORDER BY r.session_start, r.session_id, r.client_id;
\o /dev/null
EXECUTE att_range(:'org', '2029-06-01', '2030-05-31', '{}', :'client', '', '', '');
EXECUTE att_range(:'org', '2029-06-01', '2030-05-31', '{}', :'client', '', '', '');
EXECUTE att_range(:'org', '2029-06-01', '2030-05-31', '{}', :'client', '', '', '');
EXECUTE att_range(:'org', '2029-06-01', '2030-05-31', '{}', :'client', '', '', '');
EXECUTE att_range(:'org', '2029-06-01', '2030-05-31', '{}', :'client', '', '', '');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE att_range(:'org', '2029-06-01', '2030-05-31', '{}', :'client', '', '', '');
SQL
  echo
  echo "-- outcomes: AssessmentStore assessment_cohort (GetCohortOutcomes)"
  psql_db iop_outcomes -v org=bench -v clients="{$clients}" <<'SQL' | awk '/QUERY PLAN/{p=1;next} p' | grep -v -- '^---' | grep -v '^(.* rows\?)$' | sed '/^$/d'
\pset pager off
PREPARE cohort(text, text[], text, double precision, double precision) AS
  SELECT client_id, total_score FROM assessments WHERE org_id=$1 AND client_id = ANY($2)
  AND instrument_code=$3 AND administered_at >= to_timestamp($4 / 1e6)
  AND administered_at < to_timestamp($5 / 1e6) ORDER BY client_id, administered_at, id;
\o /dev/null
EXECUTE cohort(:'org', :'clients', 'PHQ-9', 1893456000e6, 1924992000e6);
EXECUTE cohort(:'org', :'clients', 'PHQ-9', 1893456000e6, 1924992000e6);
EXECUTE cohort(:'org', :'clients', 'PHQ-9', 1893456000e6, 1924992000e6);
EXECUTE cohort(:'org', :'clients', 'PHQ-9', 1893456000e6, 1924992000e6);
EXECUTE cohort(:'org', :'clients', 'PHQ-9', 1893456000e6, 1924992000e6);
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE cohort(:'org', :'clients', 'PHQ-9', 1893456000e6, 1924992000e6);
SQL
  echo '```'
}

p4_run() {
  local clients=() i id
  for i in $(seq 1 "$p4_cohort"); do
    id=$(sched CreateClient "{\"client\":{\"display_name\":\"Cohort $i\",\"age_group\":\"AGE_GROUP_ADULT\",\"site_id\":\"$site_id\"}}" | first_id)
    sched EnrollClient "{\"group_id\":\"$group_id\",\"client_id\":\"$id\",\"start_date\":\"2030-01-07\",\"request_id\":\"p4-$id\"}" >/dev/null
    clients+=("$id")
  done
  local list
  list=$(IFS=,; echo "${clients[*]}")
  p4_seed_cohort "$list"
  local cohort_att=$(( p4_cohort * 156 ))  # about: Mon/Wed/Fri of 2030
  p4_fill_attendance 1 $(( p4_small - cohort_att ))
  p4_fill_assessments 1 $(( p4_small - p4_cohort * 6 ))

  p4_att_method=iop.attendance.v1.AttendanceService/GetClientAttendance
  p4_out_method=iop.outcomes.v1.OutcomesService/GetCohortOutcomes
  "$bin/iopctl" encode AttendanceService/GetClientAttendance \
    "{\"client_id\":\"${clients[0]}\",\"start_date\":\"2030-03-01\",\"end_date\":\"2030-05-31\"}" >"$work/p4_att.bin"
  "$bin/iopctl" encode OutcomesService/GetCohortOutcomes \
    "{\"group_id\":\"$group_id\",\"instrument_code\":\"PHQ-9\",\"start_date\":\"2030-01-01\",\"end_date\":\"2030-12-31\"}" >"$work/p4_out.bin"

  p4_measure small
  local att_small=$p4_att_p50 out_small=$p4_out_p50
  local t0 t1
  t0=$(date +%s)
  p4_fill_attendance $(( p4_small - cohort_att + 1 )) $(( 1000000 - cohort_att ))
  p4_fill_assessments $(( p4_small - p4_cohort * 6 + 1 )) $(( 100000 - p4_cohort * 6 ))
  t1=$(date +%s)
  echo "bench: P4 grew the tables in $(( t1 - t0 )) s"
  p4_measure large
  local att_rows out_rows
  att_rows=$(psql_db iop_attendance -At -c "SELECT count(*) FROM attendance_records")
  out_rows=$(psql_db iop_outcomes -At -c "SELECT count(*) FROM assessments")
  row P4 "GetClientAttendance p50 µs, $att_rows rows / $p4_small rows" "$p4_att_p50" "$att_small" \
    "$(ratio "$p4_att_p50" "$att_small")" "≤ 2×"
  row P4 "GetCohortOutcomes p50 µs, $out_rows rows / $p4_small rows" "$p4_out_p50" "$out_small" \
    "$(ratio "$p4_out_p50" "$out_small")" "≤ 2×"
  local quoted
  quoted=$(printf '%s,' "${clients[@]}")
  p4_plans=$(p4_explain "${clients[0]}" "${quoted%,}")
}
