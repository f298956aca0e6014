import type { OfficerRole } from '@fr/domain';
import type { TestEngine } from './test-engine';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'admin';
/** Passwords of officers made by createOfficer unless a test chooses one. */
export const DEFAULT_TEST_PASSWORD = 'Mat-khau-2026!';

/** Logs in and returns the access token; fails the test with the API's answer otherwise. */
export async function login(engine: TestEngine, username: string, password: string): Promise<string> {
  const res = await engine.http().post('/v1/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`login as '${username}' failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { accessToken: string }).accessToken;
}

const adminTokens = new WeakMap<TestEngine, Promise<string>>();

/**
 * The bootstrap administrator's token (admin/admin), one login per engine: logins are rate limited
 * per username (10 a minute), so tests must not log in as admin before every call.
 */
export function adminToken(engine: TestEngine): Promise<string> {
  let token = adminTokens.get(engine);
  if (!token) {
    token = login(engine, ADMIN_USERNAME, ADMIN_PASSWORD);
    token.catch(() => adminTokens.delete(engine));
    adminTokens.set(engine, token);
  }
  return token;
}

let sequence = 0;

export interface NewOfficer {
  username: string;
  role: OfficerRole;
  unitCode: string;
  password?: string;
  fullName?: string;
}

/** Creates an officer through POST /v1/officers and logs in as them. */
export async function createOfficer(engine: TestEngine, adminAccessToken: string, officer: NewOfficer): Promise<{ id: string; token: string }> {
  const password = officer.password ?? DEFAULT_TEST_PASSWORD;
  const res = await engine
    .http()
    .post('/v1/officers')
    .set('Authorization', `Bearer ${adminAccessToken}`)
    .send({
      username: officer.username,
      password,
      fullName: officer.fullName ?? `Cán bộ thử ${++sequence}`,
      role: officer.role,
      unitCode: officer.unitCode,
    });
  if (res.status !== 201) throw new Error(`creating officer '${officer.username}' failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: (res.body as { id: string }).id, token: await login(engine, officer.username, password) };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
