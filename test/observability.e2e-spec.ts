import type { Server } from 'node:http';
import request from 'supertest';
import { ListUnits } from '@fr/directory';
import { BusyError } from '@fr/domain';
import { JobName, QueueName, QueueRegistry } from '@fr/queue';
import { SlaReconciler, SlaReconcileResult } from '@fr/sla';
import { adminToken, createOfficer, DEV_KEYS, ManualClock, StdoutCapture, TestEngine, waitFor } from '@fr/testing';
import { WorkerMetricsServer } from '@fr/worker';
import { SlaTimerProcessor } from '../apps/worker/src/processors/sla-timer.processor';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const METRICS_TOKEN = 'test-metrics-token-0123456789';
/** Monday 2 March 2026, 08:00 in Hanoi: a working day; the receive stage is due at 17:00. */
const MONDAY_8AM = '2026-03-02T08:00:00+07:00';

/** The value of one series of a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').slice(1, -1).split(',');
    if (wanted.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

/**
 * Operations (issue 17): Prometheus metrics from the API and the worker, the queue board behind the
 * API's own login, request ids from the HTTP request into the jobs it causes.
 */
describe('operating the engine', () => {
  const clock = new ManualClock(MONDAY_8AM);
  let engine: TestEngine;
  let handler: string;
  // The engine logs warnings and errors to process.stdout (libs/config/src/logging.ts): kept here, not printed.
  let stdout: StdoutCapture;
  const logLines = () =>
    stdout
      .text()
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  beforeAll(async () => {
    stdout = new StdoutCapture();
    engine = await TestEngine.start({ clock, env: { FR_METRICS_TOKEN: METRICS_TOKEN, LOG_LEVEL: 'warn' } });
    handler = (await createOfficer(engine, await adminToken(engine), { username: 'bk.handler.obs', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(async () => {
    await engine?.close();
    stdout?.restore();
  });

  const scrapeApi = () => engine.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
  const scrapeWorker = async () => {
    const at = engine.worker!.get(WorkerMetricsServer).address();
    if (!at) throw new Error('the worker serves no metrics');
    const res = await fetch(`http://${at.host}:${at.port}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('refuses /metrics without the token', async () => {
    expect((await engine.http().get('/metrics')).status).toBe(401);
    expect((await engine.http().get('/metrics').set('Authorization', 'Bearer not-the-token')).status).toBe(401);
    expect((await engine.http().get('/metrics').set('Authorization', `Bearer ${handler}`)).status).toBe(401);
  });

  it('counts a routed case and a fired escalation, and carries the request id into the job', async () => {
    const before = await scrapeApi();
    expect(before.status).toBe(200);
    expect(before.headers['content-type']).toMatch(/^text\/plain/);
    const workerBefore = await scrapeWorker();

    const requestId = 'obs-request-0001';
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .set('X-Request-Id', requestId)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    expect(res.headers['x-request-id']).toBe(requestId);
    const id = (res.body as { id: string }).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    // The relay routed the case on behalf of the request: the jobs routing caused (the SLA timer,
    // delayed until 17:00) carry the request's id.
    const jobsOfCase = async () => {
      const found: Record<string, unknown>[] = [];
      for (const key of await engine.queueKeys()) {
        if ((await engine.redis.type(key)) !== 'hash') continue;
        const data = await engine.redis.hget(key, 'data');
        const parsed = data ? (JSON.parse(data) as Record<string, unknown>) : null;
        if (parsed?.caseId === id) found.push(parsed);
      }
      return found;
    };
    const jobs = await waitFor(jobsOfCase, (j) => j.some((x) => x.level !== undefined), { what: 'the SLA timer routing wrote' });
    for (const job of jobs) expect(job.requestId).toBe(requestId);

    // Past the 17:00 deadline: the warning and level 1 fire, half an hour after they fell due.
    clock.set('2026-03-02T17:30:00+07:00');
    await waitFor(
      () => engine.worker!.get(SlaReconciler).runOnce(),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'the SLA sweep' },
    );
    await waitFor(
      () => engine.query(`SELECT level FROM escalations WHERE case_id = $1`, [id]),
      (rows) => rows.length === 2,
      { what: 'warn and level 1' },
    );

    const after = (await scrapeApi()).text;
    const intake = { method: 'POST', route: '/v1/feedback', status: '202' };
    expect(sample(after, 'fr_http_request_duration_seconds_count', intake)).toBe(sample(before.text, 'fr_http_request_duration_seconds_count', intake) + 1);
    expect(sample(after, 'fr_http_request_duration_seconds_count', { route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'fr_cases_open', { unit: 'P_BACH_KHOA', state: 'assigned' })).toBe(1);
    expect(sample(after, 'fr_cases_overdue', { unit: 'P_BACH_KHOA' })).toBe(1);
    expect(after).toMatch(/^fr_queue_jobs\{queue="sla",state="delayed"\} \d+$/m);
    // Levels 2 and 3 are still ahead (the warning and level 1 were just fired by the sweep); their
    // timers reach Redis through the outbox relay, so look until the relay has passed.
    await waitFor(
      async () => sample((await scrapeApi()).text, 'fr_sla_timers_pending'),
      (n) => n > 0,
      { what: 'SLA timers pending in Redis' },
    );
    expect(after).toMatch(/^fr_outbox_backlog \d+$/m);
    expect(after).toMatch(/^fr_audit_sealing_delay_seconds \S+$/m);
    expect(sample(after, 'fr_calendar_days_covered_ahead')).toBeGreaterThan(0);
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);

    const worker = await scrapeWorker();
    expect(sample(worker, 'fr_escalations_total', { level: '1' })).toBe(sample(workerBefore, 'fr_escalations_total', { level: '1' }) + 1);
    expect(sample(worker, 'fr_escalations_total', { level: 'warn' })).toBe(sample(workerBefore, 'fr_escalations_total', { level: 'warn' }) + 1);
    // Due at 17:00 (level 1) and 16:xx (the warning), recorded at 17:30 by the clock.
    expect(sample(worker, 'fr_sla_breach_notice_lag_seconds_count', { level: '1' })).toBe(1);
    expect(sample(worker, 'fr_sla_breach_notice_lag_seconds_sum', { level: '1' })).toBe(1800);
    expect(sample(worker, 'fr_cases_routed_in_relay_total')).toBe(sample(workerBefore, 'fr_cases_routed_in_relay_total') + 1);
    // The states the API reads are not the worker's to show: a gauge never set would read 0 there.
    for (const name of ['fr_calendar_days_covered_ahead', 'fr_outbox_backlog', 'fr_sla_timers_pending', 'fr_audit_unsealed_events']) {
      expect(worker).not.toMatch(new RegExp(`^(# [A-Z]+ )?${name}\\b`, 'm'));
    }
    expect(worker).toMatch(/^# TYPE fr_escalations_total counter$/m);
    expect(worker.endsWith('\n')).toBe(true);
  });

  it('shows the queue board to ADMIN only, read-only', async () => {
    // Outside the OpenAPI document (bull-board's own pages and API): a plain client, not the contract checker.
    const board = () => request(engine.api.getHttpServer() as Server);
    const admin = { Authorization: `Bearer ${await adminToken(engine)}` };
    expect((await board().get('/admin/queues')).status).toBe(401);
    expect((await board().get('/admin/queues/api/queues')).status).toBe(401);
    expect((await board().get('/admin/queues').set('Authorization', 'Bearer forged.token.here')).status).toBe(401);
    const forbidden = await board().get('/admin/queues').set('Authorization', `Bearer ${handler}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ statusCode: 403, message: expect.stringContaining('ADMIN') as unknown });

    const page = await board().get('/admin/queues').set(admin);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const api = await board().get('/admin/queues/api/queues').set(admin);
    expect(api.status).toBe(200);
    const queues = (api.body as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
    expect(queues.map((q) => q.name).sort()).toEqual(['case-events', 'notifications', 'privacy', 'routing', 'sla']);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
    expect((await board().put('/admin/queues/api/queues/routing/retry/failed').set(admin)).status).toBe(403);
    expect((await board().put('/admin/queues/api/queues/routing/empty').set(admin)).status).toBe(403);
    // Timed as one route, whatever the board's own paths.
    const metrics = (await scrapeApi()).text;
    expect(sample(metrics, 'fr_http_request_duration_seconds_count', { method: 'GET', route: '/admin/queues', status: '200' })).toBe(2);
    expect(metrics).not.toMatch(/route="\/api\/queues/);
  });

  it('logs every line of a request and of a job under its request id', async () => {
    const requestId = 'obs-request-0002';
    expect((await engine.http().get('/metrics').set('X-Request-Id', requestId)).status).toBe(401);
    // A delivery whose webhook is gone fails for good on its only attempt; the job logs that as a warning.
    const [{ id }] = await engine.query<{ id: string }>(
      `INSERT INTO deliveries (kind, target, event_key) VALUES ('webhook', '999999', 'case-event.1') RETURNING id::text AS id`,
    );
    const queue = engine.worker!.get(QueueRegistry).get(QueueName.Notifications);
    const job = await queue.add(JobName.Deliver, { deliveryId: id, requestId }, { jobId: `obs-deliver-${id}`, attempts: 1 });
    await waitFor(
      () => job.getState(),
      (state) => state === 'failed',
      { what: 'the delivery job to fail' },
    );

    const mine = await waitFor(
      async () => logLines().filter((l) => l.requestId === requestId),
      (lines) => lines.length >= 2,
      { what: 'the log lines' },
    );
    const request = mine.find((l) => (l.req as { url?: string } | undefined)?.url === '/metrics');
    expect(request).toMatchObject({ requestId, req: { id: requestId, method: 'GET' }, res: { statusCode: 401 }, level: 40, msg: 'request completed' });
    // One access line a request, with its id once (the id comes from the request's context, not a binding as well).
    expect(mine.filter((l) => l.req !== undefined)).toHaveLength(1);
    const raw = stdout
      .text()
      .split('\n')
      .filter((l) => l.includes(`"url":"/metrics"`) && l.includes(requestId));
    expect(raw).toHaveLength(1);
    expect(raw[0].split('"requestId"')).toHaveLength(2);
    const fromJob = mine.find((l) => String(l.msg).includes(`delivery ${id} (webhook) failed for good`));
    expect(fromJob).toMatchObject({ requestId, jobId: `obs-deliver-${id}`, queue: 'notifications' });
  });

  it('writes no access line for a request whose level is off (200s are info; this engine logs from warn)', async () => {
    const requestId = 'obs-request-0003';
    expect((await engine.http().get('/health').set('X-Request-Id', requestId)).status).toBe(200);
    const refused = 'obs-request-0004';
    expect((await engine.http().get('/metrics').set('X-Request-Id', refused)).status).toBe(401);
    await waitFor(
      async () => logLines().filter((l) => l.requestId === refused),
      (lines) => lines.length === 1,
      { what: 'the refused request line' },
    );
    expect(logLines().filter((l) => l.requestId === requestId)).toEqual([]);
  });

  it("logs a 500's error, with its stack, and its access line under the request's id", async () => {
    const units = engine.api.get(ListUnits);
    const kept = units.execute.bind(units);
    units.execute = () => Promise.reject(new Error('units unreadable (test)'));
    const restore = () => (units.execute = kept);
    try {
      const res = await request(engine.api.getHttpServer() as Server)
        .get('/v1/units')
        .set('Authorization', `Bearer ${handler}`)
        .set('X-Request-Id', 'obs-failed-0001');
      expect(res.status).toBe(500);
    } finally {
      restore();
    }
    const loud = await waitFor(
      async () => logLines().filter((l) => l.requestId === 'obs-failed-0001'),
      (lines) => lines.length >= 2,
      { what: 'the lines of the 500' },
    );
    const error = loud.find((l) => l.context === 'HttpError');
    expect(error?.level).toBe(50);
    expect(String(error?.msg)).toContain('units unreadable (test)');
    expect(loud.find((l) => l.req !== undefined)).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 500 } });
    // The stack, for whoever reads the log; the answer itself says only that something failed.
    expect(String(error?.msg)).toMatch(/\n\s+at /);
  });

  it('logs a 503 refusal at warn, not as an error: it is a bound doing its work', async () => {
    const units = engine.api.get(ListUnits);
    const kept = units.execute.bind(units);
    units.execute = () => Promise.reject(new BusyError('as many unit reads as this server runs at once are running (test)', 5));
    try {
      const res = await request(engine.api.getHttpServer() as Server)
        .get('/v1/units')
        .set('Authorization', `Bearer ${handler}`)
        .set('X-Request-Id', 'obs-refused-0001');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      units.execute = kept;
    }
    const line = await waitFor(
      async () => logLines().find((l) => l.requestId === 'obs-refused-0001' && l.req !== undefined),
      (l) => l !== undefined,
      { what: "the refused request's access line" },
    );
    expect(line).toMatchObject({ level: 40, msg: 'request refused', res: { statusCode: 503 } });
    expect(logLines().filter((l) => l.requestId === 'obs-refused-0001' && Number(l.level) >= 50)).toEqual([]);
  });

  it("logs and counts a queue worker's own errors (a lock lost when Redis lost its keys) as JSON lines naming the queue", async () => {
    const host = engine.worker!.get(SlaTimerProcessor);
    const lost = Object.assign(new Error('Missing lock for job sla-timer.obs-0001. moveToFinished'), { code: -2 });
    host.worker.emit('error', lost);
    const line = await waitFor(
      async () => logLines().find((l) => l.context === 'QueueWorker'),
      (l) => l !== undefined,
      { what: "the worker error's line" },
    );
    expect(line).toMatchObject({
      level: 40,
      queue: host.worker.name,
      code: -2,
      msg: 'queue worker error: Missing lock for job sla-timer.obs-0001. moveToFinished',
    });
    expect(await scrapeWorker()).toContain(`fr_queue_worker_errors_total{queue="${host.worker.name}"} 1`);
  });

  it("logs a queue's own errors (its Redis connection refused) as JSON lines naming the queue, not as bare stacks on the console", async () => {
    const queue = engine.worker!.get(QueueRegistry).get(QueueName.Sla);
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    let printed: number;
    try {
      queue.emit('error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6391'), { code: 'ECONNREFUSED' }));
      printed = consoleError.mock.calls.length;
    } finally {
      consoleError.mockRestore();
    }
    expect(printed).toBe(0);
    const line = await waitFor(
      async () => logLines().find((l) => l.context === 'Queue'),
      (l) => l !== undefined,
      { what: "the queue error's line" },
    );
    expect(line).toMatchObject({ level: 40, msg: `queue '${QueueName.Sla}' error: connect ECONNREFUSED 127.0.0.1:6391` });
  });

  it('gives a request without a valid X-Request-Id a UUID of its own', async () => {
    const res = await engine.http().get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
