import { DataSource } from 'typeorm';
import { SubmitFeedback } from '@fr/intake';
import { Deliveries } from '@fr/notifications';
import { RouteCase } from '@fr/routing';
import { Clock, SlaService } from '@fr/sla';
import { recordStatements, statementSummary, TestEngine } from '@fr/testing';

/**
 * The statements each case costs, counted at the driver (each one a round trip to PostgreSQL).
 * No worker runs here, so nothing but the code under test writes or reads: the counts are exact.
 * Before issue 9 (README, Performance): intake 6, routing 11 per case, fan-out 5 per case; intake was
 * 4 (BEGIN, case + outbox, event, COMMIT) until its three writes became one statement.
 */
describe('statements per case', () => {
  let engine: TestEngine;
  let submit: SubmitFeedback;
  let sut: RouteCase;
  let deliveries: Deliveries;
  let n = 0;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    submit = engine.api.get(SubmitFeedback);
    deliveries = engine.api.get(Deliveries);
    sut = new RouteCase(engine.api.get(DataSource), engine.api.get(SlaService), engine.api.get(Clock), engine.config);
    // Caches warm, as in steady operation: categories (intake), areas and rules (routing).
    await sut.execute((await feedback()).id);
  });
  afterAll(() => engine?.close());

  function feedback() {
    return submit.execute({
      channel: 'ihanoi',
      externalId: `cost-${++n}`,
      category: n % 4 === 0 ? 'other' : 'sidewalk_encroachment',
      description: 'Quán trà đá bày bàn ghế kín vỉa hè trước số 25 Tạ Quang Bửu.',
      location: { wardCode: n % 2 ? 'BACH_KHOA' : 'THANH_NHAN' },
    });
  }
  /** A case that a rule assigns to a unit (routing reads or checks the unit). */
  const sidewalk = () =>
    submit.execute({
      channel: 'ihanoi',
      externalId: `cost-${++n}`,
      category: 'sidewalk_encroachment',
      description: 'Bàn ghế quán nước kín vỉa hè phố Tạ Quang Bửu.',
      location: { wardCode: 'BACH_KHOA' },
    });
  const routeEvents = (ids: string[]) =>
    engine.query<{ caseId: string; eventId: string }>(
      `SELECT case_id AS "caseId", id::text AS "eventId" FROM audit_events WHERE case_id = ANY($1) AND action IN ('route', 'route_to_triage')`,
      [ids],
    );
  const show = (label: string, statements: string[]) =>
    process.stdout.write(`${label}: ${statements.length}\n${statements.map((q) => `  ${statementSummary(q)}`).join('\n')}\n`);

  it('intake: the case with its routing job, and its audit event, in one statement', async () => {
    const { statements } = await recordStatements(feedback);
    show('intake', statements);
    expect(statements).toHaveLength(1);
  });

  it('routing: 5 statements for a case or a batch of 20 whose units are read; once they are kept, 4', async () => {
    // A router that keeps nothing yet: it reads the routing table (outside the transaction) and the unit.
    const fresh = new RouteCase(engine.api.get(DataSource), engine.api.get(SlaService), engine.api.get(Clock), engine.config);
    const first = await recordStatements(async () => fresh.execute((await sidewalk()).id));
    // The submit inside is counted too: take its statement off.
    const firstRoute = first.statements.slice(1);
    show('route 1 case, unit read', firstRoute);
    expect(firstRoute.map(statementSummary)).toEqual([
      'START TRANSACTION',
      expect.stringMatching(/^SELECT \* FROM routing_cases\(/),
      expect.stringMatching(/^SELECT \(SELECT COALESCE\(json_agg/),
      expect.stringMatching(/^SELECT r\.\*, to_jsonb\(r\)::text AS state FROM routing_units\(/),
      expect.stringMatching(/^SELECT \* FROM write_routing_pass\(/),
      'COMMIT',
    ]);
    const one = await recordStatements(async () => fresh.execute((await sidewalk()).id));
    const oneRoute = one.statements.slice(1);
    show('route 1 case, unit kept', oneRoute);
    expect(oneRoute.map(statementSummary)).toEqual([
      'START TRANSACTION',
      expect.stringMatching(/^SELECT \* FROM routing_cases\(/),
      expect.stringMatching(/^SELECT \* FROM write_routing_pass\(/),
      'COMMIT',
    ]);

    const batchOf20 = async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await feedback()).id);
      const batch = await recordStatements(() => sut.executeMany(ids));
      expect(batch.result.every((r) => r.changed)).toBe(true);
      return { ids, statements: batch.statements };
    };
    // The first batch reads the units it lacks (two wards, one kept from the warm-up), the second checks them.
    const reading = await batchOf20();
    show('route 20 cases, units read', reading.statements);
    expect(reading.statements).toHaveLength(5);
    const { ids, statements } = await batchOf20();
    show('route 20 cases, units kept', statements);
    expect(statements).toHaveLength(4);

    const fanOne = await recordStatements(async () => deliveries.caseEvents((await routeEvents([ids[0]])).slice(0, 1)));
    const fanOneStatements = fanOne.statements.slice(1); // less the test's own read
    show('fan-out 1 event (no webhooks)', fanOneStatements);
    // The lock of its cases against an erasure goes with BEGIN: no round trip of its own.
    expect(fanOneStatements.map(statementSummary)).toEqual([
      expect.stringMatching(/^BEGIN; SELECT lock_fanout_cases\(/),
      expect.stringMatching(/^WITH ev AS /),
      'COMMIT',
    ]);
    const events = await routeEvents(ids.slice(1));
    const fanMany = await recordStatements(() => deliveries.caseEvents(events));
    show('fan-out 19 events (no webhooks)', fanMany.statements);
    expect(fanMany.statements).toHaveLength(3);
  });

  it('routing on a kept unit that has changed: the write finds it stale and writes nothing, the unit is read and the batch decided again', async () => {
    const first = (await sidewalk()).id;
    await sut.execute(first);
    const [{ unit_code: unit, handler_id: handler, leader_id: leader }] = await engine.query<{ unit_code: string; handler_id: string; leader_id: string }>(
      `SELECT c.unit_code, u.handler_id, u.leader_id FROM cases c JOIN units u ON u.code = c.unit_code WHERE c.id = $1`,
      [first],
    );
    const id = (await sidewalk()).id;
    // The unit's handler is away now, covered by another handler of the unit: the kept row no longer says who acts.
    const [{ id: cover }] = await engine.query<{ id: string }>(
      `INSERT INTO officers (username, full_name, role, unit_code) SELECT 'cost.cover', 'Cán bộ thay', role, unit_code FROM officers WHERE id = $1 RETURNING id`,
      [handler],
    );
    const [absence] = await engine.query<{ id: string }>(
      `INSERT INTO officer_absences (officer_id, cover_id, starts_at, ends_at, created_by)
       VALUES ($1, $2, now() - interval '1 minute', now() + interval '1 hour', $3) RETURNING id`,
      [handler, cover, leader],
    );
    try {
      const { statements } = await recordStatements(() => sut.execute(id));
      show('route 1 case on a changed unit', statements);
      expect(statements.map(statementSummary)).toEqual([
        'START TRANSACTION',
        expect.stringMatching(/^SELECT \* FROM routing_cases\(/),
        expect.stringMatching(/^SELECT \* FROM write_routing_pass\(/),
        expect.stringMatching(/^SELECT r\.\*, to_jsonb\(r\)::text AS state FROM routing_units\(/),
        expect.stringMatching(/^SELECT \* FROM write_routing_pass\(/),
        'COMMIT',
      ]);
      const [routed] = await engine.query<{ unit_code: string; handler_id: string }>(`SELECT unit_code, handler_id FROM cases WHERE id = $1`, [id]);
      expect(routed).toEqual({ unit_code: unit, handler_id: cover });
      const events = await engine.query<{ action: string }>(`SELECT action FROM audit_events WHERE case_id = $1 ORDER BY id`, [id]);
      expect(events.map((e) => e.action)).toEqual(['receive', 'route']);
      const assignments = await engine.query(`SELECT handler_id FROM assignments WHERE case_id = $1`, [id]);
      expect(assignments).toEqual([{ handler_id: cover }]);
    } finally {
      await engine.query(`DELETE FROM officer_absences WHERE id = $1`, [absence.id]);
    }
  });

  it('routing likely duplicates: the search in the locking statement, a link a case, then one statement for their events and one for their notices', async () => {
    const report = (address: string) =>
      submit.execute({
        channel: 'ihanoi',
        externalId: `cost-${++n}`,
        category: 'sidewalk_encroachment',
        description: 'Xe máy đỗ tràn lan trên vỉa hè, người đi bộ phải đi xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA', address },
      });
    const addresses = [1, 2, 3].map((i) => `Số ${100 + n + i} phố Tạ Quang Bửu`);
    const originals: string[] = [];
    for (const a of addresses) originals.push((await report(a)).id);
    await sut.executeMany(originals);
    const copies: string[] = [];
    for (const a of addresses) copies.push((await report(a)).id);

    const batch = await recordStatements(() => sut.executeMany(copies));
    show('route 3 likely duplicates', batch.statements);
    // 4 for the batch's routing (its unit kept; each case's search in the statement that locks it),
    // 3 links (each with its relink), the link events, the notices. There were 3 searches more before
    // routing_cases took them in, and the unit's read before the write checked it.
    expect(batch.statements).toHaveLength(4 + 3 + 1 + 1);
    const linked = await engine.query<{ id: string; duplicate_of: string }>(`SELECT id, duplicate_of FROM cases WHERE id = ANY($1) ORDER BY received_at`, [
      copies,
    ]);
    expect(linked.map((c) => c.duplicate_of)).toEqual(originals);
    const told = await engine.query<{ case_id: string; officer_id: string; handler_id: string }>(
      `SELECT n.case_id, n.officer_id, c.handler_id FROM notifications n JOIN cases c ON c.id = n.case_id WHERE n.kind = 'duplicate' AND n.case_id = ANY($1)`,
      [originals],
    );
    expect(told.map((t) => t.case_id).sort()).toEqual([...originals].sort());
    expect(told.every((t) => t.officer_id === t.handler_id)).toBe(true);
  });
});
