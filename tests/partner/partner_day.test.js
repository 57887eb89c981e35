// A partner's day, written as an integrator would: only the published
// .proto files, @grpc/grpc-js and @grpc/proto-loader. An EHR bridge and a
// clinic's staff register a client, schedule and enroll, take attendance,
// plan lessons, submit questionnaires and act on a risk alert.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const protoDir = process.env.IOP_PROTO_DIR;
const files = ['scheduling', 'attendance', 'curriculum', 'outcomes'].map(
  (s) => path.join(protoDir, `iop/${s}/v1/${s}.proto`));
const definition = protoLoader.loadSync(files, {
  includeDirs: [protoDir], keepCase: true, longs: Number, enums: String, defaults: true,
});
const pkg = grpc.loadPackageDefinition(definition).iop;

function client(Service, addrVar) {
  return new Service(process.env[addrVar], grpc.credentials.createInsecure());
}
const scheduling = client(pkg.scheduling.v1.SchedulingService, 'IOP_SCHEDULING_ADDR');
const attendance = client(pkg.attendance.v1.AttendanceService, 'IOP_ATTENDANCE_ADDR');
const curriculum = client(pkg.curriculum.v1.CurriculumService, 'IOP_CURRICULUM_ADDR');
const outcomes = client(pkg.outcomes.v1.OutcomesService, 'IOP_OUTCOMES_ADDR');

const tokens = {
  admin: process.env.IOP_PARTNER_TOKEN_ADMIN,
  partner: process.env.IOP_PARTNER_TOKEN_PARTNER,
  clinician: process.env.IOP_PARTNER_TOKEN_CLINICIAN,
  frontDesk: process.env.IOP_PARTNER_TOKEN_FRONT_DESK,
  otherOrg: process.env.IOP_PARTNER_TOKEN_OTHER_ORG,
};

// Promise of one unary call with a bearer token and a deadline.
function call(stub, method, request, token) {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    stub[method](request, md, { deadline: Date.now() + 10000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.details}`);
    return true;
  });
}

// "YYYY-MM-DD" of the Monday `weeksAgo` weeks before this week's Monday (UTC).
function monday(weeksAgo) {
  const d = new Date();
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow - 7 * weeksAgo);
  return d.toISOString().slice(0, 10);
}

test('a partner integrates a client end to end', async () => {
  // --- the clinic sets up (admin) ---
  const site = await call(scheduling, 'CreateSite',
    { site: { display_name: 'Riverside Clinic', time_zone: 'America/New_York' }, request_id: 'site-1' }, tokens.admin);
  const room = await call(scheduling, 'CreateRoom',
    { room: { site_id: site.id, display_name: 'Room A', capacity: 12 } }, tokens.admin);
  const dana = await call(scheduling, 'CreateStaff',
    { staff: { display_name: 'Dana Reyes', credentials: 'LCSW', site_ids: [site.id] } }, tokens.admin);
  const program = await call(scheduling, 'CreateProgram', {
    program: { site_id: site.id, display_name: 'Adult Substance Use IOP', age_group: 'AGE_GROUP_ADULT',
      focus: 'PROGRAM_FOCUS_SUBSTANCE_USE' },
  }, tokens.admin);
  assert.equal(program.min_weekly_hours, 9);

  // --- the EHR bridge registers John; a retry does not duplicate him ---
  const johnReq = { client: { display_name: 'John D.', external_ref: 'EHR-7731', age_group: 'AGE_GROUP_ADULT',
    site_id: site.id }, request_id: 'ehr-7731-create' };
  const john = await call(scheduling, 'CreateClient', johnReq, tokens.frontDesk);
  const again = await call(scheduling, 'CreateClient', johnReq, tokens.frontDesk);
  assert.equal(again.id, john.id);
  const found = await call(scheduling, 'ListClients', { external_ref: 'EHR-7731' }, tokens.partner);
  assert.deepEqual(found.clients.map((c) => c.id), [john.id]);

  // --- a process group, Mon/Wed/Fri 09:00 for three hours, since two weeks ago ---
  const group = await call(scheduling, 'CreateGroup', {
    group: {
      program_id: program.id, display_name: 'Morning Process Group', modality: 'MODALITY_PROCESS',
      facilitator_ids: [dana.id], room_id: room.id,
      recurrence: { weekdays: ['WEEKDAY_MONDAY', 'WEEKDAY_WEDNESDAY', 'WEEKDAY_FRIDAY'],
        start_local_time: '09:00', duration_minutes: 180, starts_on: monday(2) },
    },
    request_id: 'group-1',
  }, tokens.clinician);
  const membership = await call(scheduling, 'EnrollClient',
    { group_id: group.id, client_id: john.id, start_date: monday(2), request_id: 'enroll-john' }, tokens.frontDesk);
  assert.equal(membership.status, 'MEMBERSHIP_STATUS_ACTIVE');

  // --- the partner reads John's schedule and a roster ---
  const start = new Date(`${monday(2)}T00:00:00Z`);
  const sessions = await call(scheduling, 'ListSessions', {
    client_id: john.id, start_time: { seconds: Math.floor(start / 1000) },
    end_time: { seconds: Math.floor(start / 1000) + 7 * 86400 }, page_size: 50,
  }, tokens.partner);
  assert.equal(sessions.sessions.length, 3);
  const first = sessions.sessions[0];
  assert.equal(first.local_date, monday(2));
  const roster = await call(scheduling, 'GetSessionRoster', { session_id: first.id }, tokens.partner);
  assert.deepEqual(roster.entries.map((e) => e.client_id), [john.id]);

  // --- a holiday: the clinic cancels the third session; a clash is refused ---
  const third = sessions.sessions[2];
  const cancelled = await call(scheduling, 'CancelSession',
    { id: third.id, reason: 'Clinic holiday', request_id: 'cancel-1' }, tokens.clinician);
  assert.equal(cancelled.status, 'SESSION_STATUS_CANCELLED');
  assert.equal(cancelled.id, third.id);
  await rejectsWith(call(scheduling, 'CreateGroup', {
    group: {
      program_id: program.id, display_name: 'Clashing Group', modality: 'MODALITY_CBT',
      facilitator_ids: [dana.id], room_id: room.id,
      recurrence: { weekdays: ['WEEKDAY_MONDAY'], start_local_time: '10:00', duration_minutes: 90,
        starts_on: monday(0) },
    },
  }, tokens.clinician), grpc.status.FAILED_PRECONDITION);

  // --- the facilitator records the first session's attendance ---
  const form = { session_id: first.id, request_id: 'form-1',
    entries: [{ client_id: john.id, status: 'ATTENDANCE_STATUS_LATE', minutes_attended: 150, note: 'arrived 09:30' }] };
  const recorded = await call(attendance, 'RecordAttendance', form, tokens.clinician);
  await call(attendance, 'RecordAttendance', form, tokens.clinician);  // retried: applied once
  assert.equal(recorded.records.length, 1);
  const sheet = await call(attendance, 'GetSessionAttendance', { session_id: first.id }, tokens.partner);
  assert.deepEqual(sheet.entries.map((e) => [e.client_id, e.status]), [[john.id, 'ATTENDANCE_STATUS_LATE']]);
  const history = await call(attendance, 'GetClientAttendance',
    { client_id: john.id, start_date: monday(2), end_date: monday(1) }, tokens.partner);
  assert.equal(history.records.filter((r) => r.session_id === first.id).length, 1);
  await rejectsWith(call(attendance, 'RecordAttendance', form, tokens.partner), grpc.status.PERMISSION_DENIED);

  // --- lessons are planned from the starter library ---
  const tracks = await call(curriculum, 'ListTracks', { page_size: 50 }, tokens.clinician);
  const relapse = tracks.tracks.find((t) => /relapse/i.test(t.title));
  assert.ok(relapse, 'starter relapse-prevention track is visible');
  await call(curriculum, 'PlanSessions', { group_id: group.id, track_id: relapse.id,
    start_date: monday(0), end_date: monday(-2), request_id: 'plan-1' }, tokens.clinician);

  // --- questionnaires: a PHQ-9 with item 9 answered opens a risk alert ---
  const phq = { client_id: john.id, instrument_code: 'PHQ-9', answers: [2, 2, 2, 2, 2, 2, 2, 2, 1],
    administered_at: { seconds: Math.floor(start / 1000) + 3600 }, request_id: 'phq-1' };
  const a1 = await call(outcomes, 'SubmitAssessment', phq, tokens.partner);
  const a1again = await call(outcomes, 'SubmitAssessment', phq, tokens.partner);
  assert.equal(a1again.id, a1.id);
  assert.equal(a1.total_score, 17);
  assert.equal(a1.severity, 'moderately severe');
  assert.deepEqual(a1.critical_items, [9]);
  await rejectsWith(call(outcomes, 'SubmitAssessment', { ...phq, answers: [2, 2, 2], request_id: 'phq-bad' }, tokens.partner),
    grpc.status.INVALID_ARGUMENT);

  const alerts = await call(outcomes, 'ListRiskAlerts', { client_id: john.id }, tokens.clinician);
  assert.equal(alerts.risk_alerts.length, 1);
  const acked = await call(outcomes, 'AcknowledgeRiskAlert',
    { id: alerts.risk_alerts[0].id, note: 'Safety plan reviewed with John', request_id: 'ack-1' }, tokens.clinician);
  assert.equal(acked.acknowledged_by, 'dr-lee');

  await call(outcomes, 'SubmitAssessment', { client_id: john.id, instrument_code: 'PHQ-9',
    answers: [1, 1, 0, 1, 0, 1, 0, 0, 0], request_id: 'phq-2' }, tokens.partner);
  const progress = await call(outcomes, 'GetClientProgress', { client_id: john.id, instrument_code: 'PHQ-9' },
    tokens.clinician);
  assert.equal(progress.baseline_score, 17);
  assert.equal(progress.latest_score, 4);
  assert.equal(progress.category, 'CHANGE_CATEGORY_RELIABLY_IMPROVED');
  assert.equal(progress.clinically_significant, true);
  await rejectsWith(call(outcomes, 'GetClientProgress', { client_id: john.id, instrument_code: 'PHQ-9' }, tokens.partner),
    grpc.status.PERMISSION_DENIED);

  // --- another org sees none of it ---
  await rejectsWith(call(scheduling, 'GetClient', { id: john.id }, tokens.otherOrg), grpc.status.NOT_FOUND);
  await rejectsWith(call(attendance, 'GetClientAttendance',
    { client_id: john.id, start_date: monday(2), end_date: monday(1) }, tokens.otherOrg), grpc.status.NOT_FOUND);
  await rejectsWith(call(outcomes, 'GetClientProgress', { client_id: john.id, instrument_code: 'PHQ-9' }, tokens.otherOrg),
    grpc.status.NOT_FOUND);
});

test('calls without a token are refused', async () => {
  await new Promise((resolve) => {
    scheduling.ListSites({}, (err) => {
      assert.equal(err.code, grpc.status.UNAUTHENTICATED);
      resolve();
    });
  });
});
