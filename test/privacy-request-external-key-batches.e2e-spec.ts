import { MIGRATIONS, withMigrationSecrets } from '@fr/persistence';
import { DEV_KEYS, TestEngine } from '@fr/testing';
import type { PoolClient } from 'pg';
import type { QueryRunner } from 'typeorm';
import type { SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

jest.setTimeout(120_000);
const IHANOI = { 'X-Api-Key': DEV_KEYS.ihanoi };
const HOTLINE = { 'X-Api-Key': DEV_KEYS.hotline };

describe('PrivacyRequestExternalKey on many rows', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await TestEngine.start();
  });
  afterAll(() => engine?.close());
  const migration = () => new (MIGRATIONS.find((m) => m.name === 'PrivacyRequestExternalKey1767490000000')!)();
  const runner = (c: PoolClient) =>
    ({ query: async (sql: string, params?: unknown[]) => (await c.query<Record<string, unknown>>(sql, params)).rows }) as unknown as QueryRunner;

  it('hashes 2,500 ids in batches, same id in two channels, 100 characters, NULLs', async () => {
    const r = await engine.http().post('/v1/privacy/requests').set(IHANOI).send({ kind: 'access', phone: '0987111222' });
    expect(r.status).toBe(201);
    const seed = (r.body as SubjectRequestViewDto).id;
    const long = 'Đ'.repeat(99) + 'x';
    const c = await engine.db.connect();
    try {
      await migration().down(runner(c));
      await c.query(`UPDATE privacy_requests SET external_id = $2 WHERE id = $1`, [seed, long]);
      await c.query(
        `INSERT INTO privacy_requests (channel_code, kind, status, phone_hash, email_hash, case_ids, waiting_case_ids, fields, received_at, due_at, answered_at, external_id, request_key)
         SELECT ch, kind, status, phone_hash, email_hash, case_ids, waiting_case_ids, fields, received_at, due_at, answered_at,
                CASE WHEN g % 7 = 0 THEN NULL ELSE 'id-' || g END, request_key
           FROM privacy_requests p, generate_series(1, 1250) g, unnest(ARRAY['ihanoi', 'hotline_1022']) ch WHERE p.id = $1`,
        [seed],
      );
      await c.query('BEGIN');
      await withMigrationSecrets({ privacyKey: engine.config.privacyKey }, () => migration().up(runner(c)));
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const [n] = await engine.query<{ keyed: number; all: number }>(`SELECT count(external_key)::int AS keyed, count(*)::int AS all FROM privacy_requests`);
    expect(n).toEqual({ keyed: 1 + 2 * (1250 - Math.floor(1250 / 7)), all: 2501 });
    const retry = await engine.http().post('/v1/privacy/requests').set(IHANOI).send({ kind: 'access', phone: '0987111222', externalId: long });
    expect([retry.status, (retry.body as SubjectRequestViewDto).id]).toEqual([200, seed]);
    const h = await engine.http().post('/v1/privacy/requests').set(HOTLINE).send({ kind: 'access', phone: '0987111222', externalId: 'id-1' });
    expect(h.status).toBe(200);
  });
});
