import { Writable } from 'node:stream';
import { ExportCases, parsePeriod } from '@fr/audit';
import { ApplyReorganisation } from '@fr/directory';
import { adminToken, bearer, createOfficer, DEV_KEYS, exportColumnsOffDefinition, ManualClock, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const TUESDAY_9AM = '2026-03-03T09:00:00+07:00';
const ANSWER =
  'UBND phường đã kiểm tra hiện trường ngày 28/11, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';

/**
 * The case export reads each case's units path and last resolve's on-time flag from the case
 * (migration CaseExportColumns). Cases driven through every write path that adds an assignment or a
 * resolve event (routing one by one and in a batch, transfer, return, assign, merge of a duplicate,
 * a unit's designation change, a reorganisation, resolve on time, reopen, resolve late) keep both
 * equal to their definitions over `assignments` and `audit_events`, and the COPY export gives the
 * bytes of the row-mapped export, which computes them from those tables.
 */
describe('the export columns kept on the case', () => {
  const clock = new ManualClock(TUESDAY_9AM);
  let engine: TestEngine;
  let admin: string;
  const tokens: Record<string, string> = {};
  const cases: Record<string, { id: string; trackingCode: string }> = {};

  const submit = async (wardCode: string) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sidewalk_encroachment', description: 'Quán nước lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.', location: { wardCode } });
    expect(res.status).toBe(202);
    return res.body as { id: string; trackingCode: string };
  };
  const routed = (ids: string[]) =>
    waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = ANY($1::uuid[])`, [ids]),
      (rows) => rows.length === ids.length && rows.every((r) => r.status !== 'received'),
      { what: 'routing' },
    );
  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  const step = async (who: string, id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(tokens[who]))
      .send({ expectedVersion: await version(id), ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const columns = async (id: string) =>
    (
      await engine.query<{ units_path: string | null; last_resolve_on_time: boolean | null }>(
        `SELECT units_path, last_resolve_on_time FROM cases WHERE id = $1`,
        [id],
      )
    )[0];

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    admin = await adminToken(engine);
    for (const [who, role, unitCode] of [
      ['bk', 'HANDLER', 'P_BACH_KHOA'],
      ['tn', 'HANDLER', 'P_THANH_NHAN'],
      ['vp', 'SUPERVISOR', 'VP'],
    ] as const) {
      tokens[who] = (await createOfficer(engine, admin, { username: `xc.${who}`, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  it('routes one by one and in a batch: each path is its first unit', async () => {
    cases.life = await submit('BACH_KHOA');
    cases.original = await submit('BACH_KHOA');
    cases.duplicate = await submit('THANH_NHAN');
    cases.designated = await submit('BACH_MAI');
    cases.reorganised = await submit('CAU_DEN');
    await routed(Object.values(cases).map((c) => c.id));
    // Submitted together: routing takes them as one batch (writeRoutingPass).
    const batch = await Promise.all(['BACH_KHOA', 'THANH_NHAN', 'BACH_MAI', 'CAU_DEN', 'BACH_DANG', 'QUYNH_MAI'].map(submit));
    await routed(batch.map((c) => c.id));
    expect(await columns(cases.life.id)).toEqual({ units_path: 'P_BACH_KHOA', last_resolve_on_time: null });
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it('transfer, return and assign append to the path; resolve on time, reopen, resolve late set the flag', async () => {
    const { id, trackingCode } = cases.life;
    await step('bk', id, 'transfer', { unitCode: 'P_THANH_NHAN', reason: 'Địa điểm thuộc phường Thanh Nhàn' });
    await step('tn', id, 'return', { reason: 'Không thuộc thẩm quyền phường' });
    await step('vp', id, 'assign', { unitCode: 'P_BACH_KHOA' });
    await step('bk', id, 'acknowledge', { severity: 'normal' });
    await step('bk', id, 'resolve', { answer: ANSWER });
    expect(await columns(id)).toEqual({ units_path: 'P_BACH_KHOA > P_THANH_NHAN > VP > P_BACH_KHOA', last_resolve_on_time: true });
    const low = await engine.http().post(`/v1/feedback/${trackingCode}/rating`).set(KEY).send({ score: 1 });
    expect(low.body).toEqual({ trackingCode, status: 'in_progress', rating: 1 });
    // Reopened: the last resolve is still the one on time until the next.
    expect((await columns(id)).last_resolve_on_time).toBe(true);
    clock.advance(60 * 86_400_000);
    await step('bk', id, 'resolve', { answer: ANSWER });
    expect(await columns(id)).toEqual({ units_path: 'P_BACH_KHOA > P_THANH_NHAN > VP > P_BACH_KHOA', last_resolve_on_time: false });
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it('a merged duplicate moved to the original unit appends it; a designation change does not', async () => {
    // What routing's duplicate search does when it finds the original (linkCaseToOriginal).
    await engine.query(`UPDATE cases SET duplicate_of = $2 WHERE id = $1`, [cases.duplicate.id, cases.original.id]);
    await step('bk', cases.original.id, 'merge', { duplicateIds: [cases.duplicate.id] });
    expect(await columns(cases.duplicate.id)).toEqual({ units_path: 'P_THANH_NHAN > P_BACH_KHOA', last_resolve_on_time: null });

    const handler = await createOfficer(engine, admin, { username: 'xc.bm.handler', role: 'HANDLER', unitCode: 'P_BACH_MAI' });
    const [unit] = await engine.query<{ leader_id: string | null }>(`SELECT leader_id FROM units WHERE code = 'P_BACH_MAI'`);
    const designated = await engine.http().put('/v1/units/P_BACH_MAI/designation').set(bearer(admin)).send({ handlerId: handler.id, leaderId: unit.leader_id });
    expect(designated.status).toBe(200);
    const reasons = await engine.query<{ reason: string }>(`SELECT reason FROM assignments WHERE case_id = $1 ORDER BY id`, [cases.designated.id]);
    expect(reasons.map((r) => r.reason)).toEqual(['route', 'designation']);
    expect((await columns(cases.designated.id)).units_path).toBe('P_BACH_MAI');
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it('a reorganisation appends the successor', async () => {
    const effective = new Date(clock.now().getTime() + 86_400_000);
    const plan = {
      name: 'Sắp xếp thử nghiệm (cột xuất)',
      effectiveAt: effective.toISOString(),
      newUnits: [],
      merges: [{ into: 'P_BACH_KHOA', from: ['P_CAU_DEN'] }],
    };
    expect((await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(plan)).status).toBe(201);
    clock.set(new Date(effective.getTime() + 3_600_000).toISOString());
    expect(await engine.worker!.get(ApplyReorganisation).runDue()).toBe(1);
    expect((await columns(cases.reorganised.id)).units_path).toBe('P_CAU_DEN > P_BACH_KHOA');
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it('exports through COPY the bytes the row-mapped export computes from assignments and events', async () => {
    const [{ n }] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE units_path LIKE '% > %'`);
    expect(n).toBeGreaterThanOrEqual(3);
    const period = parsePeriod('2026-03-01', '2026-03-31');
    const sut = engine.api.get(ExportCases);
    let reference = '';
    await sut.executeByRows({ period }, { write: (t) => Promise.resolve(((reference += t), true)) });
    let copied = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        copied += chunk.toString('utf8');
        done();
      },
    });
    expect(await sut.execute({ period }, out)).toBe(11);
    expect(reference).toContain(',P_BACH_KHOA > P_THANH_NHAN > VP > P_BACH_KHOA,');
    expect(reference).toContain('resolved_late');
    expect(copied).toBe(reference);
  });
});
