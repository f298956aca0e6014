import { adminToken, ApiSchema, bearer, createOfficer, errorOf, TestEngine } from '@fr/testing';

/** Closed cases per unit in February 2025, and some that must never be drawn. */
const CLOSED_IN_PERIOD: Record<string, number> = { P_BACH_KHOA: 40, P_THANH_NHAN: 25, P_VINH_TUY: 3, QLDT: 12, CONG_AN: 1 };

describe('quality review: samples and reviews', () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  let seq = 0;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    tokens.ADMIN = await adminToken(engine);
    for (const [role, unit] of [
      ['AUDITOR', 'NOI_VU'],
      ['SUPERVISOR', 'VP'],
      ['HANDLER', 'P_BACH_KHOA'],
      ['LEADER', 'P_BACH_KHOA'],
    ] as const) {
      tokens[role] = (await createOfficer(engine, tokens.ADMIN, { username: `sample.${role.toLowerCase()}`, role, unitCode: unit })).token;
    }
    for (const [unit, n] of Object.entries(CLOSED_IN_PERIOD)) await insertCases(unit, n, 'closed', '2025-02-03 10:00+07');
    await insertCases('P_BACH_KHOA', 5, 'closed', '2025-03-03 10:00+07'); // closed after the period
    await insertCases('P_PHO_HUE', 4, 'resolved', '2025-02-03 10:00+07'); // answered, not closed
    await insertCases('P_PHO_HUE', 1, 'in_progress', '2025-02-03 10:00+07');
  });
  afterAll(() => engine?.close());

  async function insertCases(unit: string, n: number, status: string, at: string) {
    await engine.query(
      `INSERT INTO cases (tracking_code, channel_code, category_code, description, status, unit_code, submitted_at, received_at, resolved_at, closed_at)
       SELECT 'S' || lpad(($1::int + g)::text, 10, '0'), 'ihanoi', 'sidewalk_encroachment', 'Lấn chiếm vỉa hè', $2::text, $3,
              $4::timestamptz - interval '3 days', $4::timestamptz - interval '3 days',
              CASE WHEN $2::text IN ('resolved', 'closed') THEN $4::timestamptz - interval '1 day' END,
              CASE WHEN $2::text = 'closed' THEN $4::timestamptz + g * interval '1 hour' END
         FROM generate_series(1, $5::int) g`,
      [seq, status, unit, at, n],
    );
    seq += n;
  }

  const sample = (body: Record<string, unknown>, role = 'AUDITOR') => engine.http().post('/v1/audits/samples').set(bearer(tokens[role])).send(body);
  const base = { from: '2025-02-01', to: '2025-02-28', size: 5 };
  const draw = (res: { body: unknown }) => res.body as ApiSchema<'SampleDrawDto'>;

  it('the same seed draws the same cases; another seed draws others', async () => {
    const a = await sample({ ...base, seed: 'NV-2025-02' });
    const b = await sample({ ...base, seed: 'NV-2025-02' });
    const c = await sample({ ...base, seed: 'NV-2025-02-bis' });
    expect(a.status).toBe(200);
    expect(draw(a).caseIds.length).toBeGreaterThan(0);
    expect(b.body).toEqual(a.body);
    expect(draw(c).caseIds).not.toEqual(draw(a).caseIds);
    // A seed that shows nothing is no seed: a draw must be reproducible by what the report shows of it.
    for (const seed of ['   ', '\u0301']) expect((await sample({ ...base, seed })).status).toBe(400);
    // A numeric seed is its text.
    expect(draw(await sample({ ...base, seed: 42 })).caseIds).toEqual(draw(await sample({ ...base, seed: '42' })).caseIds);
  });

  it('every unit with closed cases in the period is represented, with min(size, closed) of its cases', async () => {
    const res = await sample({ ...base, seed: 'strata' });
    const strata = Object.fromEntries(draw(res).strata.map((s) => [s.unitCode, s]));
    expect(Object.keys(strata).sort()).toEqual(Object.keys(CLOSED_IN_PERIOD).sort());
    for (const [unit, closed] of Object.entries(CLOSED_IN_PERIOD)) {
      expect(strata[unit]).toMatchObject({ closed });
      expect(new Set(strata[unit].caseIds).size).toBe(Math.min(5, closed));
    }
    const drawn = await engine.query<{ unit_code: string; status: string; closed_at: Date }>(
      `SELECT unit_code, status, closed_at FROM cases WHERE id = ANY($1)`,
      [draw(res).caseIds],
    );
    expect(drawn).toHaveLength(draw(res).caseIds.length);
    for (const d of drawn) {
      expect(d.status).toBe('closed');
      expect(d.closed_at.getTime()).toBeGreaterThanOrEqual(Date.parse('2025-01-31T17:00:00Z'));
      expect(d.closed_at.getTime()).toBeLessThan(Date.parse('2025-02-28T17:00:00Z'));
    }
  });

  it("one unit's stratum is the same whether drawn alone or with every unit, and the draw is in the audit trail", async () => {
    const all = await sample({ ...base, seed: 'alone' });
    const alone = await sample({ ...base, seed: 'alone', unitCode: 'QLDT' });
    expect(draw(alone).strata).toHaveLength(1);
    expect(draw(alone).strata[0]).toEqual(draw(all).strata.find((s) => s.unitCode === 'QLDT'));
    const events = await engine.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE action = 'audit_sample_drawn' AND data->>'seed' = 'alone' ORDER BY id`,
    );
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ seed: 'alone', size: 5, unitCode: null, cases: draw(all).caseIds.length }),
      expect.objectContaining({ seed: 'alone', size: 5, unitCode: 'QLDT', cases: 5 }),
    ]);
    expect((await sample({ ...base, seed: 'x', unitCode: 'NOPE' })).status).toBe(404);
    expect((await sample({ ...base, seed: 'x', size: 0 })).status).toBe(400);
    expect((await sample({ from: '2025-02-01', to: '2025-02-28', size: 5 })).status).toBe(400);
  });

  it('records a review on the rubric as a final record and an audit event of the case', async () => {
    const [caseId] = draw(await sample({ ...base, seed: 'review', unitCode: 'P_THANH_NHAN' })).caseIds;
    const review = (body: Record<string, unknown>, role = 'AUDITOR') => engine.http().post('/v1/audits/reviews').set(bearer(tokens[role])).send(body);
    const scores = { addressesIssue: 2, evidence: 0, lawful: 2, politeClear: 1 };
    const res = await review({ caseId, scores, comment: 'Trả lời đúng trọng tâm nhưng không có ảnh hiện trường.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ caseId, unitCode: 'P_THANH_NHAN', scores, total: 5 });
    const [event] = await engine.query<{ actor: string; data: Record<string, unknown> }>(
      `SELECT actor, data FROM audit_events WHERE case_id = $1 AND action = 'review'`,
      [caseId],
    );
    expect(event.data).toMatchObject({ reviewId: (res.body as ApiSchema<'ReviewRecordDto'>).id, unitCode: 'P_THANH_NHAN', scores, total: 5 });

    expect((await review({ caseId, scores })).status).toBe(409); // a review is final
    expect((await review({ caseId, scores }, 'SUPERVISOR')).status).toBe(201); // another reviewer
    await expect(engine.query(`UPDATE audit_reviews SET evidence = 2`)).rejects.toThrow(/append-only/);

    // A closed case no sample drew: the unit's scores must come from the draw, not from a reviewer's choice.
    const [undrawn] = await engine.query<{ id: string }>(
      `SELECT c.id FROM cases c WHERE c.status = 'closed' AND c.unit_code = 'P_THANH_NHAN'
          AND NOT EXISTS (SELECT 1 FROM audit_sample_cases s WHERE s.case_id = c.id) LIMIT 1`,
    );
    const picked = await review({ caseId: undrawn.id, scores });
    expect(picked.status).toBe(422);
    expect(errorOf(picked).message).toBe(
      `case ${undrawn.id} is in no sample drawn for review over 7 days or more: draw one (POST /v1/audits/samples) and review the cases it names`,
    );
    // Nor one drawn by a period shaped around its closing: a few milliseconds, a sample of one.
    const [{ closed_at }] = await engine.query<{ closed_at: Date }>(`SELECT closed_at FROM cases WHERE id = $1`, [undrawn.id]);
    const pinpoint = await sample({
      unitCode: 'P_THANH_NHAN',
      from: new Date(closed_at.getTime() - 1).toISOString(),
      to: new Date(closed_at.getTime() + 1).toISOString(),
      size: 1,
      seed: 'pinpoint',
    });
    expect(draw(pinpoint).caseIds).toContain(undrawn.id);
    expect((await review({ caseId: undrawn.id, scores })).status).toBe(422);
    expect(await engine.query(`SELECT 1 FROM audit_reviews WHERE case_id = $1`, [undrawn.id])).toEqual([]);
    // Each draw names its cases beside its event, append-only like the trail.
    const drawnRows = await engine.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_sample_cases s JOIN audit_events e ON e.id = s.audit_event_id
        WHERE e.action = 'audit_sample_drawn' AND s.case_id = $1`,
      [caseId],
    );
    expect(drawnRows[0].n).toBeGreaterThanOrEqual(1);
    await expect(engine.query(`DELETE FROM audit_sample_cases WHERE case_id = $1`, [caseId])).rejects.toThrow(/append-only/);

    const [open] = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE status = 'resolved' LIMIT 1`);
    expect((await review({ caseId: open.id, scores })).status).toBe(422);
    expect((await review({ caseId: '00000000-0000-4000-8000-000000000000', scores })).status).toBe(404);
    const bad = await review({ caseId, scores: { ...scores, evidence: 3 } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/evidence/);
    expect((await review({ caseId, scores: { addressesIssue: 2 } })).status).toBe(400);
  });

  it('AUDITOR reads every unit and changes nothing else; HANDLER, LEADER and ADMIN get 403 on audits', async () => {
    const [c] = await engine.query<{ id: string; version: number }>(`SELECT id, version FROM cases WHERE status = 'in_progress' LIMIT 1`);
    const auditor = bearer(tokens.AUDITOR);
    expect((await engine.http().get(`/v1/cases/${c.id}`).set(auditor)).status).toBe(200);
    expect((await engine.http().get('/v1/cases?unit=P_PHO_HUE').set(auditor)).status).toBe(200);
    for (const action of ['resolve', 'transfer', 'note', 'extend', 'close']) {
      const res = await engine.http().post(`/v1/cases/${c.id}/${action}`).set(auditor).send({ expectedVersion: c.version });
      expect({ action, status: res.status }).toEqual({ action, status: 403 });
    }
    expect((await engine.http().post('/v1/officers').set(auditor).send({})).status).toBe(403);
    expect((await engine.http().put('/v1/units/P_PHO_HUE/designation').set(auditor).send({ handlerId: null, leaderId: null })).status).toBe(403);

    for (const role of ['HANDLER', 'LEADER', 'ADMIN']) {
      const who = bearer(tokens[role]);
      const calls = [
        engine.http().get('/v1/audits/verify').set(who),
        engine.http().get('/v1/audits/units?from=2025-02-01&to=2025-02-28').set(who),
        engine.http().get('/v1/audits/units/P_BACH_KHOA/cases?from=2025-02-01&to=2025-02-28').set(who),
        engine.http().get('/v1/audits/cases?from=2025-02-01&to=2025-02-28&format=csv').set(who),
        engine
          .http()
          .post('/v1/audits/samples')
          .set(who)
          .send({ ...base, seed: 'x' }),
        engine
          .http()
          .post('/v1/audits/reviews')
          .set(who)
          .send({ caseId: c.id, scores: { addressesIssue: 0, evidence: 0, lawful: 0, politeClear: 0 } }),
      ];
      expect((await Promise.all(calls)).map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    }
    expect((await engine.http().get('/v1/audits/verify')).status).toBe(401);
  });

  it("a reviewer does not review a case their own unit handled, nor a duplicate closed with its original's answer, which no sample draws", async () => {
    const scores = { addressesIssue: 2, evidence: 2, lawful: 2, politeClear: 2 };
    const own = (await createOfficer(engine, tokens.ADMIN, { username: 'sample.auditor.bk', role: 'AUDITOR', unitCode: 'P_BACH_KHOA' })).token;
    const [bk] = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE unit_code = 'P_BACH_KHOA' AND status = 'closed' ORDER BY id LIMIT 1`);
    const mine = await engine.http().post('/v1/audits/reviews').set(bearer(own)).send({ caseId: bk.id, scores });
    expect(mine.status).toBe(403);
    expect(errorOf(mine).message).toMatch(/handled by your own unit/);
    // Nor one their unit held before it was transferred on.
    const [tn] = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE unit_code = 'P_THANH_NHAN' AND status = 'closed' ORDER BY id DESC LIMIT 1`);
    await engine.query(`INSERT INTO assignments (case_id, unit_code, reason, started_at) VALUES ($1, 'P_BACH_KHOA', 'route', now() - interval '1 day')`, [
      tn.id,
    ]);
    expect((await engine.http().post('/v1/audits/reviews').set(bearer(own)).send({ caseId: tn.id, scores })).status).toBe(403);

    const before = draw(await sample({ ...base, seed: 'dup', unitCode: 'P_VINH_TUY' }));
    await insertCases('P_VINH_TUY', 2, 'closed', '2025-02-03 10:00+07');
    await engine.query(`UPDATE cases SET closed_as = 'duplicate', duplicate_of = $1 WHERE unit_code = 'P_VINH_TUY' AND id <> ALL($2::uuid[])`, [
      before.caseIds[0],
      before.caseIds,
    ]);
    const [dup] = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE closed_as = 'duplicate' LIMIT 1`);
    const res = await engine.http().post('/v1/audits/reviews').set(bearer(tokens.AUDITOR)).send({ caseId: dup.id, scores });
    expect(res.status).toBe(422);
    expect(errorOf(res).message).toMatch(/closed as a duplicate/);
    expect(draw(await sample({ ...base, seed: 'dup', unitCode: 'P_VINH_TUY' }))).toEqual(before);
    // Nor one closed unanswered on another legal track (a complaint found after intake): the rubric scores answers.
    await insertCases('P_VINH_TUY', 1, 'closed', '2025-02-04 10:00+07');
    const [redirected] = await engine.query<{ id: string }>(
      `UPDATE cases SET closed_as = 'other_track', where_to_go = 'Gửi đơn khiếu nại tới UBND phường' WHERE id = (SELECT id FROM cases WHERE unit_code = 'P_VINH_TUY' AND closed_as IS NULL AND id <> ALL($1::uuid[]) LIMIT 1) RETURNING id`,
      [before.caseIds],
    );
    expect(draw(await sample({ ...base, seed: 'dup', unitCode: 'P_VINH_TUY' }))).toEqual(before);
    const other = await engine.http().post('/v1/audits/reviews').set(bearer(tokens.AUDITOR)).send({ caseId: redirected.id, scores });
    expect(other.status).toBe(422);
    expect(errorOf(other).message).toMatch(/closed on another legal track, unanswered/);

    // The office that classified a case in triage did not answer it: its supervisor may review it.
    const triaged = before.caseIds[1];
    await engine.query(`INSERT INTO assignments (case_id, unit_code, reason, started_at) VALUES ($1, 'VP', 'triage', now() - interval '2 days')`, [triaged]);
    expect((await engine.http().post('/v1/audits/reviews').set(bearer(tokens.SUPERVISOR)).send({ caseId: triaged, scores })).status).toBe(201);
  });
});
