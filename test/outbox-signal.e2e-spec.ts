import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { onOutboxCommitted, writeOutbox } from '@fr/persistence';
import { outboxChannel } from '@fr/queue';
import { DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

/** Relays wake on commits that wrote outbox rows, told by the writer rather than by a NOTIFY. */
describe('outbox commit signal', () => {
  let engine: TestEngine;
  let ds: DataSource;
  let commits = 0;
  let unsubscribe: () => void;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    ds = engine.api.get(DataSource);
    unsubscribe = onOutboxCommitted(ds, () => commits++);
  });
  afterAll(async () => {
    unsubscribe?.();
    await engine?.close();
  });
  afterEach(() => engine.query(`DELETE FROM outbox`));

  const message = (i: number) => ({ queue: 'routing', name: 'route-case', jobId: `signal-test.${i}`, payload: { i } });

  it('signals after the commit, once per transaction, and not for a rollback', async () => {
    const before = commits;
    await ds.transaction(async (m) => {
      await writeOutbox(m, message(1));
      await writeOutbox(m, message(2));
      expect(commits).toBe(before); // not before the rows are visible to a relay
    });
    expect(commits).toBe(before + 1);

    await expect(
      ds.transaction(async (m) => {
        await writeOutbox(m, message(3));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await ds.transaction((m) => m.query(`SELECT 1`));
    expect(commits).toBe(before + 1);

    await writeOutbox(ds.manager, message(4)); // a statement of its own commits at once
    expect(commits).toBe(before + 2);
    expect(await engine.query(`SELECT job_id FROM outbox ORDER BY id`)).toEqual([
      { job_id: 'signal-test.1' },
      { job_id: 'signal-test.2' },
      { job_id: 'signal-test.4' },
    ]);
  });

  it('the API tells the relays over Redis when intake commits', async () => {
    const sub = new Redis(engine.config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let heard = 0;
      sub.on('message', () => heard++);
      await sub.subscribe(outboxChannel(engine.config.queuePrefix));
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
        .send({ category: 'sanitation', description: 'Rác thải tồn đọng ở ngõ 12.', location: { wardCode: 'BACH_KHOA' } });
      expect(res.status).toBe(202);
      await waitFor(
        async () => heard,
        (n) => n >= 1,
        { what: 'the announcement on Redis' },
      );
    } finally {
      sub.disconnect();
    }
  });
});
