import { DEV_KEYS, TestEngine } from '@fr/testing';

/**
 * The outbox relay begins its pass before it takes the rows committed by then, so it can route a case
 * whose intake committed after the pass began. The state log must still read in the order the changes
 * were written: the unit report counts a case open for the unit of its last row at the instant asked,
 * and with transaction-start times the `route` row sorted before the `receive` row (CI flake: open 1 of 2).
 */
describe('the case state log', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await TestEngine.start();
  });
  afterAll(() => engine?.close());

  it('orders a change made in a transaction that began before the case was received after its receipt', async () => {
    const early = await engine.db.connect();
    try {
      await early.query('BEGIN');
      await early.query('SELECT 1');
      // The case is received (and its first state-log row written) after that transaction began.
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
        .send({ category: 'sanitation', description: 'Rác thải tồn đọng ở đầu ngõ 12 phố Bạch Mai.', location: { wardCode: 'BACH_KHOA' } });
      expect(res.status).toBe(202);
      const { id } = res.body as { id: string };
      await early.query(`UPDATE cases SET due_at = now() + interval '1 day' WHERE id = $1`, [id]);
      await early.query('COMMIT');
      const rows = await engine.query<{ due_at: Date | null }>(`SELECT due_at FROM case_state_log WHERE case_id = $1 ORDER BY at DESC, id DESC LIMIT 1`, [id]);
      expect(rows[0].due_at).not.toBeNull();
    } finally {
      early.release();
    }
  });
});
