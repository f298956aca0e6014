import { TestEngine } from './test-engine';

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
