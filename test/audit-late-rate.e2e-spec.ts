import { DataSource } from 'typeorm';
import { GetUnitMetrics, parsePeriod, UnitMetricsReport } from '@fr/audit';
import { OfficerRole } from '@fr/domain';
import { appendAuditEventsInBulk } from '@fr/persistence';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';

/** A wall-clock time in Hanoi (+07:00). */
const vn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+07:00`);

const BK = 'P_BACH_KHOA';
const TN = 'P_THANH_NHAN';
const VP = 'VP';

type Report = UnitMetricsReport;
const unitOf = (r: Report, code: string) => r.units.find((u) => u.unitCode === code)!;

/**
 * The late rate (DOMAIN.md "Quality audit"): a unit that lets a case go late and then passes it on
 * (transfer, or return to triage) keeps it in its late rate, as due and late in the period of the
 * hand-over; and a case counts once per unit in due and late, however many of resolved, passed on late
 * and open past its deadline it is.
 *
 * 3-14 March 2025 (no holidays), as the hand-built fixture of audit-metrics.e2e-spec.ts:
 * L1 BK -> TN: routed Mon 3/3 09:00, ack 10:00 (resolve due Mon 3/10 10:00); BK transfers it Tue 3/11
 *    09:00, its deadline passed: passed on late. TN acknowledges 10:00, resolves Thu 3/13 10:00 on time.
 * L2 BK -> TN: routed Tue 3/4 09:00 (receive due Wed 09:00), transferred 11:00 in time; TN resolves
 *    Thu 3/6 10:00 on time.
 * L3 TN: routed Mon 3/3 14:00, ack 15:00, resolved Tue 3/11 10:00 late; rated 1 Wed 3/12 09:00, which
 *    reopened it with a day to answer (due Thu 3/13 09:00); still open at the end: overdue.
 * L4 BK -> VP -> TN: routed Wed 3/5 09:00 (receive due Thu 09:00), returned unacknowledged Fri 3/7
 *    09:00: passed on late; triage assigns it to TN 10:00, TN acknowledges 11:00, resolves Mon 3/10 on time.
 */
describe('the late rate: cases passed on late, and each case once (hand-built fixture)', () => {
  let engine: TestEngine;
  let auditor: string;
  const ids: Record<string, string> = {};

  const CASES: Record<string, { received: string; status: string; unit: string; rating?: [number, string]; resolved?: string }> = {
    L1: { received: '2025-03-03 09:00', status: 'resolved', unit: TN, resolved: '2025-03-13 10:00' },
    L2: { received: '2025-03-04 09:00', status: 'resolved', unit: TN, resolved: '2025-03-06 10:00' },
    L3: { received: '2025-03-03 14:00', status: 'in_progress', unit: TN, rating: [1, '2025-03-12 09:00'], resolved: '2025-03-11 10:00' },
    L4: { received: '2025-03-05 09:00', status: 'resolved', unit: TN, resolved: '2025-03-10 10:00' },
  };
  /** [case, unit, reason, start, end, deadline in force for the unit before at the hand-over] */
  const ASSIGNMENTS: [string, string, string, string, string | null, string | null][] = [
    ['L1', BK, 'route', '2025-03-03 09:00', '2025-03-11 09:00', null],
    ['L1', TN, 'transfer', '2025-03-11 09:00', null, '2025-03-10 10:00'],
    ['L2', BK, 'route', '2025-03-04 09:00', '2025-03-04 11:00', null],
    ['L2', TN, 'transfer', '2025-03-04 11:00', null, '2025-03-05 09:00'],
    ['L3', TN, 'route', '2025-03-03 14:00', null, null],
    ['L4', BK, 'route', '2025-03-05 09:00', '2025-03-07 09:00', null],
    ['L4', VP, 'return', '2025-03-07 09:00', '2025-03-07 10:00', '2025-03-06 09:00'],
    ['L4', TN, 'assign', '2025-03-07 10:00', null, null],
  ];
  const STATE_LOG: [string, string, string, string, string | null][] = [
    ['L1', '2025-03-03 10:00', 'in_progress', BK, '2025-03-10 10:00'],
    ['L1', '2025-03-11 09:00', 'assigned', TN, '2025-03-12 09:00'],
    ['L1', '2025-03-11 10:00', 'in_progress', TN, '2025-03-18 10:00'],
    ['L1', '2025-03-13 10:00', 'resolved', TN, null],
    ['L2', '2025-03-04 09:00', 'assigned', BK, '2025-03-05 09:00'],
    ['L2', '2025-03-04 11:00', 'assigned', TN, '2025-03-05 11:00'],
    ['L2', '2025-03-06 10:00', 'resolved', TN, null],
    ['L3', '2025-03-03 15:00', 'in_progress', TN, '2025-03-10 15:00'],
    ['L3', '2025-03-11 10:00', 'resolved', TN, null],
    ['L3', '2025-03-12 09:00', 'in_progress', TN, '2025-03-13 09:00'],
    ['L4', '2025-03-05 09:00', 'assigned', BK, '2025-03-06 09:00'],
    ['L4', '2025-03-07 09:00', 'triage', VP, '2025-03-10 09:00'],
    ['L4', '2025-03-07 11:00', 'in_progress', TN, '2025-03-14 11:00'],
    ['L4', '2025-03-10 10:00', 'resolved', TN, null],
  ];
  const EVENTS: [string, string, string, Record<string, unknown>][] = [
    ['L1', 'acknowledge', '2025-03-03 10:00', { severity: 'normal' }],
    ['L3', 'acknowledge', '2025-03-03 15:00', { severity: 'normal' }],
    ['L2', 'transfer', '2025-03-04 11:00', { fromUnit: BK, toUnit: TN }],
    ['L2', 'resolve', '2025-03-06 10:00', { onTime: true }],
    ['L4', 'return', '2025-03-07 09:00', {}],
    ['L4', 'assign', '2025-03-07 10:00', { toUnit: TN }],
    ['L4', 'acknowledge', '2025-03-07 11:00', { severity: 'normal' }],
    ['L4', 'resolve', '2025-03-10 10:00', { onTime: true }],
    ['L1', 'transfer', '2025-03-11 09:00', { fromUnit: BK, toUnit: TN }],
    ['L1', 'acknowledge', '2025-03-11 10:00', { severity: 'normal' }],
    ['L3', 'resolve', '2025-03-11 10:00', { onTime: false }],
    ['L3', 'rate', '2025-03-12 09:00', { score: 1 }],
    ['L3', 'reopen', '2025-03-12 09:00', {}],
    ['L1', 'resolve', '2025-03-13 10:00', { onTime: true }],
  ];

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { FR_AUDIT_SEAL_BOUND_SECONDS: '3600' } });
    const admin = await adminToken(engine);
    auditor = (await createOfficer(engine, admin, { username: 'late.auditor', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    for (const [i, [key, c]] of Object.entries(CASES).entries()) {
      const [row] = await engine.query<{ id: string }>(
        `INSERT INTO cases (tracking_code, channel_code, category_code, description, citizen_name, citizen_phone, status, unit_code,
                            submitted_at, received_at, routed_at, rating, rated_at, resolved_at)
         VALUES ($1, 'ihanoi', 'sidewalk_encroachment', 'Lấn chiếm vỉa hè', 'Nguyễn Văn Mẫu', '0900000000', $2, $3, $4, $4, $4, $5, $6, $7)
         RETURNING id`,
        [`LR000-0000${i + 1}`, c.status, c.unit, vn(c.received), c.rating?.[0] ?? null, c.rating ? vn(c.rating[1]) : null, c.resolved ? vn(c.resolved) : null],
      );
      ids[key] = row.id;
    }
    for (const [key, unit, reason, start, end, due] of ASSIGNMENTS) {
      await engine.query(`INSERT INTO assignments (case_id, unit_code, reason, started_at, ended_at, passed_due_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
        ids[key],
        unit,
        reason,
        vn(start),
        end ? vn(end) : null,
        due ? vn(due) : null,
      ]);
    }
    // The insert above logged each case's present state at now() (after the period); the history is ours.
    for (const [key, at, status, unit, due] of STATE_LOG) {
      await engine.query(`INSERT INTO case_state_log (case_id, at, status, unit_code, due_at) VALUES ($1, $2, $3, $4, $5)`, [
        ids[key],
        vn(at),
        status,
        unit,
        due ? vn(due) : null,
      ]);
    }
    const rows = EVENTS.map(([key, action, at, data], i) => ({
      n: i + 1,
      case_id: ids[key],
      actor: 'officer:fixture',
      action,
      from_state: null,
      to_state: null,
      reason: null,
      data,
      occurred_at: vn(at).toISOString(),
    }));
    await engine.api.get(DataSource).transaction((m) =>
      appendAuditEventsInBulk(
        m,
        `SELECT * FROM json_to_recordset($1::json) AS s(n bigint, case_id uuid, actor text, action text, from_state text,
                                                        to_state text, reason text, data jsonb, occurred_at timestamptz)`,
        [JSON.stringify(rows)],
      ),
    );
  }, 120_000);
  afterAll(() => engine?.close());

  const period = () => parsePeriod('2025-03-03', '2025-03-14');

  it('counts the cases a unit passed on late as due and late for it, from the daily facts as from the raw data', async () => {
    const metrics = engine.api.get(GetUnitMetrics);
    const now = new Date();
    const raw = await metrics.execute(period(), now, 'raw');
    const facts = await metrics.execute(period(), now, 'facts');
    expect(facts).toEqual(raw);
    // L1 transferred and L4 returned after their deadlines; L2 transferred in time is not due for BK.
    expect(unitOf(raw, BK)).toMatchObject({
      received: 3,
      resolved: 0,
      open: 0,
      transfersOut: 2,
      returns: 1,
      passedOnLate: 2,
      onTime: { due: 2, late: 2, lateRate: 100, onTimeRate: 0 },
    });
    // The receiving units are judged on their own clocks: TN answered L1, L2 and L4 in time.
    expect(unitOf(raw, VP)).toMatchObject({ received: 1, passedOnLate: 0, onTime: { due: 0, late: 0 } });
  });

  it('counts a case resolved late, reopened and open past its new deadline once in due and in late', async () => {
    const metrics = engine.api.get(GetUnitMetrics);
    for (const source of ['raw', 'facts'] as const) {
      const tn = unitOf(await metrics.execute(period(), new Date(), source), TN);
      // Resolved: L1, L2, L3 (late), L4; open past deadline: L3 again. Due L1-L4 once each, late L3 once.
      expect({ source, ...tn }).toMatchObject({
        source,
        received: 4,
        resolved: 4,
        resolvedLate: 1,
        openOverdue: 1,
        reopened: 1,
        passedOnLate: 0,
        onTime: { due: 4, late: 1, lateRate: 25, onTimeRate: 75 },
      });
    }
  });

  it('shows passed_on_late in the CSV and passedOnLate on the drill-down lines', async () => {
    const csv = await engine.http().get('/v1/audits/units?from=2025-03-03&to=2025-03-14&format=csv').set(bearer(auditor));
    expect(csv.status).toBe(200);
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const header = lines[0].split(',');
    const row = (unit: string) =>
      Object.fromEntries(
        lines
          .find((l) => l.startsWith(`${unit},`))!
          .split(',')
          .map((v, i) => [header[i], v]),
      );
    expect(row(BK)).toMatchObject({ passed_on_late: '2', due: '2', late: '2', late_rate_percent: '100' });
    expect(row(TN)).toMatchObject({ passed_on_late: '0', due: '4', late: '1', late_rate_percent: '25' });

    const drill = await engine.http().get(`/v1/audits/units/${BK}/cases?from=2025-03-03&to=2025-03-14`).set(bearer(auditor));
    expect(drill.status).toBe(200);
    const byCode = Object.fromEntries((drill.body as ApiSchema<'UnitCasesReportDto'>).items.map((l) => [l.trackingCode, l]));
    expect(byCode['LR000-00001']).toMatchObject({ passedOnLate: true, transfersOut: 1 });
    expect(byCode['LR000-00002']).toMatchObject({ passedOnLate: false, transfersOut: 1 });
    expect(byCode['LR000-00004']).toMatchObject({ passedOnLate: true, returns: 1 });
  });

  it('counts a hand-over in the period it happened: a period before it does not see it passed on', async () => {
    const metrics = engine.api.get(GetUnitMetrics);
    const early = parsePeriod('2025-03-03', '2025-03-06');
    for (const source of ['raw', 'facts'] as const) {
      const bk = unitOf(await metrics.execute(early, new Date(), source), BK);
      // L4's deadline (Thu 09:00) passed inside the period, but BK still held it at its end: open past deadline.
      expect({ source, ...bk }).toMatchObject({ source, passedOnLate: 0, openOverdue: 1, onTime: { due: 1, late: 1 } });
    }
  });
});

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

describe('a transfer or return records the deadline in force, and the unit that passed the case on late answers for it (ManualClock)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00+07:00');
  let engine: TestEngine;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    const admin = await adminToken(engine);
    const officers: [string, OfficerRole, string][] = [['bk.handler.late', 'HANDLER', BK]];
    for (const [username, role, unitCode] of officers) tokens[username] = (await createOfficer(engine, admin, { username, role, unitCode })).token;
  }, 120_000);
  afterAll(() => engine?.close());

  const intake = async (n: number) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `late-rate-${n}`,
        category: 'sidewalk_encroachment',
        description: `Hàng quán lấn chiếm vỉa hè trước số ${n} Tạ Quang Bửu, người đi bộ phải xuống lòng đường.`,
        location: { wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => engine.query<{ status: string; unit_code: string }>(`SELECT status, unit_code FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status === 'assigned' && r[0].unit_code === BK,
      { what: 'routing to the ward' },
    );
    return id;
  };
  const step = async (id: string, action: string, body: Record<string, unknown>) => {
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(tokens['bk.handler.late']))
      .send({ expectedVersion: version, ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  it('a case transferred or returned after its receive deadline is due and late for the ward; one transferred in time is not', async () => {
    const late = await intake(1); // Mon 08:00: receive due Mon 17:00
    clock.set('2026-03-03T10:00:00+07:00');
    const inTime = await intake(2); // Tue 10:00: receive due Wed 10:00
    const returned = await intake(3);
    await step(late, 'transfer', { unitCode: TN, reason: 'Thuộc địa bàn phường Thanh Nhàn' });
    clock.set('2026-03-03T11:00:00+07:00');
    await step(inTime, 'transfer', { unitCode: TN, reason: 'Thuộc địa bàn phường Thanh Nhàn' });
    clock.set('2026-03-04T14:00:00+07:00');
    await step(returned, 'return', { reason: 'Không thuộc thẩm quyền của phường' });

    const handed = await engine.query<{ case_id: string; reason: string; late: boolean }>(
      `SELECT case_id::text, reason, passed_due_at <= started_at AS late FROM assignments WHERE reason IN ('transfer', 'return') ORDER BY started_at`,
    );
    expect(handed).toEqual([
      { case_id: late, reason: 'transfer', late: true },
      { case_id: inTime, reason: 'transfer', late: false },
      { case_id: returned, reason: 'return', late: true },
    ]);

    const metrics = engine.api.get(GetUnitMetrics);
    const week = parsePeriod('2026-03-02', '2026-03-06');
    const raw = await metrics.execute(week, clock.now(), 'raw');
    const facts = await metrics.execute(week, clock.now(), 'facts');
    // (The audit trail's times are the database's, not the ManualClock's: only what the assignments say is read here.)
    for (const r of [raw, facts]) {
      expect(unitOf(r, BK)).toMatchObject({ received: 3, transfersOut: 2, returns: 1, passedOnLate: 2, onTime: { due: 2, late: 2 } });
      expect(unitOf(r, TN)).toMatchObject({ received: 2, transfersIn: 2, passedOnLate: 0 });
    }
  });
});
