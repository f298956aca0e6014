import { adminToken, ApiSchema, bearer, createOfficer, errorOf, ManualClock, TestEngine } from '@fr/testing';

/** An instant on the Vietnamese wall clock. */
const vn = (local: string) => new Date(`${local}+07:00`);
const BK = 'P_BACH_KHOA';
const TN = 'P_THANH_NHAN';

interface Entry {
  targetId: string;
  status: string;
  value: number | null;
  dueDate: string | null;
  notices?: number;
  lastNoticeAt?: string | null;
  gaps?: { from: string; to: string | null; days: number }[];
}

/** Edges of Home Affairs' reads found by an audit: samples, the notice cadence of new units, notices counted from `from`. */
describe("Home Affairs' board, reports and samples at their edges", () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const as = (who: string) => bearer(tokens[who]);
  const clock = new ManualClock(vn('2026-03-01T09:00:00'));

  beforeAll(async () => {
    engine = await TestEngine.start({ clock, worker: false });
    tokens.admin = await adminToken(engine);
    for (const [username, role, unitCode] of [
      ['bk.lanhdao', 'LEADER', BK],
      ['nv.kiemtra', 'AUDITOR', 'NOI_VU'],
    ] as const) {
      tokens[username] = (await createOfficer(engine, tokens.admin, { username, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  const target = async (body: Record<string, unknown>) => {
    const res = await engine.http().post('/v1/compliance/targets').set(as('admin')).send(body);
    expect(res.status).toBe(201);
  };
  const board = async (query: string) => {
    const res = await engine.http().get(`/v1/compliance/board${query}`).set(as('nv.kiemtra'));
    expect(res.status).toBe(200);
    return res.body as { units: { unitCode: string; targets: Entry[] }[] };
  };
  const entry = async (unit: string, targetId: string, query: string) =>
    (await board(query)).units.find((u) => u.unitCode === unit)?.targets.find((t) => t.targetId === targetId);

  it('refuses a sample whose unitCode is blank as malformed (400), and an unknown one as not found (404)', async () => {
    const draw = (unitCode: string) =>
      engine.http().post('/v1/audits/samples').set(as('nv.kiemtra')).send({ unitCode, from: '2026-01-01', to: '2026-01-31', size: 5, seed: 'NV-1' });
    for (const blank of ['', '   ']) {
      const res = await draw(blank);
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toContain('unitCode');
    }
    expect((await draw('KHONG_CO')).status).toBe(404);
  });

  it('judges a unit made after a cadence started from the day it was made, not late for days before it existed', async () => {
    await target({ id: 'tn-cadence', kind: 'notice_cadence', name: 'Đăng tin 3 ngày một lần', startsAt: '2026-03-02', everyDays: 3, unitCodes: [TN] });
    // The ward is made on 16 March (a reorganisation); the target has run since 2 March.
    await engine.query(`UPDATE units SET valid_from = '2026-03-16T00:00:00+07:00' WHERE code = $1`, [TN]);
    try {
      clock.set(vn('2026-03-20T10:00:00'));
      expect(await entry(TN, 'tn-cadence', '?at=2026-03-10')).toBeUndefined();
      // Its first notice is due by the end of 16 + 3 = 19 March: on track through the 19th, late on the 20th.
      expect(await entry(TN, 'tn-cadence', '?at=2026-03-19')).toMatchObject({ status: 'on_track', value: 3, dueDate: '2026-03-19', gaps: [] });
      expect(await entry(TN, 'tn-cadence', '')).toMatchObject({
        status: 'late',
        value: 4,
        dueDate: '2026-03-19',
        gaps: [{ from: '2026-03-20', to: null, days: 1 }],
      });
    } finally {
      await engine.query(`UPDATE units SET valid_from = NULL WHERE code = $1`, [TN]);
    }
  });

  it("counts a cadence's notices from `from`, also those published before the target starts, as the quarterly report's notices do", async () => {
    // The only cadence: an earlier one's start would make the board read this notice anyway.
    expect((await engine.http().patch('/v1/compliance/targets/tn-cadence').set(as('admin')).send({ active: false })).status).toBe(200);
    clock.set(vn('2026-04-01T10:00:00'));
    const published = await engine
      .http()
      .post('/v1/notices')
      .set(as('bk.lanhdao'))
      .send({ title: 'Lịch cắt điện', body: 'Tổ dân phố số 5 mất điện từ 8 giờ đến 11 giờ.', kind: 'information' });
    expect(published.status).toBe(201);
    const publishedAt = (published.body as ApiSchema<'NoticeDto'>).publishedAt;
    await target({ id: 'bk-cadence', kind: 'notice_cadence', name: 'Đăng tin 3 ngày một lần', startsAt: '2026-04-10', everyDays: 3, unitCodes: [BK] });

    expect(await entry(BK, 'bk-cadence', '?at=2026-04-05&from=2026-04-01')).toMatchObject({ notices: 1, lastNoticeAt: publishedAt });
    const report = await engine.http().get('/v1/audits/units?from=2026-04-01&to=2026-04-05').set(as('nv.kiemtra'));
    expect(report.status).toBe(200);
    const bk = (report.body as ApiSchema<'UnitMetricsReportDto'>).units.find((u) => u.unitCode === BK)!;
    expect(bk.notices).toBe(1);
    expect(bk.targets.find((t) => t.targetId === 'bk-cadence')).toMatchObject({ notices: 1, lastNoticeAt: publishedAt });
  });
  it("names the board's CSV by the Hanoi day it shows, not the UTC one", async () => {
    for (const [at, day] of [
      ['2026-03-01T00:00:00%2B07:00', '2026-03-01'],
      ['2026-03-01', '2026-03-01'],
      ['2026-02-28T23:59:00Z', '2026-03-01'],
    ]) {
      const res = await engine.http().get(`/v1/compliance/board?format=csv&at=${at}`).set(as('nv.kiemtra'));
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="compliance-board_${day}.csv"`);
    }
  });
  it('refuses a target that would concern no unit, and a start on a dated target, as it refuses the other fields of another kind', async () => {
    const post = (body: Record<string, unknown>) => engine.http().post('/v1/compliance/targets').set(as('admin')).send(body);
    const nobody = await post({ id: 'for-nobody', kind: 'staff_onboarding', name: 'Không ai', dueAt: '2026-07-25', unitKinds: [] });
    expect(nobody.status).toBe(400);
    expect(errorOf(nobody).message).toContain('unitKinds');
    const started = await post({ id: 'dated-start', kind: 'designation', name: 'Đầu mối', dueAt: '2026-07-10', startsAt: '2026-07-01' });
    expect(started.status).toBe(400);
    expect(errorOf(started).message).toContain('startsAt is taken only by a notice_cadence target');
    expect((await engine.http().get('/v1/compliance/targets').set(as('admin'))).body).not.toContainEqual(expect.objectContaining({ id: 'for-nobody' }));

    // Listed units stand in for the kinds; a PATCH that empties the kinds of a target by kinds is refused too.
    expect((await post({ id: 'by-code', kind: 'staff_onboarding', name: 'Theo mã', dueAt: '2026-07-25', unitKinds: [], unitCodes: [BK] })).status).toBe(201);
    expect((await post({ id: 'by-kind', kind: 'staff_onboarding', name: 'Theo loại', dueAt: '2026-07-25' })).status).toBe(201);
    const patch = (id: string, body: Record<string, unknown>) => engine.http().patch(`/v1/compliance/targets/${id}`).set(as('admin')).send(body);
    expect((await patch('by-kind', { unitKinds: [] })).status).toBe(400);
    expect((await patch('by-kind', { startsAt: '2026-07-01' })).status).toBe(400);
    // A start stored on a dated target before this rule does not stop the target from being paused.
    await engine.query(`UPDATE compliance_targets SET starts_at = '2026-07-01T00:00:00+07:00' WHERE id = 'by-kind'`);
    expect((await patch('by-kind', { active: false })).status).toBe(200);
  });
});
