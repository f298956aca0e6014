import { ApplyReorganisation } from '@fr/directory';
import { SlaReconciler, SlaReconcileResult } from '@fr/sla';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, login, ManualClock, TestEngine, waitFor } from '@fr/testing';
import type { CaseDetailDto } from '../apps/api/src/cases/case-view.dto';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { ReorganisationDto, ReorganisationReportDto } from '../apps/api/src/reorganisations/reorganisation.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Tuesday 3 March 2026, 15:00 in Hanoi: a receive clock started now (8 working hours) runs into Wednesday afternoon. */
const TUESDAY_3PM = '2026-03-03T15:00:00+07:00';
const EFFECTIVE = '2026-03-04T00:00:00+07:00';

/**
 * Three old wards with open cases: Cầu Dền merged whole into Bách Khoa; Quỳnh Mai split by street
 * between a new ward (Mai Động: Lạc Trung) and Bạch Mai (Kim Ngưu); Bạch Đằng untouched.
 */
const PLAN = {
  name: 'Sắp xếp thử nghiệm',
  effectiveAt: EFFECTIVE,
  newUnits: [
    {
      code: 'P_MAI_DONG',
      name: 'Phường Mai Động',
      kind: 'ward',
      handler: { username: 'p.mai.dong.handler', fullName: 'Cán bộ Mai Động' },
      leader: { username: 'p.mai.dong.leader', fullName: 'Lãnh đạo Mai Động' },
      area: { code: 'MAI_DONG', name: 'Phường Mai Động', match: ['Mai Động'] },
    },
  ],
  merges: [{ into: 'P_BACH_KHOA', from: ['P_CAU_DEN'] }],
  splits: [
    {
      unit: 'P_QUYNH_MAI',
      into: [
        { unit: 'P_MAI_DONG', streets: ['Lạc Trung'] },
        { unit: 'P_BACH_MAI', streets: ['Kim Ngưu'] },
      ],
      fallback: 'P_BACH_MAI',
    },
  ],
  renames: [{ unit: 'P_MINH_KHAI', name: 'Phường Minh Khai Mới', aliases: ['Minh Khai Mới'] }],
};

interface CaseRow {
  unit_code: string;
  handler_id: string | null;
  due_at: Date;
  status: string;
}

describe('a reorganisation: merge, split by street, untouched, on a controllable clock', () => {
  const clock = new ManualClock(TUESDAY_3PM);
  let engine: TestEngine;
  let admin: string;
  let supervisor: string;
  const cases: Record<'merged' | 'split' | 'untouched', { id: string; trackingCode: string }> = {} as never;
  const before = new Map<string, CaseRow>();

  const submit = async (location: Record<string, string>) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sidewalk_encroachment', description: 'Quán nước lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.', location });
    expect(res.status).toBe(202);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [(res.body as FeedbackAcceptedDto).id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return res.body as { id: string; trackingCode: string };
  };
  const caseRow = async (id: string) => (await engine.query<CaseRow>(`SELECT unit_code, handler_id, due_at, status FROM cases WHERE id = $1`, [id]))[0];
  const officerId = async (username: string) => (await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = $1`, [username]))[0].id;

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    admin = await adminToken(engine);
    // Reads every unit's cases and reports (the administrator does not).
    supervisor = (await createOfficer(engine, admin, { username: 'reorg.supervisor', role: 'SUPERVISOR', unitCode: 'VP' })).token;
    cases.merged = await submit({ wardCode: 'CAU_DEN' });
    cases.split = await submit({ address: '15 Lạc Trung, phường Quỳnh Mai' });
    cases.untouched = await submit({ wardCode: 'BACH_DANG' });
    for (const c of Object.values(cases)) before.set(c.id, await caseRow(c.id));
    expect([...before.values()].map((c) => c.unit_code)).toEqual(['P_CAU_DEN', 'P_QUYNH_MAI', 'P_BACH_DANG']);
  });
  afterAll(() => engine?.close());

  it('dry-runs the plan: every open case of an ending unit and where it goes', async () => {
    const res = await engine.http().post('/v1/reorganisations?dryRun=true').set(bearer(admin)).send(PLAN);
    expect(res.status).toBe(200);
    const report = res.body as ReorganisationReportDto;
    expect(report.ok).toBe(true);
    expect(report.unresolved).toEqual([]);
    const moves = report.moves.map(({ caseId, from, to, why }) => ({
      caseId,
      from,
      to,
      why,
    }));
    // Cases received at one instant come in no particular order.
    moves.sort((a, b) => a.from.localeCompare(b.from));
    expect(moves).toEqual([
      { caseId: cases.merged.id, from: 'P_CAU_DEN', to: 'P_BACH_KHOA', why: 'merge' },
      { caseId: cases.split.id, from: 'P_QUYNH_MAI', to: 'P_MAI_DONG', why: 'split-street' },
    ]);
    expect(report.ending).toEqual([
      { unit: 'P_CAU_DEN', how: 'merge', successors: ['P_BACH_KHOA'] },
      { unit: 'P_QUYNH_MAI', how: 'split', successors: ['P_MAI_DONG', 'P_BACH_MAI'] },
    ]);
    expect(report.designationGaps).toEqual([]);
  });

  it('refuses a plan that leaves a unit without a designated handler, with the list', async () => {
    const lacking = { ...PLAN, newUnits: [{ ...PLAN.newUnits[0], handler: null }] };
    const dry = await engine.http().post('/v1/reorganisations?dryRun=true').set(bearer(admin)).send(lacking);
    expect(dry.status).toBe(200);
    expect((dry.body as ReorganisationReportDto).designationGaps).toEqual([{ unitCode: 'P_MAI_DONG', missing: ['handler'] }]);
    const res = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(lacking);
    expect(res.status).toBe(422);
    expect((res.body as ErrorDto).message).toContain("unit 'P_MAI_DONG' would have no designated handler");
    const dissolving = { name: 'Giải thể', effectiveAt: EFFECTIVE, dissolutions: [{ unit: 'CONG_AN' }] };
    const refused = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(dissolving);
    expect(refused.status).toBe(422);
    expect((refused.body as ErrorDto).message).toContain("routing rule 'public-order-to-police' points at 'CONG_AN'");
    // One office, which holds triage: a second office beside it, or triage in a ward, is refused.
    const secondOffice = {
      name: 'Văn phòng thứ hai',
      effectiveAt: EFFECTIVE,
      newUnits: [{ ...PLAN.newUnits[0], code: 'VP_2', name: 'Văn phòng 2', kind: 'office', area: undefined }],
    };
    const twoOffices = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(secondOffice);
    expect(twoOffices.status).toBe(422);
    expect((twoOffices.body as ErrorDto).message).toContain("the plan would leave 2 units of kind 'office' (VP, VP_2)");
    const wardTriage = await engine
      .http()
      .post('/v1/reorganisations')
      .set(bearer(admin))
      .send({ ...PLAN, triageUnit: 'P_BACH_KHOA' });
    expect(wardTriage.status).toBe(422);
    expect((wardTriage.body as ErrorDto).message).toContain("the triage unit 'P_BACH_KHOA' is a unit of kind 'ward': triage belongs to the office ('VP')");
    expect((await engine.http().get('/v1/reorganisations').set(bearer(admin))).body).toEqual([]);
  });

  it('applies at its effective date, once: cases at their successors with their deadlines, history, timers and routing follow', async () => {
    const scheduled = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(PLAN);
    expect(scheduled.status).toBe(201);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', source: null, appliedAt: null });
    const sut = engine.worker!.get(ApplyReorganisation);
    expect(await sut.runDue()).toBe(0); // not yet its date
    // The new ward's focal-point account is the plan's to make: taken first, the plan could not apply.
    const taken = await engine
      .http()
      .post('/v1/officers')
      .set(bearer(admin))
      .send({ username: 'P.Mai.Dong.Handler', password: 'Mat-khau-rat-dai', fullName: 'Người khác', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
    expect(taken.status).toBe(409);
    expect((taken.body as ErrorDto).message).toMatch(/^username 'p\.mai\.dong\.handler' is named for a new unit's focal point by scheduled reorganisation/);

    // Bách Khoa's handler is away when Cầu Dền's cases arrive: the cover reads the queue, so the cover is told.
    const cover = await createOfficer(engine, admin, { username: 'p.bach.khoa.cover', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
    const away = await engine
      .http()
      .post(`/v1/officers/${await officerId('p.bach.khoa.handler')}/absences`)
      .set(bearer(admin))
      .send({ from: '2026-03-03T00:00:00+07:00', to: '2026-03-10T00:00:00+07:00', coverId: cover.id });
    expect(away.status).toBe(201);

    clock.set('2026-03-04T08:00:00+07:00');
    expect(await sut.runDue()).toBe(1);
    expect(await sut.runDue()).toBe(0);
    const { id: reorganisationId } = scheduled.body as ReorganisationDto;
    expect(await sut.execute(reorganisationId)).toBe(false);
    const applied = await engine.http().get(`/v1/reorganisations/${reorganisationId}`).set(bearer(supervisor));
    expect(applied.body).toMatchObject({ status: 'applied', appliedAt: clock.now().toISOString() });

    const maiDongHandler = await officerId('p.mai.dong.handler');
    const expected = { [cases.merged.id]: 'P_BACH_KHOA', [cases.split.id]: 'P_MAI_DONG', [cases.untouched.id]: 'P_BACH_DANG' };
    for (const [id, unit] of Object.entries(expected)) {
      const now = await caseRow(id);
      expect(now.unit_code).toBe(unit);
      expect(now.due_at.toISOString()).toBe(before.get(id)!.due_at.toISOString());
    }
    expect((await caseRow(cases.split.id)).handler_id).toBe(maiDongHandler);
    const moves = await engine.query<{ case_id: string; reason: string }>(
      `SELECT case_id, reason FROM assignments WHERE reason = 'reorganisation' ORDER BY id`,
    );
    expect(moves.map((m) => m.case_id).sort()).toEqual([cases.merged.id, cases.split.id].sort());

    const view = await engine.http().get(`/v1/cases/${cases.split.id}`).set(bearer(supervisor));
    const move = (view.body as CaseDetailDto).timeline.find((e) => e.action === 'reorganise');
    expect(move?.data).toMatchObject({ fromUnit: 'P_QUYNH_MAI', toUnit: 'P_MAI_DONG', why: 'split-street' });
    const told = await engine.query<{ officer_id: string }>(`SELECT officer_id FROM notifications WHERE kind = 'reorganisation' AND case_id = $1`, [
      cases.split.id,
    ]);
    expect(told.map((n) => n.officer_id)).toEqual([maiDongHandler]);
    const toldMerged = await engine.query<{ officer_id: string }>(`SELECT officer_id::text FROM notifications WHERE kind = 'reorganisation' AND case_id = $1`, [
      cases.merged.id,
    ]);
    expect(toldMerged.map((n) => n.officer_id)).toEqual([cover.id]);

    // The receive deadline (Wednesday 15:00) falls after the date: its timer tells the new handler, once.
    clock.set('2026-03-04T15:30:00+07:00');
    for (let i = 0; i < 2; i++) {
      await waitFor(
        () => engine.worker!.get(SlaReconciler).runOnce(),
        (r): r is SlaReconcileResult => r !== null,
        { what: 'the SLA sweep' },
      );
    }
    const escalated = await waitFor(
      () =>
        engine.query<{ level: string; officer_id: string }>(
          `SELECT e.level::text AS level, n.officer_id FROM escalations e JOIN notifications n ON n.escalation_id = e.id WHERE e.case_id = $1 AND e.stage = 'receive' AND e.level = '1'`,
          [cases.split.id],
        ),
      (rows) => rows.length > 0,
      { what: 'level 1 of the split case' },
    );
    expect(escalated.filter((r) => r.officer_id === maiDongHandler)).toHaveLength(1);
    expect(await engine.query(`SELECT 1 FROM escalations WHERE case_id = $1 AND stage = 'receive' AND level = '1'`, [cases.split.id])).toHaveLength(1);

    // New feedback naming an old ward and one of its streets reaches the new ward at once.
    const fresh = await submit({ address: '20 Lạc Trung, phường Quỳnh Mai' });
    expect((await caseRow(fresh.id)).unit_code).toBe('P_MAI_DONG');
    const other = await submit({ address: '3 Kim Ngưu, P. Quỳnh Mai' });
    expect((await caseRow(other.id)).unit_code).toBe('P_BACH_MAI');
    const merged = await submit({ wardCode: 'CAU_DEN' });
    expect((await caseRow(merged.id)).unit_code).toBe('P_BACH_KHOA');

    const units = await engine.http().get('/v1/units?include=inactive').set(bearer(admin));
    const byCode = new Map(
      (units.body as { code: string; name: string; active: boolean; successors: string[]; predecessors: string[]; aliases: string[] }[]).map((u) => [
        u.code,
        u,
      ]),
    );
    expect(byCode.get('P_QUYNH_MAI')).toMatchObject({ active: false, successors: ['P_MAI_DONG', 'P_BACH_MAI'] });
    expect(byCode.get('P_MAI_DONG')).toMatchObject({ active: true, predecessors: ['P_QUYNH_MAI'] });
    // A renamed unit keeps its old name among its aliases, and its area answers to both.
    expect(byCode.get('P_MINH_KHAI')).toMatchObject({ active: true, name: 'Phường Minh Khai Mới', aliases: ['Minh Khai Mới', 'Phường Minh Khai'] });
    const [area] = await engine.query<{ match: string[] }>(`SELECT match FROM areas WHERE code = 'MINH_KHAI'`);
    expect(area.match).toEqual(expect.arrayContaining(['Minh Khai', 'Phường Minh Khai Mới', 'Minh Khai Mới']));
    const current = await engine.http().get('/v1/units').set(bearer(admin));
    expect((current.body as { code: string }[]).map((u) => u.code)).not.toContain('P_CAU_DEN');

    // The ended unit's designees are free to move: its designation cannot be changed any more.
    const [ended] = await engine.query<{ handler_id: string }>(`SELECT handler_id::text FROM units WHERE code = 'P_CAU_DEN'`);
    expect((await engine.http().put('/v1/units/P_CAU_DEN/designation').set(bearer(admin)).send({ handlerId: null, leaderId: null })).status).toBe(422);
    // Nor does an absence there cover anything: the unit takes no cases.
    const colleague = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE unit_code = 'P_CAU_DEN' AND id <> $1 LIMIT 1`, [
      ended.handler_id,
    ]);
    const absence = await engine
      .http()
      .post(`/v1/officers/${ended.handler_id}/absences`)
      .set(bearer(admin))
      .send({ from: '2026-03-05T00:00:00+07:00', to: '2026-03-06T00:00:00+07:00', coverId: colleague[0]?.id ?? ended.handler_id });
    expect(absence.status).toBe(422);
    expect((absence.body as ErrorDto).message).toMatch(/^unit 'P_CAU_DEN' of officer '.+' is no longer active$/);
    const moved = await engine.http().patch(`/v1/officers/${ended.handler_id}`).set(bearer(admin)).send({ unitCode: 'P_BACH_KHOA' });
    expect(moved.status).toBe(200);
  });

  it('attributes work to the unit that held the case at the time, with the lineage in JSON and CSV', async () => {
    const bk = await officerId('p.bach.khoa.handler');
    await engine.http().patch(`/v1/officers/${bk}`).set(bearer(admin)).send({ password: 'Mat-khau-2026!' }).expect(200);
    const token = await login(engine, 'p.bach.khoa.handler', 'Mat-khau-2026!');
    const act = (id: string, action: string, body: Record<string, unknown>) => actOnCase(engine, bearer(token), id, action, body);
    await act(cases.merged.id, 'acknowledge', { severity: 'normal' });
    await act(cases.merged.id, 'resolve', { answer: 'Phường đã kiểm tra, yêu cầu quán thu dọn, trả lại vỉa hè; ảnh sau xử lý đính kèm.' });

    const report = async (from: string, to: string) => {
      const res = await engine.http().get(`/v1/audits/units?from=${from}&to=${to}`).set(bearer(supervisor));
      expect(res.status).toBe(200);
      return res.body as {
        units: {
          unitCode: string;
          received: number;
          resolved: number;
          transfersIn: number;
          reorganisedIn: number;
          reorganisedOut: number;
          successors: string[];
          predecessors: string[];
        }[];
        lineage: { from: string; to: string[] }[];
      };
    };
    const row = (r: Awaited<ReturnType<typeof report>>, code: string) => r.units.find((u) => u.unitCode === code);

    // Receipts and hand-overs are stamped by the engine's clock (March 2026), the handlers' actions
    // by the database's (today): a period from before the date to tomorrow holds both.
    const tomorrow = encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString());
    const across = await report('2026-03-01T00:00:00%2B07:00', tomorrow);
    expect(row(across, 'P_CAU_DEN')).toMatchObject({ received: 1, resolved: 0, reorganisedOut: 1, successors: ['P_BACH_KHOA'] });
    // The merged case was received by Cầu Dền and answered by Bách Khoa; the new Cầu Dền address counts as Bách Khoa's receipt.
    expect(row(across, 'P_BACH_KHOA')).toMatchObject({ received: 1, resolved: 1, transfersIn: 0, reorganisedIn: 1, predecessors: ['P_CAU_DEN'] });
    expect(row(across, 'P_QUYNH_MAI')).toMatchObject({ received: 1, reorganisedOut: 1 });
    expect(row(across, 'P_MAI_DONG')).toMatchObject({ received: 1, reorganisedIn: 1, transfersIn: 0 });
    expect(across.lineage).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'P_CAU_DEN', to: ['P_BACH_KHOA'] }),
        expect.objectContaining({ from: 'P_QUYNH_MAI', to: ['P_MAI_DONG', 'P_BACH_MAI'] }),
      ]),
    );

    const beforeDate = await report('2026-03-01T00:00:00%2B07:00', encodeURIComponent(EFFECTIVE));
    expect(row(beforeDate, 'P_CAU_DEN')).toMatchObject({ received: 1, resolved: 0, reorganisedOut: 0 });
    expect(row(beforeDate, 'P_BACH_KHOA')).toMatchObject({ received: 0, resolved: 0 });
    expect(row(beforeDate, 'P_MAI_DONG')).toBeUndefined(); // it did not exist yet
    const afterDate = await report(encodeURIComponent(EFFECTIVE), tomorrow);
    expect(row(afterDate, 'P_CAU_DEN')).toMatchObject({ received: 0, reorganisedOut: 1 });
    expect(row(afterDate, 'P_BACH_KHOA')).toMatchObject({ received: 1, resolved: 1 });

    const csv = await engine
      .http()
      .get(`/v1/audits/units?from=2026-03-01T00:00:00%2B07:00&to=${tomorrow}&format=csv`)
      .set(bearer(supervisor))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(csv.status).toBe(200);
    // Unit names hold no commas: a plain split reads the rows.
    const [header, ...lines] = (csv.body as Buffer)
      .toString('utf8')
      .slice(1)
      .split('\r\n')
      .filter(Boolean)
      .map((l) => l.split(','));
    const rows = lines.map((l) => Object.fromEntries(l.map((v, i) => [header[i], v])));
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(['predecessors', 'successors', 'valid_to', 'reorganised_in', 'reorganised_out']));
    expect(rows.find((r) => r.unit_code === 'P_QUYNH_MAI')).toMatchObject({ successors: 'P_MAI_DONG P_BACH_MAI', reorganised_out: '1' });
    expect(rows.find((r) => r.unit_code === 'P_BACH_KHOA')).toMatchObject({ predecessors: 'P_CAU_DEN', reorganised_in: '1' });
  });
});
