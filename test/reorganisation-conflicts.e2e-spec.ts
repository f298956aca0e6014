import { DataSource } from 'typeorm';
import { ApplyReorganisation, scheduleReorganisation } from '@fr/directory';
import { parsePlan, ReorganisationPlan } from '@fr/domain';
import { adminToken, bearer, DEV_KEYS, ManualClock, submitRouted, TestEngine } from '@fr/testing';
import type { ReorganisationDto, ReorganisationReportDto } from '../apps/api/src/reorganisations/reorganisation.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const EFFECTIVE = '2026-03-04T00:00:00+07:00';
const mergeOfCauDen = (name: string, into: string) => ({ name, effectiveAt: EFFECTIVE, merges: [{ into, from: ['P_CAU_DEN'] }] });
const read = (body: unknown): ReorganisationPlan => {
  const { plan, problems } = parsePlan(body);
  if (!plan) throw new Error(problems.join('; '));
  return plan;
};

/** Plans that cannot both hold: refused when scheduled, one at a time when applied, none before a unit began. */
describe('reorganisations that clash', () => {
  const clock = new ManualClock('2026-03-03T15:00:00+07:00');
  let engine: TestEngine;
  let admin: string;
  let caseId: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    admin = await adminToken(engine);
    caseId = (
      await submitRouted(engine, KEY, {
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'CAU_DEN' },
      })
    ).id;
    const [{ unit_code: unit }] = await engine.query<{ unit_code: string | null }>(`SELECT unit_code FROM cases WHERE id = $1`, [caseId]);
    expect(unit).toBe('P_CAU_DEN');
  });
  afterAll(() => engine?.close());

  const post = (body: object, query = '') => engine.http().post(`/v1/reorganisations${query}`).set(bearer(admin)).send(body);

  it('refuses to schedule a plan that ends a unit another scheduled plan ends', async () => {
    const first = await post(mergeOfCauDen('Sáp nhập Cầu Dền vào Bách Khoa', 'P_BACH_KHOA'));
    expect(first.status).toBe(201);
    const { id } = first.body as ReorganisationDto;
    const second = await post(mergeOfCauDen('Sáp nhập Cầu Dền vào Bạch Mai', 'P_BACH_MAI'));
    expect(second.status).toBe(409);
    expect((second.body as { message: string }).message).toBe(
      `unit 'P_CAU_DEN' is already ended by reorganisation ${id} ('Sáp nhập Cầu Dền vào Bách Khoa', ${EFFECTIVE}); cancel that plan (DELETE /v1/reorganisations/${id}) and post it again changed, or leave the unit out of this one`,
    );
  });

  it('applies two plans due at once one after the other: the second finds the unit ended and stays scheduled, saying so', async () => {
    // A plan from config/reorganisations is not checked against the others when loaded: the application is the guard.
    const ds = engine.worker!.get(DataSource);
    await scheduleReorganisation(ds, read(mergeOfCauDen('Sáp nhập Cầu Dền vào Bạch Mai', 'P_BACH_MAI')), {
      actor: 'test',
      source: 'clash.yaml',
      now: clock.now(),
    });
    const [a, b] = await engine.query<{ id: string }>(`SELECT id::text AS id FROM reorganisations ORDER BY created_at`);
    clock.set('2026-03-04T08:00:00+07:00');
    const sut = engine.worker!.get(ApplyReorganisation);
    // Each call says whether its own plan was applied now; the later plan's call applies the earlier first,
    // so the earlier (by date, then by when it was made) is the one applied, whichever call runs first.
    const applied = await Promise.all([sut.execute(a.id), sut.execute(b.id)]);
    expect(applied.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await engine.query(`SELECT id::text AS id FROM reorganisations WHERE status = 'applied'`)).toEqual([{ id: a.id }]);

    const rows = await engine.query<{ status: string; result: { unresolved: string[] } | null }>(
      `SELECT status, result FROM reorganisations ORDER BY status, created_at`,
    );
    expect(rows.map((r) => r.status)).toEqual(['applied', 'scheduled']);
    expect(rows[1].result?.unresolved).toContain(`unit 'P_CAU_DEN' (merge) has already ended`);
    const moves = await engine.query(`SELECT 1 FROM audit_events WHERE case_id = $1 AND action = 'reorganise'`, [caseId]);
    expect(moves).toHaveLength(1);
    const [unit] = await engine.query<{ successors: string[] }>(`SELECT successors FROM units WHERE code = 'P_CAU_DEN'`);
    expect(unit.successors).toHaveLength(1);

    // Not only in the log: the administrators are told, once while the reasons stay the same.
    const [stuck] = await engine.query<{ id: string }>(`SELECT id::text AS id FROM reorganisations WHERE status = 'scheduled'`);
    const told = () =>
      engine.query<{ username: string; body: string }>(
        `SELECT o.username, n.body FROM notifications n JOIN officers o ON o.id = n.officer_id WHERE n.kind = 'reorganisation.unresolved'`,
      );
    const notices = await told();
    expect(notices.map((n) => n.username)).toEqual(['admin']);
    expect(notices[0].body).toContain(`unit 'P_CAU_DEN' (merge) has already ended`);
    expect(notices[0].body).toContain(`(DELETE /v1/reorganisations/${stuck.id})`);
    expect(await sut.runDue()).toBe(0);
    expect(await told()).toHaveLength(1);
  });

  it('refuses a unit named as its own successor (400): merged into itself, split into itself, dissolved into itself', async () => {
    const self = await post({ name: 'Sáp nhập vào chính nó', effectiveAt: EFFECTIVE, merges: [{ into: 'P_BACH_KHOA', from: ['P_BACH_KHOA'] }] });
    expect(self.status).toBe(400);
    expect((self.body as { message: string }).message).toBe(
      "plan.merges[0].from names only 'P_BACH_KHOA', the unit it merges into: a unit cannot merge into itself; list in 'from' the units that join it",
    );
    const split = await post({
      name: 'Chia tách vào chính nó',
      effectiveAt: EFFECTIVE,
      splits: [
        {
          unit: 'P_QUYNH_MAI',
          into: [
            { unit: 'P_QUYNH_MAI', streets: ['Lạc Trung'] },
            { unit: 'P_BACH_MAI', streets: ['Kim Ngưu'] },
          ],
        },
      ],
    });
    expect(split.status).toBe(400);
    expect((split.body as { message: string }).message).toContain("plan.splits[0].into[0].unit 'P_QUYNH_MAI' is the unit being split");
    const dissolved = await post({ name: 'Giải thể vào chính nó', effectiveAt: EFFECTIVE, dissolutions: [{ unit: 'P_BACH_DANG', successor: 'P_BACH_DANG' }] });
    expect(dissolved.status).toBe(400);
    expect((dissolved.body as { message: string }).message).toContain("plan.dissolutions[0].successor 'P_BACH_DANG' is the unit being dissolved");
    const names = (await engine.query<{ name: string }>(`SELECT name FROM reorganisations`)).map((r) => r.name);
    expect(names).not.toContain('Sáp nhập vào chính nó');
  });

  it('refuses a plan dated before a unit it ends began', async () => {
    const backdated = {
      name: 'Giải thể lùi ngày',
      effectiveAt: '2020-01-01T00:00:00+07:00',
      dissolutions: [{ unit: 'P_MAI_DONG_2026', successor: 'P_BACH_MAI' }],
    };
    await engine.query(`INSERT INTO units (code, name, kind, valid_from) VALUES ('P_MAI_DONG_2026', 'Phường Mai Động', 'ward', '2025-07-01T00:00:00+07:00')`);
    const dry = await post(backdated, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body as ReorganisationReportDto).toMatchObject({ ok: false });
    expect((dry.body as ReorganisationReportDto).unresolved).toContain(
      `unit 'P_MAI_DONG_2026' began at 2025-06-30T17:00:00.000Z, not before the plan's effectiveAt 2020-01-01T00:00:00+07:00: a plan cannot end or rename a unit before it began`,
    );
    expect((await post(backdated)).status).toBe(422);
  });

  it('refuses a plan that ends a unit before an applied reorganisation made it a successor', async () => {
    // As an applied merge leaves it: Bạch Đằng took the work of an old ward ended on 10 January 2026.
    await engine.query(
      `INSERT INTO units (code, name, kind, valid_from, valid_to, active, successors)
       VALUES ('P_CU_2025', 'Phường Cũ', 'ward', '2020-01-01T00:00:00+07:00', '2026-01-10T00:00:00+07:00', false, ARRAY['P_BACH_DANG'])`,
    );
    const before = {
      name: 'Giải thể trước khi nhận',
      effectiveAt: '2026-01-05T00:00:00+07:00',
      dissolutions: [{ unit: 'P_BACH_DANG', successor: 'P_BACH_MAI' }],
    };
    const dry = await post(before, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect((dry.body as ReorganisationReportDto).unresolved).toContain(
      `unit 'P_BACH_DANG' took the work of 'P_CU_2025' at 2026-01-09T17:00:00.000Z, after the plan's effectiveAt 2026-01-05T00:00:00+07:00: a plan cannot end a unit before a reorganisation already applied made it a successor`,
    );
    expect((await post(before)).status).toBe(422);
    // Dated after the succession, the same plan is judged on its own merits.
    const after = await post({ ...before, effectiveAt: '2026-01-11T00:00:00+07:00' }, '?dryRun=true');
    expect((after.body as ReorganisationReportDto).unresolved.filter((u) => u.includes('took the work of'))).toEqual([]);
    await engine.query(`DELETE FROM units WHERE code = 'P_CU_2025'`);
  });

  const cancel = (id: string) => engine.http().delete(`/v1/reorganisations/${id}`).set(bearer(admin));
  const statusOf = async (id: string) => (await engine.query<{ status: string }>(`SELECT status FROM reorganisations WHERE id = $1`, [id]))[0].status;

  it('cancels a scheduled plan: kept and listed as cancelled, with an audit event, never applied; an applied or unknown plan is not', async () => {
    const [stuck] = await engine.query<{ id: string }>(`SELECT id::text AS id FROM reorganisations WHERE status = 'scheduled'`);
    const [adminId] = await engine.query<{ id: string }>(`SELECT id::text AS id FROM officers WHERE username = 'admin'`);
    const res = await cancel(stuck.id);
    expect(res.status).toBe(200);
    expect(res.body as ReorganisationDto).toMatchObject({ id: stuck.id, status: 'cancelled', cancelledAt: clock.now().toISOString(), appliedAt: null });
    // A retried request finds it cancelled and records nothing more.
    expect((await cancel(stuck.id)).body).toMatchObject({ status: 'cancelled' });
    const events = await engine.query<{ actor: string; data: { reorganisationId: string } }>(
      `SELECT actor, data FROM audit_events WHERE action = 'reorganisation_cancelled'`,
    );
    expect(events.map((e) => [e.actor, e.data.reorganisationId])).toEqual([[`officer:${adminId.id}`, stuck.id]]);
    const listed = (await engine.http().get('/v1/reorganisations').set(bearer(admin))).body as ReorganisationDto[];
    expect(listed.find((r) => r.id === stuck.id)).toMatchObject({ status: 'cancelled' });
    expect(await engine.worker!.get(ApplyReorganisation).runDue()).toBe(0);
    expect(await engine.worker!.get(ApplyReorganisation).execute(stuck.id)).toBe(false);
    expect(await statusOf(stuck.id)).toBe('cancelled');

    // Either of the two plans of the race above.
    const [applied] = await engine.query<{ id: string; name: string }>(`SELECT id::text AS id, name FROM reorganisations WHERE status = 'applied'`);
    const refused = await cancel(applied.id);
    expect(refused.status).toBe(409);
    expect((refused.body as { message: string }).message).toBe(
      `reorganisation ${applied.id} ('${applied.name}') was applied at ${clock.now().toISOString()}: an applied plan cannot be cancelled; post a new plan to change the organisation again`,
    );
    expect((await cancel('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await cancel('not-an-id')).status).toBe(400);
  });

  it('lets a plan the cancelled one blocked be scheduled, and applies it alone at its date', async () => {
    const date = '2026-03-10T00:00:00+07:00';
    const mistaken = await post({ name: 'Sáp nhập Quỳnh Lôi (nhầm)', effectiveAt: date, merges: [{ into: 'P_BACH_MAI', from: ['P_QUYNH_LOI'] }] });
    expect(mistaken.status).toBe(201);
    const { id } = mistaken.body as ReorganisationDto;
    const right = { name: 'Sáp nhập Quỳnh Lôi', effectiveAt: date, merges: [{ into: 'P_LE_DAI_HANH', from: ['P_QUYNH_LOI'] }] };
    const blocked = await post(right);
    expect(blocked.status).toBe(409);
    expect((blocked.body as { message: string }).message).toContain(`cancel that plan (DELETE /v1/reorganisations/${id})`);

    expect((await cancel(id)).status).toBe(200);
    const scheduled = await post(right);
    expect(scheduled.status).toBe(201);
    clock.set('2026-03-10T08:00:00+07:00');
    expect(await engine.worker!.get(ApplyReorganisation).runDue()).toBe(1);
    expect(await statusOf(id)).toBe('cancelled');
    expect(await statusOf((scheduled.body as ReorganisationDto).id)).toBe('applied');
    const [unit] = await engine.query<{ successors: string[] }>(`SELECT successors FROM units WHERE code = 'P_QUYNH_LOI'`);
    expect(unit.successors).toEqual(['P_LE_DAI_HANH']);
  });

  it('refuses a plan that needs a unit an earlier scheduled plan ends, and one that ends a unit a later plan needs, naming it', async () => {
    const at = (seconds: number) => new Date(clock.now().getTime() + seconds * 1000).toISOString();
    const effectiveAt = at(90);
    const c = await post({ name: 'C: Thanh Nhàn vào Thanh Lương', effectiveAt, merges: [{ into: 'P_THANH_LUONG', from: ['P_THANH_NHAN'] }] });
    expect(c.status).toBe(201);
    const { id } = c.body as ReorganisationDto;
    const d = await post({ name: 'D: Thanh Lương vào Thanh Nhàn', effectiveAt: at(150), merges: [{ into: 'P_THANH_NHAN', from: ['P_THANH_LUONG'] }] });
    expect(d.status).toBe(409);
    expect((d.body as { message: string }).message).toBe(
      `unit 'P_THANH_NHAN' is ended by reorganisation ${id} ('C: Thanh Nhàn vào Thanh Lương', ${effectiveAt}), which applies first, and in this plan it takes in P_THANH_LUONG (merge): this plan could never apply; cancel that plan (DELETE /v1/reorganisations/${id}), or leave the unit out of this one`,
    );
    const earlier = await post({ name: 'E: Thanh Lương vào Phố Huế', effectiveAt: at(30), merges: [{ into: 'P_PHO_HUE', from: ['P_THANH_LUONG'] }] });
    expect(earlier.status).toBe(409);
    expect((earlier.body as { message: string }).message).toContain(
      `this plan ends unit 'P_THANH_LUONG' before reorganisation ${id} ('C: Thanh Nhàn vào Thanh Lương', ${effectiveAt}), in which it takes in P_THANH_NHAN (merge)`,
    );
    expect((await cancel(id)).status).toBe(200);
  });

  it('either cancels or applies a due plan, never both, when the two meet', async () => {
    const due = await post({ name: 'Sáp nhập Đồng Mác', effectiveAt: '2026-03-10T00:00:00+07:00', merges: [{ into: 'P_LE_DAI_HANH', from: ['P_DONG_MAC'] }] });
    expect(due.status).toBe(201);
    const { id } = due.body as ReorganisationDto;
    const [applied, cancelled] = await Promise.all([engine.worker!.get(ApplyReorganisation).execute(id), cancel(id)]);
    // The plan was due when posted, so its own job races the two as well: it may be the one that applies it
    // (this call then answers false, the cancel 409). Whoever applies, the cancel agrees with the outcome.
    const status = await statusOf(id);
    expect([cancelled.status, status]).toEqual(status === 'applied' ? [409, 'applied'] : [200, 'cancelled']);
    if (applied) expect(status).toBe('applied');
  });

  it('refuses a plan of the same date that renames a unit another renames, naming it; the dry run says so too', async () => {
    const effectiveAt = '2026-06-01T00:00:00+07:00';
    const rename = (name: string, at = effectiveAt) => ({ name, effectiveAt: at, renames: [{ unit: 'P_NGUYEN_DU', name }] });
    const first = await post(rename('Phường Nguyễn Du A'));
    expect(first.status).toBe(201);
    const { id } = first.body as ReorganisationDto;
    const clash = `unit 'P_NGUYEN_DU' is already renamed by reorganisation ${id} ('Phường Nguyễn Du A', ${effectiveAt}), of the same date: the name it keeps would depend on which plan applies last; cancel that plan (DELETE /v1/reorganisations/${id}) and post it again changed, or leave the unit out of this one`;
    // The same instant in UTC.
    const second = rename('Phường Nguyễn Du B', '2026-05-31T17:00:00Z');
    const dry = await post(second, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body as ReorganisationReportDto).toMatchObject({ ok: false, unresolved: [clash] });
    const refused = await post(second);
    expect(refused.status).toBe(409);
    expect((refused.body as { message: string }).message).toBe(clash);
    // A month later it is renamed again, after the first.
    const later = await post(rename('Phường Nguyễn Du B', '2026-07-01T00:00:00+07:00'));
    expect(later.status).toBe(201);
    for (const r of [id, (later.body as ReorganisationDto).id]) expect((await cancel(r)).status).toBe(200);
  });

  it('reports in the dry run the clash that would refuse the plan: the dry run is ok only when the plan may be scheduled', async () => {
    const effectiveAt = '2026-06-01T00:00:00+07:00';
    const first = await post({ name: 'Đồng Nhân vào Phố Huế', effectiveAt, merges: [{ into: 'P_PHO_HUE', from: ['P_DONG_NHAN'] }] });
    expect(first.status).toBe(201);
    const { id } = first.body as ReorganisationDto;
    const dry = await post({ name: 'Đồng Nhân vào Bạch Đằng', effectiveAt, merges: [{ into: 'P_BACH_DANG', from: ['P_DONG_NHAN'] }] }, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body as ReorganisationReportDto).toMatchObject({ ok: false });
    expect((dry.body as ReorganisationReportDto).unresolved).toEqual([
      expect.stringMatching(new RegExp(`^unit 'P_DONG_NHAN' is already ended by reorganisation ${id} `)),
    ]);
    // The same plan again: already scheduled.
    const again = await post({ name: 'Đồng Nhân vào Phố Huế', effectiveAt, merges: [{ into: 'P_PHO_HUE', from: ['P_DONG_NHAN'] }] }, '?dryRun=true');
    expect((again.body as ReorganisationReportDto).unresolved).toEqual([`this plan is already scheduled as reorganisation ${id}`]);
    expect((await cancel(id)).status).toBe(200);
  });

  it("answers a plan with several problems with each field's own problems in errors, and every problem in message", async () => {
    const res = await post({ name: '', effectiveAt: 'nope', renames: [{ unitCode: 'P_NGUYEN_DU' }] }, '?dryRun=true');
    expect(res.status).toBe(400);
    const problems = {
      effectiveAt: "plan.effectiveAt must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00, got 'nope'",
      name: 'plan.name is required',
      'renames[0].unitCode': 'plan.renames[0].unitCode is not a field of a plan here (known: unit, name, aliases)',
      'renames[0].unit': 'plan.renames[0].unit is required',
      'renames[0].name': 'plan.renames[0].name is required',
    };
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: Object.values(problems).join('; '),
      errors: Object.entries(problems).map(([field, problem]) => ({ field, problems: [problem] })),
    });
  });
});
