import createClient, { Client } from 'openapi-fetch';
import type { paths } from '../../../openapi/schema';
import { apiContract, TestEngine } from './test-engine';

/**
 * The client openapi-fetch makes of openapi/openapi.json, talking HTTP to the engine's API (which it
 * starts listening): what an integrator's generated client does. Every response is checked against
 * the contract, as engine.http()'s are.
 */
export async function apiClient(engine: TestEngine, headers: Record<string, string> = {}): Promise<Client<paths>> {
  const client = createClient<paths>({ baseUrl: await engine.url(), headers });
  client.use({
    async onResponse({ request, response }) {
      const text = await response.clone().text();
      const json = /^application\/([\w.+-]+\+)?json/.test(response.headers.get('content-type') ?? '');
      const url = new URL(request.url);
      try {
        apiContract(engine.api).check({
          method: request.method,
          url: url.pathname + url.search,
          status: response.status,
          headers: Object.fromEntries(response.headers),
          body: json && text ? JSON.parse(text) : text,
          text,
        });
      } catch (e) {
        engine.contractViolations.push((e as Error).message);
        throw e;
      }
      return undefined;
    },
  });
  return client;
}
