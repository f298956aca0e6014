import { TestEngine, waitFor } from './test-engine';

/**
 * An officer's action on a case at its current version, as a client that has just loaded the case
 * sends it; anything but 200 fails the test with the answer. `headers` authenticate the officer.
 */
export async function actOnCase(
  engine: TestEngine,
  headers: Record<string, string>,
  id: string,
  action: string,
  body: Record<string, unknown> = {},
): Promise<void> {
  const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
  const res = await engine
    .http()
    .post(`/v1/cases/${id}/${action}`)
    .set(headers)
    .send({ expectedVersion: version, ...body });
  if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Submits feedback through a channel and waits until routing has placed it (assigned or in triage);
 * anything but 202 fails the test with the answer. `headers` carry the channel's key.
 */
export async function submitRouted(
  engine: TestEngine,
  headers: Record<string, string>,
  body: Record<string, unknown>,
): Promise<{ id: string; trackingCode: string }> {
  const res = await engine.http().post('/v1/feedback').set(headers).send(body);
  if (res.status !== 202) throw new Error(`intake: ${res.status} ${JSON.stringify(res.body)}`);
  const accepted = res.body as { id: string; trackingCode: string };
  await waitFor(
    () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [accepted.id]),
    (r) => r[0]?.status !== 'received',
    { what: 'routing' },
  );
  return accepted;
}
