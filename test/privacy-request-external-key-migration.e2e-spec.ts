import { MIGRATIONS, withMigrationSecrets } from '@fr/persistence';
import { DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { PoolClient } from 'pg';
import type { QueryRunner } from 'typeorm';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

jest.setTimeout(120_000);

const IHANOI = { 'X-Api-Key': DEV_KEYS.ihanoi };
const HOTLINE = { 'X-Api-Key': DEV_KEYS.hotline };
const PHONE = '0987666777';

/**
 * Migration 1767490000000-PrivacyRequestExternalKey on requests stored as the version before stored
 * them (the channel's externalId in clear, here made of the caller's number as integrators do): the ids
 * hashed and gone, a retry still the same request, the same id with another request still a 409.
 */
describe('PrivacyRequestExternalKey: the externalIds stored in clear become keyed hashes', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start();
  });
  afterAll(() => engine?.close());

  const migration = () => new (MIGRATIONS.find((m) => m.name === 'PrivacyRequestExternalKey1767490000000')!)();
  const runner = (c: PoolClient) =>
    ({ query: async (sql: string, params?: unknown[]) => (await c.query<Record<string, unknown>>(sql, params)).rows }) as unknown as QueryRunner;
  const request = (key: Record<string, string>, body: Record<string, unknown>) => engine.http().post('/v1/privacy/requests').set(key).send(body);

  it('hashes the stored ids and drops them: retries find their requests, another request under one is refused', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(IHANOI)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Ngô Thị Hoa', phone: PHONE },
      });
    expect(res.status).toBe(202);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [(res.body as FeedbackAcceptedDto).id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    const made = async (key: Record<string, string>, body: Record<string, unknown>) => {
      const r = await request(key, body);
      expect(r.status).toBe(201);
      return (r.body as SubjectRequestViewDto).id;
    };
    const access = { kind: 'access', phone: PHONE };
    const a = await made(IHANOI, access);
    const b = await made(IHANOI, { kind: 'correct', phone: PHONE, corrections: { email: 'hoa.ngo@example.vn' } });
    const h = await made(HOTLINE, access);
    const none = await made(IHANOI, access);

    // As the version before stored them: the ids in clear (one of them the caller's number, one id in two channels).
    const c = await engine.db.connect();
    try {
      await migration().down(runner(c));
      for (const [id, externalId] of [
        [a, `zalo-${PHONE}`],
        [b, 'ihn-dsr-0300'],
        [h, `zalo-${PHONE}`],
      ]) {
        await c.query(`UPDATE privacy_requests SET external_id = $2 WHERE id = $1`, [id, externalId]);
      }
      // Without the deployment's key the ids cannot be hashed: refused, and nothing changed.
      await c.query('BEGIN');
      await expect(migration().up(runner(c))).rejects.toThrow(/FR_PRIVACY_KEY/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await withMigrationSecrets({ privacyKey: engine.config.privacyKey }, () => migration().up(runner(c)));
      await c.query('COMMIT');
    } finally {
      c.release();
    }

    const columns = await engine.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'privacy_requests' AND column_name LIKE 'external%'`,
    );
    expect(columns.map((r) => r.column_name)).toEqual(['external_key']);
    const rows = await engine.query<{ row: string }>(`SELECT row_to_json(r)::text AS row FROM privacy_requests r`);
    for (const r of rows) expect(r.row).not.toMatch(/666777|ihn-dsr|zalo/);
    const keys = await engine.query<{ id: string; keyed: boolean }>(`SELECT id::text, external_key IS NOT NULL AS keyed FROM privacy_requests ORDER BY id`);
    expect(keys.filter((k) => k.keyed).map((k) => k.id)).toEqual([a, b, h].sort());
    const [index] = await engine.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'privacy_requests_external_key_idx'`);
    expect(index.def).toMatch(/UNIQUE INDEX .* \(channel_code, external_key\) WHERE \(external_key IS NOT NULL\)/);

    // Retries, after the upgrade, of the requests made before it, in each channel; several at once too.
    const retry = async (key: Record<string, string>, body: Record<string, unknown>) => {
      const r = await request(key, body);
      return [r.status, (r.body as SubjectRequestViewDto).id];
    };
    expect(await retry(IHANOI, { ...access, externalId: `zalo-${PHONE}` })).toEqual([200, a]);
    expect(await retry(HOTLINE, { ...access, externalId: `zalo-${PHONE}` })).toEqual([200, h]);
    const burst = await Promise.all(
      Array.from({ length: 4 }, () =>
        retry(IHANOI, { kind: 'correct', phone: PHONE, corrections: { email: 'hoa.ngo@example.vn' }, externalId: 'ihn-dsr-0300' }),
      ),
    );
    expect(burst).toEqual(Array.from({ length: 4 }, () => [200, b]));
    const reused = await request(IHANOI, { kind: 'delete', phone: PHONE, externalId: `zalo-${PHONE}` });
    expect(reused.status).toBe(409);
    // The unique index holds for the hashes: the same id and channel cannot be stored twice.
    await expect(
      engine.query(`UPDATE privacy_requests SET external_key = (SELECT external_key FROM privacy_requests WHERE id = $1) WHERE id = $2`, [a, none]),
    ).rejects.toThrow(/privacy_requests_external_key_idx/);
    expect(await engine.query(`SELECT count(*)::int AS n FROM privacy_requests`)).toEqual([{ n: 4 }]);
  });
});
