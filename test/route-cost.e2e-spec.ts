import { DataSource } from 'typeorm';
import { SubmitFeedback } from '@fr/intake';
import { Deliveries } from '@fr/notifications';
import { RouteCase } from '@fr/routing';
import { SlaService } from '@fr/sla';
import { recordStatements, statementSummary, TestEngine } from '@fr/testing';

/**
 * The statements each case costs, counted at the driver (each one a round trip to PostgreSQL).
 * No worker runs here, so nothing but the code under test writes or reads: the counts are exact.
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
    sut = new RouteCase(engine.api.get(DataSource), engine.api.get(SlaService));
  });
  afterAll(() => engine?.close());

  const feedback = () =>
    submit.execute({
      channel: 'ihanoi',
      externalId: `cost-${++n}`,
      category: 'sidewalk_encroachment',
      description: 'Quán trà đá bày bàn ghế kín vỉa hè trước số 25 Tạ Quang Bửu.',
      location: { wardCode: 'BACH_KHOA' },
    });

  it('counts intake, routing and the fan-out of one case', async () => {
    await feedback(); // caches warm, as in steady operation
    const intake = await recordStatements(feedback);
    const route = await recordStatements(() => sut.execute(intake.result.id));
    expect(route.result.changed).toBe(true);
    const [event] = await engine.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE case_id = $1 AND action = 'route'`, [intake.result.id]);
    const fanout = await recordStatements(() => deliveries.caseEvent(intake.result.id, event.id));
    const report = { intake: intake.statements, route: route.statements, fanout: fanout.statements };
    process.stdout.write(
      Object.entries(report)
        .map(([k, s]) => `${k}: ${s.length}\n${s.map((q) => `  ${statementSummary(q)}`).join('\n')}`)
        .join('\n') + '\n',
    );
  });
});
