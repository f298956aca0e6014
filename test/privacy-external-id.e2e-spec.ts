import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealAuditEvents } from '@fr/audit';
import { maskContactsInText } from '@fr/domain';
import { MIGRATIONS } from '@fr/persistence';
import { EraseExpiredContactDetails } from '@fr/privacy';
import { execFileSync } from 'node:child_process';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, ManualClock, startWebhookReceiver, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';
import type { QueryRunner } from 'typeorm';
import type { RegisteredWebhookDto } from '../apps/api/src/webhooks/webhooks.controller';

jest.setTimeout(60_000);

const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';
/** Monday 2 March 2026, 08:00 in Hanoi: a working day. */
const MONDAY_8AM = '2026-03-02T08:00:00+07:00';

/**
 * A channel's id of a feedback is the integrator's to choose, and hotline desks often make it of the
 * caller's number and the time ("1022-0912345601-0802"): personal data. Chained in the `receive` event's
 * data, it could never be erased; it is kept aside like an officer's text, under its salted hash, and
 * erased with the contact details (retention, a deletion request), whatever `freeText` lists.
 */
describe("a channel's externalId in the audit trail: kept aside, erased with the contact", () => {
  const clock = new ManualClock(MONDAY_8AM);
  let engine: TestEngine;
  let configDir: string;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    // Without auditTexts: the officers' texts stay, the externalId (a contact detail maybe) goes all the same.
    configDir = mkdtempSync(join(tmpdir(), 'fr-external-id-'));
    cpSync(join(__dirname, '..', 'config'), configDir, { recursive: true });
    const retention = join(configDir, 'retention.yaml');
    const yaml = readFileSync(retention, 'utf8');
    const without = yaml.replace(/, auditTexts\]/, ']');
    expect(without).not.toBe(yaml);
    writeFileSync(retention, without);
    // Two subscribers of the case events: one takes every delivery (kept, sent), one never does (still to send).
    rx = await startWebhookReceiver((path) => (path === '/down' ? 503 : 200));
    engine = await TestEngine.start({ clock, env: { FR_CONFIG_DIR: configDir, FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    const admin = await adminToken(engine);
    tokens.handler = (await createOfficer(engine, admin, { username: 'xid.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    tokens.auditor = (await createOfficer(engine, admin, { username: 'xid.auditor', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    for (const path of ['/up', '/down']) {
      const res = await engine
        .http()
        .post('/v1/webhooks')
        .set(bearer(admin))
        .send({ url: `${rx.url}${path}`, events: ['case.status'] });
      expect(res.status).toBe(201);
      rx.trust(path, (res.body as RegisteredWebhookDto).secret!);
    }
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  /** A case whose externalId holds its caller's number, answered and closed by the citizen's rating. */
  async function closedCase(phone: string): Promise<{ id: string; trackingCode: string; externalId: string }> {
    const externalId = `1022-${phone}-0802`;
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        externalId,
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Phạm Văn Đức', phone },
      });
    expect(res.status).toBe(202);
    const c = res.body as { id: string; trackingCode: string };
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [c.id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    await actOnCase(engine, bearer(tokens.handler), c.id, 'acknowledge', { severity: 'normal' });
    await actOnCase(engine, bearer(tokens.handler), c.id, 'resolve', { answer: ANSWER });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set({ 'X-Api-Key': DEV_KEYS.ihanoi }).send({ score: 5 })).status).toBe(200);
    return { ...c, externalId };
  }
  /** Every chained column of the case's events, and their seals, as text. */
  const chained = async (caseId: string) => {
    await engine.worker!.get(SealAuditEvents).sealAll('test');
    const rows = await engine.query<{ line: string }>(
      `SELECT concat_ws('|', e.id, e.actor, e.action, e.reason, e.data::text, encode(s.hash, 'escape')) AS line
         FROM audit_events e LEFT JOIN audit_seals s ON s.event_id = e.id WHERE e.case_id = $1`,
      [caseId],
    );
    return rows.map((r) => r.line).join('\n');
  };
  const keptAside = (caseId: string) =>
    engine.query<{ body: string | null; erased: boolean }>(
      `SELECT t.body, t.erased_at IS NOT NULL AS erased FROM audit_event_texts t JOIN audit_events e ON e.id = t.event_id
        WHERE e.case_id = $1 AND e.action = 'receive' AND t.field = 'externalId'`,
      [caseId],
    );
  const timelineExternalId = async (id: string) => {
    const view = (await engine.http().get(`/v1/cases/${id}`).set(bearer(tokens.handler))).body as {
      timeline: { action: string; data: Record<string, unknown> }[];
    };
    return view.timeline.find((e) => e.action === 'receive')!.data.externalId;
  };
  /** The externalId each stored delivery of the case's events carries, sent or not. */
  const deliveredIds = (caseId: string) =>
    engine.query<{ status: string; external_id: string | null }>(
      `SELECT d.status, d.payload->>'externalId' AS external_id FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
        WHERE e.case_id = $1 AND d.payload ? 'externalId'`,
      [caseId],
    );
  /**
   * Before the erasure: every event of the case fanned out (its frozen state is removed in the transaction
   * that makes its deliveries), some deliveries sent, some not, each with the externalId. (A fan-out at the
   * moment of the erasure: privacy-erasure-fanout-race.e2e-spec.ts.)
   */
  const deliveriesMade = async (c: { id: string; externalId: string }) => {
    await waitFor(
      () => engine.query(`SELECT f.event_id FROM case_event_states f JOIN audit_events e ON e.id = f.event_id WHERE e.case_id = $1`, [c.id]),
      (r) => r.length === 0,
      { what: "the case's events fanned out" },
    );
    const rows = await waitFor(
      () => deliveredIds(c.id),
      (r) => r.some((d) => d.status === 'delivered') && r.some((d) => d.status !== 'delivered'),
      { what: "the case's deliveries, sent and not" },
    );
    // Subscribers, not the channel: they get it masked (webhooks.e2e-spec.ts), which still says whose it is.
    expect(rows.map((d) => d.external_id)).toEqual(rows.map(() => maskContactsInText(c.externalId)));
  };
  const storedExternalId = async (caseId: string) =>
    (await engine.query<{ external_id: string | null }>(`SELECT external_id FROM cases WHERE id = $1`, [caseId]))[0].external_id;
  const erasedFields = async (caseId: string) =>
    (
      await engine.query<{ fields: string[] }>(`SELECT data->'fields' AS fields FROM audit_events WHERE case_id = $1 AND action = 'contact_erased'`, [caseId])
    )[0].fields;
  const resubmit = (externalId: string) =>
    engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        externalId,
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Phạm Văn Đức', phone: '0912345699' },
      });
  const verifies = async () => expect((await engine.http().get('/v1/audits/verify').set(bearer(tokens.auditor))).body).toMatchObject({ ok: true });

  it('keeps it outside the chain, where officers still read it; a deletion request erases it and the trail verifies', async () => {
    const c = await closedCase('0912345601');
    expect(await chained(c.id)).not.toContain('0912345601');
    expect(await keptAside(c.id)).toEqual([{ body: c.externalId, erased: false }]);
    expect(await timelineExternalId(c.id)).toBe(c.externalId);

    const res = await engine.http().post('/v1/privacy/requests').set({ 'X-Api-Key': DEV_KEYS.ihanoi }).send({ kind: 'delete', phone: '0912345601' });
    expect(res.status).toBe(201);
    expect(await keptAside(c.id)).toEqual([{ body: null, erased: true }]);
    expect(await timelineExternalId(c.id)).toBeNull();
    await verifies();
  });

  it("a deletion request erases it from the case and from the deliveries' payloads, sent or not, and names it among the fields", async () => {
    const c = await closedCase('0912345603');
    await deliveriesMade(c);
    // Before the erasure a retry is the same case.
    const retry = await resubmit(c.externalId);
    expect(retry.status).toBe(200);
    expect((retry.body as { id: string }).id).toBe(c.id);

    const res = await engine.http().post('/v1/privacy/requests').set({ 'X-Api-Key': DEV_KEYS.ihanoi }).send({ kind: 'delete', phone: '0912345603' });
    expect(res.status).toBe(201);
    expect((res.body as { fields: string[] }).fields).toContain('externalId');
    expect(await erasedFields(c.id)).toContain('externalId');
    expect(await storedExternalId(c.id)).toBeNull();
    const rows = await deliveredIds(c.id);
    expect(rows.some((d) => d.status === 'delivered') && rows.some((d) => d.status !== 'delivered')).toBe(true);
    expect(rows.map((d) => d.external_id)).toEqual(rows.map(() => null));
    // Nowhere in the database any more.
    const dump = execFileSync('pg_dump', [engine.superuserUrl], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(dump).toContain(c.trackingCode);
    expect(dump).not.toContain('0912345603');
    await verifies();

    // Months later the same id is no retry of the erased case: it is a new one.
    const later = await resubmit(c.externalId);
    expect(later.status).toBe(202);
    expect((later.body as { id: string }).id).not.toBe(c.id);
  });

  it('a migration clears it on the cases erased before, in the case and the payloads of its deliveries', async () => {
    const c = await closedCase('0912345604');
    await deliveriesMade(c);
    expect((await engine.http().post('/v1/privacy/requests').set({ 'X-Api-Key': DEV_KEYS.ihanoi }).send({ kind: 'delete', phone: '0912345604' })).status).toBe(
      201,
    );
    // As the version before left an erased case: its externalId in the case and in its deliveries.
    await engine.query(`UPDATE cases SET external_id = $2 WHERE id = $1`, [c.id, c.externalId]);
    await engine.query(
      `UPDATE deliveries d SET payload = jsonb_set(d.payload, '{externalId}', to_jsonb($2::text)) FROM audit_events e
        WHERE e.case_id = $1 AND d.event_key = 'case-event.' || e.id AND d.payload ? 'externalId'`,
      [c.id, c.externalId],
    );
    expect(await storedExternalId(c.id)).toBe(c.externalId);
    const q = { query: (sql: string, params?: unknown[]) => engine.query(sql, params) } as unknown as QueryRunner;
    await new (MIGRATIONS.find((m) => m.name === 'ErasedExternalIds1767470000000')!)().up(q);
    expect(await storedExternalId(c.id)).toBeNull();
    const rows = await deliveredIds(c.id);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((d) => d.external_id)).toEqual(rows.map(() => null));
  });

  it('the retention sweep erases it too', async () => {
    const c = await closedCase('0912345602');
    await deliveriesMade(c);
    clock.advance({ days: 731 });
    expect((await engine.worker!.get(EraseExpiredContactDetails).runOnce()).erased).toBeGreaterThanOrEqual(1);
    expect(await keptAside(c.id)).toEqual([{ body: null, erased: true }]);
    expect(await storedExternalId(c.id)).toBeNull();
    expect((await deliveredIds(c.id)).map((d) => d.external_id)).toEqual((await deliveredIds(c.id)).map(() => null));
    expect(await erasedFields(c.id)).toContain('externalId');
    expect(await chained(c.id)).not.toContain('0912345602');
    await verifies();
  });
});
