import { RaiseComplianceAlerts } from '@fr/board';
import {
  adminToken,
  apiContract,
  ApiSchema,
  bearer,
  createOfficer,
  errorOf,
  ManualClock,
  startWebhookReceiver,
  TestEngine,
  waitFor,
  WebhookReceiver,
} from '@fr/testing';

/** An instant on the Vietnamese wall clock. */
const vn = (local: string) => new Date(`${local}+07:00`);
const BK = 'P_BACH_KHOA';
const TN = 'P_THANH_NHAN';

interface Entry {
  targetId: string;
  status: string;
  value: number | null;
  target: number;
  dueAt: string | null;
  dueDate: string | null;
  met: boolean;
  notices?: number;
  gaps?: { from: string; to: string | null; days: number }[];
}

describe('the compliance board: targets, head counts, the notice cadence and its alerts', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const as = (who: string) => bearer(tokens[who]);
  // One clock for the API and the worker (the worker's first sweep included), moved by the tests.
  const clock = new ManualClock(vn('2026-01-05T09:00:00'));

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ clock, env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    tokens.admin = await adminToken(engine);
    for (const [username, role, unitCode] of [
      ['bk.lanhdao', 'LEADER', BK],
      ['bk.xuly', 'HANDLER', BK],
      ['tn.lanhdao', 'LEADER', TN],
      ['tn.xuly', 'HANDLER', TN],
      ['vp.giamsat', 'SUPERVISOR', 'VP'],
      ['nv.kiemtra', 'AUDITOR', 'NOI_VU'],
    ] as const) {
      const o = await createOfficer(engine, tokens.admin, { username, role, unitCode });
      tokens[username] = o.token;
      ids[username] = o.id;
    }
    for (const [unit, handler, leader] of [
      [BK, 'bk.xuly', 'bk.lanhdao'],
      [TN, 'tn.xuly', 'tn.lanhdao'],
    ]) {
      const res = await engine.http().put(`/v1/units/${unit}/designation`).set(as('admin')).send({ handlerId: ids[handler], leaderId: ids[leader] });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });

  const target = (body: Record<string, unknown>, who = 'admin') => engine.http().post('/v1/compliance/targets').set(as(who)).send(body);
  const board = async (query = '') => {
    const res = await engine.http().get(`/v1/compliance/board${query}`).set(as('nv.kiemtra'));
    expect(res.status).toBe(200);
    return res.body as { at: string; targets: { id: string; summary: Record<string, number> }[]; units: { unitCode: string; targets: Entry[] }[] };
  };
  const entry = async (unit: string, targetId: string, query = '') =>
    (await board(query)).units.find((u) => u.unitCode === unit)?.targets.find((t) => t.targetId === targetId);

  it("ships the directive's four targets from config/ as inactive examples, and lets ADMIN and SUPERVISOR define targets", async () => {
    const list = await engine.http().get('/v1/compliance/targets').set(as('bk.xuly'));
    expect(list.status).toBe(200);
    const targets = list.body as ApiSchema<'TargetDto'>[];
    expect(targets.map((t) => [t.id, t.kind, t.active])).toEqual([
      ['focal-points', 'designation', false],
      ['notices-every-3-days', 'notice_cadence', false],
      ['staff-onboarding', 'staff_onboarding', false],
      ['ward-adoption', 'ward_adoption', false],
    ]);
    // "by 25/7/2024": through the end of that day in Hanoi.
    expect(targets.find((t) => t.id === 'staff-onboarding')).toMatchObject({ dueAt: '2024-07-25T17:00:00.000Z', thresholdPercent: 100 });

    const missing = await target({ id: 'onboarding-x', kind: 'staff_onboarding', name: 'Thiếu hạn' });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).message).toMatch(/dueAt is required for a staff_onboarding target/);
    const badCadence = await target({ id: 'cadence-x', kind: 'notice_cadence', name: 'Đăng tin', startsAt: '2026-03-02', everyDays: 0 });
    expect(badCadence.status).toBe(400);
    expect(errorOf(badCadence).message).toMatch(/everyDays must be an integer from 1 to 365/);
    // Two problems: each field is told its own in errors[], the message has both.
    const twoProblems = await target({ id: 'cadence-y', kind: 'notice_cadence', name: 'Đăng tin', everyDays: 0, thresholdPercent: 150 });
    expect(twoProblems.status).toBe(400);
    const byField = Object.fromEntries((errorOf(twoProblems).errors ?? []).map((e) => [e.field, e.problems.join('; ')]));
    expect(Object.keys(byField).sort()).toEqual(['everyDays', 'startsAt', 'thresholdPercent']);
    for (const [field, problems] of Object.entries(byField)) expect([field, problems.split('; ').every((p) => p.startsWith(field))]).toEqual([field, true]);
    const unknownUnit = await target({ id: 'onboarding-y', kind: 'staff_onboarding', name: 'Đơn vị lạ', dueAt: '2026-07-25', unitCodes: ['NO_SUCH'] });
    expect(unknownUnit.status).toBe(422);
    expect((await target({ id: 'onboarding-z', kind: 'staff_onboarding', name: 'Kiểm toán', dueAt: '2026-07-25' }, 'nv.kiemtra')).status).toBe(403);
    // The office reports no residents' adoption: such a target would be late for ever.
    const officeAdoption = await target({ id: 'adoption-vp', kind: 'ward_adoption', name: 'Người dân', dueAt: '2026-08-30', unitCodes: ['VP'] });
    expect(officeAdoption.status).toBe(422);
    expect(errorOf(officeAdoption).message).toMatch(/^unitCodes of a ward_adoption target must be wards/);
    // One stored before that rule is still paused by a PATCH that leaves its units alone; one naming them is judged.
    const made = await target({ id: 'adoption-old', kind: 'ward_adoption', name: 'Người dân', dueAt: '2026-08-30' });
    expect(made.status).toBe(201);
    await engine.query(`UPDATE compliance_targets SET unit_kinds = ARRAY['ward', 'department'] WHERE id = 'adoption-old'`);
    expect((await engine.http().patch('/v1/compliance/targets/adoption-old').set(as('admin')).send({ active: false })).status).toBe(200);
    expect(
      (
        await engine
          .http()
          .patch('/v1/compliance/targets/adoption-old')
          .set(as('admin'))
          .send({ unitKinds: ['department'] })
      ).status,
    ).toBe(400);

    const ok = await target(
      { id: 'onboarding-2026', kind: 'staff_onboarding', name: '100% cán bộ có tài khoản iHaNoi', dueAt: '2026-07-25', unitCodes: [BK, TN] },
      'vp.giamsat',
    );
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ id: 'onboarding-2026', dueAt: '2026-07-25T17:00:00.000Z', thresholdPercent: 100, unitCodes: [BK, TN], active: true });
    expect((await target({ id: 'onboarding-2026', kind: 'staff_onboarding', name: 'Lần hai', dueAt: '2026-07-25' })).status).toBe(409);
    for (const nothing of [{}, { active: null }]) {
      const patch = await engine.http().patch('/v1/compliance/targets/onboarding-2026').set(as('admin')).send(nothing);
      expect(patch.status).toBe(400);
      expect(errorOf(patch).message).toMatch(/^nothing to update: send at least one of name, dueAt/);
    }
    const twoLines = await target({ id: 'two-lines', kind: 'staff_onboarding', name: 'Chỉ tiêu\n=HYPERLINK("x")', dueAt: '2026-07-25' });
    expect(twoLines.status).toBe(400);
    expect(errorOf(twoLines).message).toMatch(/name must be one line/);
  });

  it('puts a unit at 97% onboarding at risk before the deadline and late after it, from the history of its reports', async () => {
    clock.set(vn('2026-07-20T10:00:00'));
    const put = (who: string, unit: string, body: Record<string, unknown>) => engine.http().put(`/v1/units/${unit}/headcount`).set(as(who)).send(body);
    expect((await put('bk.lanhdao', BK, { staff: 100, withAccount: 90, asOf: '2026-07-15' })).status).toBe(200);
    const r97 = await put('bk.xuly', BK, { staff: 100, withAccount: 97, asOf: '2026-07-20' });
    expect(r97.status).toBe(200);
    expect(r97.body).toMatchObject({ unitCode: BK, kind: 'staff', total: 100, withAccount: 97, percent: 97, source: 'unit' });
    // An officer reports for their own unit only; the numbers must make sense; the day must have come.
    expect((await put('tn.lanhdao', BK, { staff: 100, withAccount: 100, asOf: '2026-07-20' })).status).toBe(403);
    expect((await put('nv.kiemtra', BK, { staff: 100, withAccount: 100, asOf: '2026-07-20' })).status).toBe(403);
    const tooMany = await put('bk.lanhdao', BK, { staff: 100, withAccount: 101, asOf: '2026-07-20' });
    expect(tooMany.status).toBe(400);
    expect(errorOf(tooMany).message).toMatch(/withAccount \(101\) must not exceed total \(100\)/);
    const future = await put('bk.lanhdao', BK, { staff: 100, withAccount: 100, asOf: '2026-07-21' });
    expect(future.status).toBe(400);
    expect(errorOf(future).message).toMatch(/asOf must not be in the future/);
    const adoption = await engine.http().put('/v1/units/QLDT/adoption').set(as('admin')).send({ adults: 10, withAccount: 1, asOf: '2026-07-20' });
    expect(adoption.status).toBe(422);

    const history = await engine.http().get(`/v1/units/${BK}/headcount`).set(as('nv.kiemtra'));
    expect((history.body as ApiSchema<'FigureDto'>[]).map((h) => h.percent)).toEqual([97, 90]);

    expect(await entry(BK, 'onboarding-2026')).toMatchObject({ status: 'at_risk', value: 97, target: 100, dueDate: '2026-07-25', met: false });
    // Thanh Nhàn has reported nothing: short too, with no value.
    expect(await entry(TN, 'onboarding-2026')).toMatchObject({ status: 'at_risk', value: null });
    clock.set(vn('2026-07-25T23:59:00'));
    expect(await entry(BK, 'onboarding-2026')).toMatchObject({ status: 'at_risk' });
    clock.set(vn('2026-07-26T00:00:00'));
    expect(await entry(BK, 'onboarding-2026')).toMatchObject({ status: 'late', value: 97, dueAt: '2026-07-25T17:00:00.000Z' });
    // The board as it stood at a past instant, by ?at=: both reports were made on 20/7 at 10:00, so on 16/7 it had none.
    expect(await entry(BK, 'onboarding-2026', '?at=2026-07-16T08:00:00%2B07:00')).toMatchObject({ status: 'at_risk', value: null });
    expect(await entry(BK, 'onboarding-2026', '?at=2026-07-20T11:00:00%2B07:00')).toMatchObject({ status: 'at_risk', value: 97 });
    // A report made after the deadline and dated back before it does not meet the deadline, nor change a past board.
    clock.set(vn('2026-07-27T09:00:00'));
    expect((await put('bk.lanhdao', BK, { staff: 100, withAccount: 100, asOf: '2026-07-24' })).status).toBe(200);
    expect(await entry(BK, 'onboarding-2026')).toMatchObject({ status: 'late', value: 100, met: true, metAt: '2026-07-27T02:00:00.000Z' });
    expect(await entry(BK, 'onboarding-2026', '?at=2026-07-25T12:00:00%2B07:00')).toMatchObject({ status: 'at_risk', value: 97, met: false });
    // A date is the board as at that day, its last instant in Hanoi: on 25/7 the deadline (the end of 25/7) had not passed,
    // on 26/7 it had; the report made on 27/7 is on neither.
    const day25 = await board('?at=2026-07-25');
    expect(day25.at).toBe('2026-07-25T16:59:59.999Z');
    expect(day25.units.find((u) => u.unitCode === BK)?.targets.find((t) => t.targetId === 'onboarding-2026')).toMatchObject({ status: 'at_risk', value: 97 });
    expect(await entry(BK, 'onboarding-2026', '?at=2026-07-26')).toMatchObject({ status: 'late', value: 97, met: false });
    // On 20/7 the reports made at 10:00 that day are seen; on 19/7, none.
    expect(await entry(BK, 'onboarding-2026', '?at=2026-07-20')).toMatchObject({ value: 97 });
    expect(await entry(BK, 'onboarding-2026', '?at=2026-07-19')).toMatchObject({ value: null });
    const bad = await engine.http().get('/v1/compliance/board?at=26/07/2026').set(as('nv.kiemtra'));
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toBe(
      'at must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00',
    );
  });

  it("imports the office's CSV all or nothing, naming each bad line", async () => {
    clock.set(vn('2026-07-26T09:00:00'));
    const post = (csv: string) => engine.http().post('/v1/compliance/figures').set(as('vp.giamsat')).set('Content-Type', 'text/csv').send(csv);
    const bad = await post('unit_code,kind,total,with_account,as_of\r\nP_THANH_NHAN,staff,80,81,2026-07-24\r\nP_THANH_NHAN,crowd,80,10,2026-07-24\r\n');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/line 2: with_account \(81\) must not exceed total \(80\)/);
    expect(errorOf(bad).message).toMatch(/line 3: kind must be one of staff, adoption/);
    const nul = await post('unit_code,kind,total,with_account,as_of\nP_THANH_NHAN\u0000,staff,80,80,2026-07-24\n');
    expect(nul.status).toBe(400);
    expect(errorOf(nul).message).toMatch(/line 2: a value holds a NUL character/);
    const notWard = await post('unit_code,kind,total,with_account,as_of\nQLDT,adoption,80,10,2026-07-24\n');
    expect(notWard.status).toBe(422);
    expect(errorOf(notWard).message).toMatch(/line 2: adoption figures are a ward's \(QLDT is a department\)/);
    expect((await engine.query(`SELECT 1 FROM unit_figures WHERE unit_code IN ('P_THANH_NHAN', 'QLDT')`)).length).toBe(0);
    const ok = await post(
      '\uFEFFunit_code,kind,total,with_account,as_of\r\nP_THANH_NHAN,staff,80,80,2026-07-24\r\nP_THANH_NHAN,adoption,9000,5400,2026-07-24\r\n',
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ imported: 2 });
    expect(await entry(TN, 'onboarding-2026')).toMatchObject({ status: 'on_track', value: 100, met: true });
    expect((await engine.http().post('/v1/compliance/figures').set(as('tn.lanhdao')).set('Content-Type', 'text/csv').send('x')).status).toBe(403);
    // A CSV sent where JSON is expected is a 415 (only the import reads CSV), not a server error; JSON sent to the import is told what to send.
    expect((await engine.http().post('/v1/compliance/targets').set(as('admin')).set('Content-Type', 'text/csv').send('id,kind\r\na,b\r\n')).status).toBe(415);
    const json = await engine.http().post('/v1/compliance/figures').set(as('vp.giamsat')).send({ csv: 'unit_code' });
    expect(json.status).toBe(400);
    expect(errorOf(json).message).toMatch(/send the figures as text\/csv/);
  });

  it('imports a CSV as a spreadsheet under Vietnamese settings saves it: every value quoted, separated by ;', async () => {
    clock.set(vn('2026-07-27T09:00:00'));
    const post = (csv: string) => engine.http().post('/v1/compliance/figures').set(as('vp.giamsat')).set('Content-Type', 'text/csv').send(csv);
    const excel = '\uFEFF"unit_code";"kind";"total";"with_account";"as_of"\r\n"P_THANH_NHAN";"staff";"82";"81";"2026-07-26"\r\n';
    const ok = await post(excel);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ imported: 1 });
    expect(await engine.query(`SELECT total, with_account FROM unit_figures WHERE unit_code = 'P_THANH_NHAN' AND total = 82`)).toEqual([
      { total: 82, with_account: 81 },
    ]);
    // A quote left open is named by its line, and nothing of the file is stored.
    const open = await post('unit_code;kind;total;with_account;as_of\r\nP_THANH_NHAN;staff;83;80;2026-07-26\r\nQLDT;"staff;83;80;2026-07-26\r\n');
    expect(open.status).toBe(400);
    expect(errorOf(open).message).toMatch(/line 3: a quoted value is not closed/);
    expect(await engine.query(`SELECT 1 FROM unit_figures WHERE total = 83`)).toEqual([]);
    // A header that cannot be read is told so, not as a missing header.
    const header = await post('"unit_code;kind;total;with_account;as_of\r\nP_THANH_NHAN;staff;83;80;2026-07-26\r\n');
    expect(errorOf(header).message).toBe('line 1: a quoted value is not closed (a " is missing)');
    // A line with the other separator is told which one the file uses.
    const mixed = await post('unit_code;kind;total;with_account;as_of\r\nP_THANH_NHAN,staff,84,80,2026-07-26\r\n');
    expect(errorOf(mixed).message).toMatch(/line 2: expected 5 values separated by ';', got 1/);
  });

  it('refuses in an import a count not written in plain digits, a figure stated twice and a date outside 2000-2099, storing nothing', async () => {
    clock.set(vn('2026-07-26T09:00:00'));
    const post = (lines: string[]) =>
      engine
        .http()
        .post('/v1/compliance/figures')
        .set(as('vp.giamsat'))
        .set('Content-Type', 'text/csv')
        .send(['unit_code,kind,total,with_account,as_of', ...lines, ''].join('\r\n'));
    // The message is cut at 500 characters; errors[].problems carries every line's problem.
    const problems = (res: { body: unknown }) => (errorOf(res).errors ?? []).flatMap((e) => e.problems).join('; ');
    const stored = async () => (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM unit_figures`))[0].n;
    const before = await stored();

    // Phường Đống Mác's head count as a spreadsheet or a hurried hand may write it.
    const counts = await post([
      'P_DONG_MAC,staff,1e3,40,2026-07-24',
      'P_DONG_MAC,staff,0x10,0,2026-07-23',
      'P_DONG_MAC,staff,1.0,1,2026-07-22',
      'P_DONG_MAC,staff,+5,1,2026-07-21',
      'P_DONG_MAC,staff,50,-1,2026-07-20',
      'P_DONG_MAC,staff,,1,2026-07-19',
      'P_DONG_MAC,staff,99999999999,1,2026-07-18',
      'P_DONG_MAC,staff,"50"," 40",2026-07-17',
      'P_DONG_MAC,staff,50,40,2026-07-16',
    ]);
    expect(counts.status).toBe(400);
    const countsMessage = problems(counts);
    expect(countsMessage).toMatch(/line 2: total must be written in digits 0-9 only, such as 80, got '1e3'/);
    expect(countsMessage).toMatch(/line 3: total must be written in digits 0-9 only, such as 80, got '0x10'/);
    expect(countsMessage).toMatch(/line 4: total must be written in digits 0-9 only, such as 80, got '1\.0'/);
    expect(countsMessage).toMatch(/line 5: total must be written in digits 0-9 only, such as 80, got '\+5'/);
    expect(countsMessage).toMatch(/line 6: with_account must be written in digits 0-9 only, such as 80, got '-1'/);
    expect(countsMessage).toMatch(/line 7: total is empty: write the count in digits/);
    expect(countsMessage).toMatch(/line 8: total must be at most 10000000, got 99999999999/);
    // Padding around a cell goes, but a space inside quotes is part of the value.
    expect(countsMessage).toMatch(/line 9: with_account must be written in digits 0-9 only, such as 80, got ' 40'/);
    expect(countsMessage).not.toMatch(/line 10/);

    // The same unit, kind and as_of twice (a date and its first instant in Hanoi are the same as_of).
    const twice = await post([
      'P_BACH_MAI,staff,60,55,2026-07-24',
      'P_DONG_MAC,staff,50,40,2026-07-24',
      'P_BACH_MAI,staff,60,58,2026-07-24T00:00:00+07:00',
      'P_DONG_MAC,staff,50,40,2026-07-24',
      'P_DONG_MAC,staff,50,45,2026-07-25',
    ]);
    expect(twice.status).toBe(400);
    const twiceMessage = problems(twice);
    expect(twiceMessage).toMatch(
      /line 2 and line 4 both state P_BACH_MAI staff as of 2026-07-24 with different counts \(total 60, with_account 55 against total 60, with_account 58\)/,
    );
    expect(twiceMessage).toMatch(/line 5 repeats line 3 exactly \(P_DONG_MAC staff as of 2026-07-24: total 50, with_account 40\): delete the copy/);
    expect(twiceMessage).not.toMatch(/line 6/);

    const dates = await post([
      'P_DONG_MAC,staff,50,40,1999-12-01',
      'P_DONG_MAC,staff,50,40,2026-02-30',
      'P_DONG_MAC,staff,50,40,2026-02-30T10:00:00+07:00',
      'P_DONG_MAC,staff,50,40,2000-01-01T06:59:59+07:00',
      'P_DONG_MAC,staff,50,40,2026-07-24T24:00:00+07:00',
    ]);
    expect(dates.status).toBe(400);
    const datesMessage = problems(dates);
    expect(datesMessage).toMatch(/line 2: as_of must be between the years 2000 and 2099, got '1999-12-01'/);
    expect(datesMessage).toMatch(/line 3: as_of '2026-02-30' is not a real date/);
    expect(datesMessage).toMatch(/line 4: as_of '2026-02-30T10:00:00\+07:00' is not a real date and time/);
    expect(datesMessage).toMatch(/line 5: as_of must be between the years 2000 and 2099, got '2000-01-01T06:59:59\+07:00'/);
    expect(datesMessage).toMatch(/line 6: as_of '2026-07-24T24:00:00\+07:00' is not a real date and time/);
    // A unit's own report keeps to the same years.
    const old = await engine.http().put('/v1/units/P_DONG_MAC/headcount').set(as('vp.giamsat')).send({ staff: 50, withAccount: 40, asOf: '1999-12-01' });
    expect(old.status).toBe(400);
    expect(errorOf(old).message).toMatch(/asOf must be between the years 2000 and 2099/);
    // A number where the date goes is told what a date looks like, not about its length.
    const numeric = await engine.http().put('/v1/units/P_DONG_MAC/headcount').set(as('vp.giamsat')).send({ staff: 50, withAccount: 40, asOf: 1772409600000 });
    expect(numeric.status).toBe(400);
    expect(errorOf(numeric).message).toBe(
      'asOf must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00',
    );
    expect(await stored()).toBe(before);

    // What is right still imports: padded and quoted cells, the first day of 2000, one kind each per day.
    const ok = await post(['P_DONG_MAC, staff , 50 ,"40",2026-07-24', 'P_DONG_MAC,adoption,8000,5000,2026-07-24', 'P_BACH_MAI,staff,60,58,2000-01-01']);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ imported: 3 });
    const history = await engine.http().get('/v1/units/P_DONG_MAC/headcount').set(as('nv.kiemtra'));
    expect(history.body as ApiSchema<'FigureDto'>[]).toEqual([expect.objectContaining({ total: 50, withAccount: 40, source: 'import' })]);
  });

  it('names every problem of an import in one answer: malformed lines and unknown units together, each under its line and column, at most 50', async () => {
    clock.set(vn('2026-07-26T09:00:00'));
    const post = (lines: string[]) =>
      engine
        .http()
        .post('/v1/compliance/figures')
        .set(as('vp.giamsat'))
        .set('Content-Type', 'text/csv')
        .send(['unit_code,kind,total,with_account,as_of', ...lines, ''].join('\r\n'));
    const byField = (res: { body: unknown }) => Object.fromEntries((errorOf(res).errors ?? []).map((e) => [e.field, e.problems]));
    const stored = async () => (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM unit_figures`))[0].n;
    const before = await stored();
    // A clerk's sheet names wards as people say them; decomposed, as some keyboards type the marks, it is quoted back as typed.
    const decomposed = 'Phường Bạch Mai'.normalize('NFD');

    // A malformed count, a unit by its name, adoption for a department, a line wrong twice: one 400 says all of it.
    const mixed = await post([
      'P_DONG_MAC,staff,1e3,40,2026-07-24',
      'Phường Đống Mác,staff,50,40,2026-07-24',
      'QLDT,adoption,80,10,2026-07-24',
      'P_KHONG_CO,staff,50,40,2026-02-30',
      'P_BACH_MAI,staff,60,58,2026-07-24',
      `${decomposed},staff,60,58,2026-07-23`,
      '"Phường Khương Đình, quận Thanh Xuân",staff,70,70,2026-07-24',
    ]);
    expect(mixed.status).toBe(400);
    expect((errorOf(mixed).errors ?? []).map((e) => e.field)).toEqual([
      'line 2.total',
      'line 3.unit_code',
      'line 4.unit_code',
      'line 5.unit_code',
      'line 5.as_of',
      'line 7.unit_code',
      'line 8.unit_code',
    ]);
    expect(byField(mixed)).toMatchObject({
      'line 2.total': ["line 2: total must be written in digits 0-9 only, such as 80, got '1e3'"],
      'line 3.unit_code': ["line 3: unit_code 'Phường Đống Mác' is not an active unit"],
      'line 4.unit_code': ["line 4: adoption figures are a ward's (QLDT is a department)"],
      'line 5.unit_code': ["line 5: unit_code 'P_KHONG_CO' is not an active unit"],
      'line 5.as_of': [expect.stringMatching(/^line 5: as_of '2026-02-30' is not a real date/)],
      'line 7.unit_code': [`line 7: unit_code '${decomposed}' is not an active unit`],
      'line 8.unit_code': ["line 8: unit_code 'Phường Khương Đình, quận Thanh Xuân' is not an active unit"],
    });
    expect(errorOf(mixed).message).toMatch(
      /^line 2: total must be written in digits 0-9 only, such as 80, got '1e3'; line 3: unit_code 'Phường Đống Mác' is not/,
    );

    // Nothing malformed: the unknown and refused units alone, 422, every one named.
    const units = await post(['Phường Đống Mác,staff,50,40,2026-07-24', 'P_BACH_MAI,staff,60,58,2026-07-24', 'QLDT,adoption,80,10,2026-07-24']);
    expect(units.status).toBe(422);
    expect(byField(units)).toEqual({
      'line 2.unit_code': ["line 2: unit_code 'Phường Đống Mác' is not an active unit"],
      'line 4.unit_code': ["line 4: adoption figures are a ward's (QLDT is a department)"],
    });
    expect(errorOf(units).message).toBe(
      "line 2: unit_code 'Phường Đống Mác' is not an active unit; line 4: adoption figures are a ward's (QLDT is a department)",
    );

    // An empty unit_code (a blank cell, or spaces) is the file's to mend, like an empty count: 400, not told as an unknown unit.
    const blank = await post([',staff,50,40,2026-07-24', '  ;staff;60;58;2026-07-24'.replace(/;/g, ','), 'P_BACH_MAI,staff,60,58,2026-07-24']);
    expect(blank.status).toBe(400);
    expect(byField(blank)).toEqual({
      'line 2.unit_code': ["line 2: unit_code is empty: write the unit's code, such as P_BACH_MAI"],
      'line 3.unit_code': ["line 3: unit_code is empty: write the unit's code, such as P_BACH_MAI"],
    });

    // A hostile file just under the 2 MB a CSV body may have: 3,000 unknown units of 300 letters each. The answer
    // lists the first 50, each value quoted to its first 80 characters, and says how many there were.
    const longName = 'Đ'.repeat(300);
    const day = (i: number) => new Date(Date.UTC(2018, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const flood = await post(Array.from({ length: 3000 }, (_, i) => `${longName},staff,50,40,${day(i)}`));
    expect(flood.status).toBe(422);
    expect(errorOf(flood).errors).toHaveLength(50);
    expect(errorOf(flood).errors?.[0]).toEqual({ field: 'line 2.unit_code', problems: [`line 2: unit_code '${'Đ'.repeat(80)}…' is not an active unit`] });
    expect(errorOf(flood).message).toMatch(/^3000 problems, the first 50 in errors: line 2: unit_code 'Đ/);
    expect(JSON.stringify(flood.body).length).toBeLessThan(20_000);
    // 50,000 malformed lines: the limit on lines first, then the first lines' problems, and no more.
    const lines = await post(Array.from({ length: 50_000 }, () => 'P_DONG_MAC,staff,1e3,40,2026-07-24'));
    expect(lines.status).toBe(400);
    expect(errorOf(lines).errors?.[0]).toEqual({ field: 'csv', problems: ['at most 10000 lines per import'] });
    expect((errorOf(lines).errors ?? []).flatMap((e) => e.problems)).toHaveLength(50);
    expect(errorOf(lines).message).toMatch(/^50001 problems, the first 50 in errors: at most 10000 lines per import; line 2: total/);
    expect(JSON.stringify(lines.body).length).toBeLessThan(20_000);
    expect(await stored()).toBe(before);
  });

  it('counts a focal point once its account has been used: officers who logged in, not seeded accounts never opened', async () => {
    const res = await target({ id: 'focal-2026', kind: 'designation', name: 'Cử đầu mối', dueAt: '2026-07-10', unitCodes: [TN, 'VP'] });
    expect(res.status).toBe(201);
    // First log-ins are bookkeeping, stamped by PostgreSQL at the real time: look from far ahead.
    const later = '?at=2099-01-01T00:00:00Z';
    // Thanh Nhàn's designees logged in when they were created.
    expect(await entry(TN, 'focal-2026', later)).toMatchObject({ value: 2, target: 2, met: true });
    // The office's seeded designees have no password yet, so their accounts were never used.
    expect(await entry('VP', 'focal-2026', later)).toMatchObject({ status: 'late', value: 0, met: false });
    // Before the deadline, by the engine's clock, a missing focal point is a risk.
    clock.set(vn('2026-07-01T09:00:00'));
    expect(await entry('VP', 'focal-2026')).toMatchObject({ status: 'at_risk', value: 0, dueDate: '2026-07-10' });
    await engine.http().patch('/v1/compliance/targets/focal-2026').set(as('admin')).send({ active: false }).expect(200);
  });

  it('keeps a ward that published on day 0 on track on day 3 and late on day 4; its leader is told once on day 4, the supervisors once at the next level', async () => {
    // Day 0 is Monday 2 March 2026; day 4, Friday 6 March, is a working day.
    const day = (n: number, time: string) => new Date(vn(`2026-03-02T${time}`).getTime() + n * 86_400_000);
    clock.set(day(0, '08:00:00'));
    const res = await target({
      id: 'notices-3d',
      kind: 'notice_cadence',
      name: 'Đăng tin ít nhất 3 ngày một lần',
      startsAt: '2026-03-02',
      everyDays: 3,
      unitCodes: [BK],
    });
    expect(res.status).toBe(201);
    clock.set(day(0, '10:00:00'));
    const notice = await engine
      .http()
      .post('/v1/notices')
      .set(as('bk.lanhdao'))
      .send({ title: 'Lịch thu gom rác tuần này', body: 'Tổ dân phố số 3 thu gom rác lúc 20 giờ.', kind: 'information' });
    expect(notice.status).toBe(201);
    expect((notice.body as ApiSchema<'NoticeDto'>).publishedAt).toBe(day(0, '10:00:00').toISOString());

    clock.set(day(3, '23:00:00'));
    expect(await entry(BK, 'notices-3d')).toMatchObject({ status: 'on_track', value: 3, target: 3, dueDate: '2026-03-05', notices: 1, gaps: [] });
    clock.set(day(4, '09:00:00'));
    expect(await entry(BK, 'notices-3d')).toMatchObject({
      status: 'late',
      value: 4,
      dueDate: '2026-03-05',
      gaps: [{ from: '2026-03-06', to: null, days: 1 }],
    });

    // An integrator's webhook subscribed to compliance alerts hears of each level once, signed.
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(as('admin'))
      .send({ url: `${rx.url}/compliance`, events: ['compliance'] });
    expect(hook.status).toBe(201);
    rx.trust('/compliance', (hook.body as ApiSchema<'RegisteredWebhookDto'>).secret!);
    const alerts = engine.worker!.get(RaiseComplianceAlerts);
    const pass = () =>
      waitFor(
        () => alerts.runOnce(),
        (r) => r !== null,
        { what: 'a compliance alert pass' },
      );
    const inbox = async (who: string) =>
      ((await engine.http().get('/v1/notifications?limit=100').set(as(who))).body as ApiSchema<'NotificationPageDto'>).items.filter((n) =>
        n.kind.startsWith('compliance.'),
      );
    expect(await pass()).toEqual({ alerts: 1, notifications: 1 });
    expect(await pass()).toEqual({ alerts: 0, notifications: 0 });
    const told = await inbox('bk.lanhdao');
    expect(told).toEqual([expect.objectContaining({ kind: 'compliance.1', title: expect.stringContaining('Phường Bách Khoa') as unknown })]);
    expect(told[0].body).toContain('hạn 05/03/2026');
    expect(await inbox('vp.giamsat')).toEqual([]);
    expect(await inbox('bk.xuly')).toEqual([]);

    // Level 2 is a working day past the missed deadline: Friday 17:00.
    clock.set(day(4, '16:59:00'));
    expect(await pass()).toEqual({ alerts: 0, notifications: 0 });
    clock.set(day(5, '09:00:00'));
    const supervisors = await engine.query<{ n: string }>(`SELECT count(*) AS n FROM officers WHERE role = 'SUPERVISOR' AND active`);
    expect(await pass()).toEqual({ alerts: 1, notifications: Number(supervisors[0].n) });
    expect(await pass()).toEqual({ alerts: 0, notifications: 0 });
    expect((await inbox('vp.giamsat')).map((n) => n.kind)).toEqual(['compliance.2']);
    const heard = await waitFor(
      async () => rx.calls.filter((c) => c.path === '/compliance'),
      (c) => c.length >= 2,
      { what: 'both alert deliveries' },
    );
    expect(heard.map((c) => c.verifiedWith)).toEqual([0, 0]);
    expect(heard.flatMap((c) => apiContract(engine.api).webhookProblems(c))).toEqual([]);
    expect(
      heard
        .map((c) => JSON.parse(c.body) as { event: string; targetId: string; unit: { code: string }; level: string; dueAt: string })
        .map((b) => [b.event, b.targetId, b.unit.code, b.level, b.dueAt])
        .sort((a, b) => a[3].localeCompare(b[3])),
    ).toEqual([
      ['compliance', 'notices-3d', BK, '1', '2026-03-05T17:00:00.000Z'],
      ['compliance', 'notices-3d', BK, '2', '2026-03-05T17:00:00.000Z'],
    ]);
    expect(await inbox('bk.lanhdao')).toHaveLength(1);
    const trail = await engine.query<{ data: Record<string, unknown> }>(`SELECT data FROM audit_events WHERE action = 'compliance_alert' ORDER BY id`);
    expect(trail.map((e) => [e.data.targetId, e.data.unitCode, e.data.level])).toEqual([
      ['notices-3d', BK, '1'],
      ['notices-3d', BK, '2'],
    ]);

    // A notice on day 6 ends the gap: the board is on track again, and nobody is told anything more.
    clock.set(day(6, '08:30:00'));
    expect(
      (await engine.http().post('/v1/notices').set(as('bk.xuly')).send({ title: 'Cảnh báo ngập', body: 'Mưa lớn chiều nay.', kind: 'warning', urgent: true }))
        .status,
    ).toBe(201);
    expect(await entry(BK, 'notices-3d')).toMatchObject({ status: 'on_track', value: 0, gaps: [{ from: '2026-03-06', to: '2026-03-07', days: 2 }] });
    expect(await pass()).toEqual({ alerts: 0, notifications: 0 });
    // As at day 6 (a date): the end of that day, so the notice of 08:30 counts; from a date: from that day's midnight.
    expect(await entry(BK, 'notices-3d', '?at=2026-03-08')).toMatchObject({ status: 'on_track', value: 0, notices: 2 });
    expect(await entry(BK, 'notices-3d', '?at=2026-03-08&from=2026-03-08')).toMatchObject({ notices: 1 });
    expect(await entry(BK, 'notices-3d', '?at=2026-03-07')).toMatchObject({ status: 'late', value: 5, gaps: [{ from: '2026-03-06', to: null, days: 2 }] });
    const view = await engine.http().get('/board/view?at=2026-03-08&from=2026-03-02').set(as('nv.kiemtra'));
    expect(view.status).toBe(200);
    const after = await engine.http().get('/v1/compliance/board?at=2026-03-07&from=2026-03-08').set(as('nv.kiemtra'));
    expect(after.status).toBe(400);
    expect(errorOf(after).message).toMatch(/^from \(2026-03-07T17:00:00.000Z\) is after at \(2026-03-07T16:59:59.999Z\)/);
  });

  it('serves the board as CSV and joins the targets to the quarterly unit report, JSON and CSV', async () => {
    clock.set(vn('2026-04-02T09:00:00'));
    const csv = await engine.http().get('/v1/compliance/board?format=csv').set(as('vp.giamsat'));
    // The HTML view has no CSV: its format is refused rather than ignored.
    const view = await engine.http().get('/board/view?format=csv').set(as('vp.giamsat'));
    expect(view.status).toBe(400);
    expect(errorOf(view).message).toBe('property format should not exist: it takes at, from');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const header = lines[0].split(',');
    expect(header.slice(0, 9)).toEqual(['unit_code', 'unit_name', 'unit_kind', 'target_id', 'target_kind', 'status', 'value', 'target', 'due_at']);
    const row = Object.fromEntries(
      lines
        .find((l) => l.startsWith(`${BK},`) && l.includes(',notices-3d,'))!
        .split(',')
        .map((v, i) => [header[i], v]),
    );
    expect(row).toMatchObject({ status: 'late', target: '3', notices: '2' });
    expect((await engine.http().get('/v1/compliance/board').set(as('bk.lanhdao'))).status).toBe(403);

    // The first quarter: evaluated at its end (31/3), so Bách Khoa's last notice (8/3) is 23 days old.
    const report = await engine.http().get('/v1/audits/units?from=2026-01-01&to=2026-03-31').set(as('nv.kiemtra'));
    expect(report.status).toBe(200);
    const metrics = report.body as ApiSchema<'UnitMetricsReportDto'>;
    expect(metrics.targets.map((t) => t.id)).toEqual(['notices-3d', 'onboarding-2026']);
    const bk = metrics.units.find((u) => u.unitCode === BK);
    expect(bk!.notices).toBe(2);
    expect(bk!.targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ targetId: 'notices-3d', status: 'late', value: 23, notices: 2 }),
        expect.objectContaining({ targetId: 'onboarding-2026', status: 'at_risk', value: null, dueDate: '2026-07-25' }),
      ]),
    );
    const qcsv = await engine.http().get('/v1/audits/units?from=2026-01-01&to=2026-03-31&format=csv').set(as('nv.kiemtra'));
    const qlines = qcsv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const qheader = qlines[0].split(',');
    expect(qheader).toEqual(
      expect.arrayContaining([
        'received',
        'on_time_rate_percent',
        'notices',
        'target_notices-3d_status',
        'target_notices-3d_value',
        'target_onboarding-2026_due_date',
      ]),
    );
    const qbk = Object.fromEntries(
      qlines
        .find((l) => l.startsWith(`${BK},`))!
        .split(',')
        .map((v, i) => [qheader[i], v]),
    );
    expect(qbk).toMatchObject({
      notices: '2',
      'target_notices-3d_status': 'late',
      'target_notices-3d_value': '23',
      'target_onboarding-2026_status': 'at_risk',
    });
    const qdept = Object.fromEntries(
      qlines
        .find((l) => l.startsWith('QLDT,'))!
        .split(',')
        .map((v, i) => [qheader[i], v]),
    );
    expect(qdept).toMatchObject({ notices: '0', 'target_notices-3d_status': '' });
  });

  it('judges the units of the instant asked: a unit ended since is on a past board, one made since is not', async () => {
    const at = '?at=2026-07-16T08:00:00%2B07:00';
    const units = async (query: string) => (await board(query)).units.map((u) => u.unitCode);
    await engine.query(`UPDATE units SET active = false, valid_to = '2026-08-01T00:00:00+07:00' WHERE code = $1`, [TN]);
    await engine.query(`UPDATE units SET valid_from = '2026-08-01T00:00:00+07:00' WHERE code = $1`, [BK]);
    try {
      expect(await units(at)).toContain(TN);
      expect(await units(at)).not.toContain(BK);
      const later = '?at=2026-09-01T00:00:00%2B07:00';
      expect(await units(later)).not.toContain(TN);
      expect(await units(later)).toContain(BK);
    } finally {
      await engine.query(`UPDATE units SET active = true, valid_to = NULL WHERE code = $1`, [TN]);
      await engine.query(`UPDATE units SET valid_from = NULL WHERE code = $1`, [BK]);
    }
  });
});
