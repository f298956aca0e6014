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

  it('routing: 5 statements for one case, and the same 5 for a batch of 20', async () => {
    const one = await recordStatements(async () => sut.execute((await feedback()).id));
    // The submit inside is counted too: take its statement off.
    const oneRoute = one.statements.slice(1);
    show('route 1 case', oneRoute);
    expect(oneRoute).toHaveLength(5);

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await feedback()).id);
    const batch = await recordStatements(() => sut.executeMany(ids));
    show('route 20 cases', batch.statements);
    expect(batch.result.every((r) => r.changed)).toBe(true);
    expect(batch.statements).toHaveLength(5);

    const fanOne = await recordStatements(async () => deliveries.caseEvents((await routeEvents([ids[0]])).slice(0, 1)));
    const fanOneStatements = fanOne.statements.slice(1); // less the test's own read
    show('fan-out 1 event (no webhooks)', fanOneStatements);
    expect(fanOneStatements).toHaveLength(3);
    const events = await routeEvents(ids.slice(1));
    const fanMany = await recordStatements(() => deliveries.caseEvents(events));
    show('fan-out 19 events (no webhooks)', fanMany.statements);
    expect(fanMany.statements).toHaveLength(3);
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
    // 5 for the batch's routing (each case's search is in the statement that locks it), 3 links (each
    // with its relink), the link events, the notices. There were 3 searches more before routing_cases
    // took them in.
    expect(batch.statements).toHaveLength(5 + 3 + 1 + 1);
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
