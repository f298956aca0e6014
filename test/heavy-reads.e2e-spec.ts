import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Client } from 'pg';
import { VerifyAuditTrail } from '@fr/audit';
import { CallerGoneError } from '@fr/domain';
import { Metrics } from '@fr/metrics';
import { adminToken, bearer, createOfficer, holdTable, TestEngine, untilWaitingForTable, waitFor, waitingForTable } from '@fr/testing';

/**
 * The long reads: GET /v1/audits/verify walks the whole sealed trail (seconds of threads and
 * connections on a long one), GET /v1/audits/cases streams every case of a period for as long as its
 * reader reads. Callers asking side by side are refused past FR_AUDIT_VERIFY_CONCURRENCY and
 * FR_EXPORT_CONCURRENCY (503 with Retry-After: the server's bound, another instance may have room) instead of each holding connections intake needs, and
 * a caller that closes its connection stops its walk. A read is held at a known point by a lock
 * another session takes on the table it reads next, as a long read would hold it.
 */
describe('long reads: how many at once, and callers that leave', () => {
  let engine: TestEngine;
  let auditor: string;
  let locker: Client;

  beforeAll(async () => {
    // Every verification in threads (two), so that the threads' path is the one stopped below. No
    // worker: its sealer and checkpoint would wait for the same locks; the tests seal themselves.
    engine = await TestEngine.start({
      worker: false,
      env: { FR_AUDIT_VERIFY_CONCURRENCY: '1', FR_EXPORT_CONCURRENCY: '1', FR_AUDIT_VERIFY_THREADS: '2', FR_AUDIT_VERIFY_PARALLEL_MIN: '2' },
    });
    const admin = await adminToken(engine);
    auditor = (await createOfficer(engine, admin, { username: 'nv.verify.limits', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    locker = new Client({ connectionString: engine.superuserUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await engine?.close();
  });

  const lock = (table: string) => holdTable(locker, table);
  const untilWaiting = (table: string) => untilWaitingForTable(engine, table);
  const outcomes = async () => {
    const { values } = await engine.api.get(Metrics).auditVerifications.get();
    const of = (outcome: string) => values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    return { ok: of('ok'), refused: of('refused'), abandoned: of('abandoned') };
  };

  beforeEach(() => engine.sealAuditTrail());

  it('refuses a verification past the limit with 503 and Retry-After, and takes the next once the first is done', async () => {
    const before = await outcomes();
    const held = await lock('audit_seals');
    try {
      const first = engine
        .http()
        .get('/v1/audits/verify')
        .set(bearer(auditor))
        .then((r) => r);
      await untilWaiting('audit_seals');

      const second = await engine.http().get('/v1/audits/verify').set(bearer(auditor));
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('5');
      expect(second.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect((second.body as { message: string }).message).toMatch(
        /1 verification\(s\) of the audit trail are running.*FR_AUDIT_VERIFY_CONCURRENCY=1.*try again in 5 s/,
      );

      await held.release();
      const done = await first;
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ ok: true });
    } finally {
      await held.release();
    }
    // The refused one started nothing: the slot is free again.
    const third = await engine.http().get('/v1/audits/verify?since=checkpoint').set(bearer(auditor));
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ ok: true });
    expect(await outcomes()).toEqual({ ok: before.ok + 2, refused: before.refused + 1, abandoned: before.abandoned });
  });

  it('stops the walk of a caller that closed its connection, and frees its slot', async () => {
    const before = await outcomes();
    const server = engine.api.getHttpServer() as Server;
    const url = new URL(await engine.url());
    const held = await lock('audit_seals');
    try {
      // The server's end of the one connection opened while this test runs.
      const accepted = once(server, 'connection') as Promise<[Socket]>;
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/v1/audits/verify', headers: bearer(auditor), agent: false });
      req.on('error', () => undefined);
      req.end();
      const [serverSide] = await accepted;
      await untilWaiting('audit_seals');

      const closed = once(serverSide, 'close');
      req.destroy();
      await closed;
      // Only now can the walk go on; it finds its caller gone before its first page.
      await held.release();
      await waitFor(outcomes, (o) => o.abandoned === before.abandoned + 1, { what: 'the verification counted as abandoned' });
    } finally {
      await held.release();
    }
    const next = await engine.http().get('/v1/audits/verify').set(bearer(auditor));
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ ok: true });
    expect(await outcomes()).toEqual({ ok: before.ok + 1, refused: before.refused, abandoned: before.abandoned + 1 });
  });

  it('ends the threads of an aborted walk, and their backends, without waiting for their statements', async () => {
    const verify = engine.api.get(VerifyAuditTrail);
    const held = await lock('audit_event_texts');
    try {
      const controller = new AbortController();
      const walk = verify.execute({}, controller.signal);
      walk.catch(() => undefined);
      // The threads' page statements read the kept texts: they wait for the lock.
      await untilWaiting('audit_event_texts');
      controller.abort(new CallerGoneError());
      // Settled while the threads' statements still wait: the walk did not wait for them.
      await expect(walk).rejects.toBeInstanceOf(CallerGoneError);
      // Their backends notice the closed connections and end, the lock still held: no connection
      // and no lock stays behind a walk that has given its place back.
      await waitFor(
        () => waitingForTable(engine, 'audit_event_texts'),
        (n) => n === 0,
        { what: "the abandoned threads' backends gone" },
      );
    } finally {
      await held.release();
    }
    // New threads take the next walk, and the place was given back.
    await expect(verify.execute({})).resolves.toMatchObject({ ok: true });
  });

  it('refuses a case export past the limit with 503 while one streams, and takes the next once it has ended', async () => {
    const path = '/v1/audits/cases?from=2026-01-01&to=2026-12-31';
    const held = await lock('cases');
    try {
      const first = engine
        .http()
        .get(path)
        .set(bearer(auditor))
        .then((r) => r);
      await untilWaiting('cases');

      const second = await engine.http().get(path).set(bearer(auditor));
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('5');
      expect((second.body as { message: string }).message).toMatch(/1 case export\(s\) are streaming.*FR_EXPORT_CONCURRENCY=1.*try again in 5 s/);

      await held.release();
      const done = await first;
      expect(done.status).toBe(200);
      expect(done.text.startsWith('\ufeffcase_id,')).toBe(true);
    } finally {
      await held.release();
    }
    expect((await engine.http().get(path).set(bearer(auditor))).status).toBe(200);
  });

  it('gives the place back when an export is refused for what it asked', async () => {
    const unknown = await engine.http().get('/v1/audits/cases?from=2026-01-01&to=2026-12-31&unit=NO_SUCH_UNIT').set(bearer(auditor));
    expect(unknown.status).toBe(404);
    expect((await engine.http().get('/v1/audits/cases?from=2026-01-01&to=2026-12-31').set(bearer(auditor))).status).toBe(200);
  });

  it('frees the place of an export as its reader gets the last byte: exports one after another are never refused', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await engine.http().get('/v1/audits/cases?from=2026-01-01&to=2026-12-31').set(bearer(auditor))).status).toBe(200);
    }
  });

  it("answers HEAD on the export with GET's headers without reading the cases", async () => {
    const held = await lock('cases');
    try {
      // Were the cases read, this would wait for the lock.
      const head = await engine.http().head('/v1/audits/cases?from=2026-01-01&to=2026-12-31').set(bearer(auditor));
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(head.headers['content-disposition']).toBe('attachment; filename="cases_all_2026-01-01_2026-12-31.csv"');
    } finally {
      await held.release();
    }
  });

  it('tells a request without its period what is missing, and only that', async () => {
    const res = await engine.http().get('/v1/audits/cases?to=2026-12-31').set(bearer(auditor));
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toBe('from is required');
    const empty = await engine.http().get('/v1/audits/cases?from=2026-01-01&to=2026-12-31&unit=').set(bearer(auditor));
    expect(empty.status).toBe(400);
    expect((empty.body as { message: string }).message).toBe("unit must not be empty: leave it out for every unit's cases");
  });
});
