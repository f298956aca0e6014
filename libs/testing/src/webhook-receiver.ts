import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Which of the path's secrets verified it (index), or the verifier's refusal. */
  verifiedWith: number | null;
  refusal: string | null;
  /** What the receiver answered. */
  status: number;
}

/** Verifies one delivery as a receiver would, with the Standard Webhooks reference library. */
export function verifyWebhook(secret: string, call: Pick<ReceivedWebhook, 'headers' | 'body'>): unknown {
  return new Webhook(secret).verify(call.body, {
    'webhook-id': String(call.headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(call.headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(call.headers['webhook-signature'] ?? ''),
  });
}

/**
 * A webhook receiver on loopback, written as integrators are told to write theirs: every call is
 * verified with `standardwebhooks` against the secrets known for its path, and one that fails is
 * refused with 401. `laterBySeconds` moves the receiver's clock ahead (a delivery replayed later);
 * `answer` chooses the status of a verified call (e.g. 503 to make the engine retry).
 */
export async function startWebhookReceiver(answer: (path: string, n: number, call: ReceivedWebhook) => number = () => 200) {
  const calls: ReceivedWebhook[] = [];
  const secrets = new Map<string, string[]>();
  const state = { laterBySeconds: 0 };

  const verify = (path: string, call: Pick<ReceivedWebhook, 'headers' | 'body'>): { index: number | null; refusal: string | null } => {
    const known = secrets.get(path) ?? [];
    if (known.length === 0) return { index: null, refusal: `no secret known for ${path}` };
    let refusal = '';
    // The library reads Date.now(); moving it for this synchronous call alone moves nothing else.
    const realNow = Date.now;
    const skew = state.laterBySeconds * 1000;
    if (skew) Date.now = () => realNow() + skew;
    try {
      for (const [index, secret] of known.entries()) {
        try {
          verifyWebhook(secret, call);
          return { index, refusal: null };
        } catch (e) {
          refusal = (e as Error).message;
        }
      }
    } finally {
      Date.now = realNow;
    }
    return { index: null, refusal };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const path = req.url ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      const { index, refusal } = verify(path, { headers: req.headers, body });
      const call: ReceivedWebhook = { path, headers: req.headers, body, verifiedWith: index, refusal, status: 401 };
      calls.push(call);
      if (index !== null) call.status = answer(path, calls.filter((c) => c.path === path).length, call);
      res.statusCode = call.status;
      res.end(refusal ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    /** The secrets a path accepts (replaced, e.g. after a rotation). */
    trust: (path: string, ...pathSecrets: string[]) => secrets.set(path, pathSecrets),
    state,
    /** Sends a recorded call again, byte for byte: what an attacker who captured it would do. */
    replay: (call: ReceivedWebhook) =>
      fetch(`${url}${call.path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': String(call.headers['webhook-id']),
          'webhook-timestamp': String(call.headers['webhook-timestamp']),
          'webhook-signature': String(call.headers['webhook-signature']),
        },
        body: call.body,
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
