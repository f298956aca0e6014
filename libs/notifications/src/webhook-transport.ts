import { lookup as dnsLookup, LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { firstInternalAddress, isAllowListed } from './address-policy';

/** The receiver answered 410 Gone: it asks not to be called again (Standard Webhooks: disable the endpoint). */
export class ReceiverGone extends Error {
  override readonly name = 'ReceiverGone';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the socket that refuses internal addresses at connect time. The URL is also checked
 * when registered and before each attempt (assertDeliverableUrl, for a clear message), but a name
 * can resolve outside for that check and inside a moment later (DNS rebinding); checking the very
 * addresses the socket connects to closes that gap. `allowed`: the URL is allow-listed (isAllowListed), nothing is checked.
 */
export function guardedLookup(allowed: boolean) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    const all = (options as LookupAllOptions).all === true;
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, all ? [] : '');
      const internal = allowed ? undefined : firstInternalAddress(addresses);
      if (internal) {
        const e: NodeJS.ErrnoException = new Error(`url host '${hostname}' resolves to the internal address ${internal}`);
        e.code = 'EFR_INTERNAL_ADDRESS';
        return callback(e, all ? [] : '');
      }
      if (all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * POSTs a webhook: 2xx is delivered, anything else (a redirect included: it is not followed) throws,
 * 410 as ReceiverGone. The receiver's body is read and dropped. node:http rather than fetch: its
 * `lookup` lets the connect-time address check above run on the socket itself.
 */
export function postWebhook(
  url: URL,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowHosts: readonly string[] },
): Promise<void> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<void>((resolve, reject) => {
    const fail = (e: Error) =>
      reject(e.name === 'TimeoutError' || e.name === 'AbortError' ? new Error(`the receiver did not answer within ${opts.timeoutMs / 1000} s`) : e);
    const payload = Buffer.from(body, 'utf8');
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(payload.length), 'User-Agent': 'feedback-router-webhooks' },
        lookup: guardedLookup(isAllowListed(url, opts.allowHosts)) as unknown as http.RequestOptions['lookup'],
        // One connection per attempt: a kept-alive socket would skip the address check of the next one.
        agent: false,
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let ended = false;
        res.resume();
        res.on('error', fail);
        res.on('end', () => {
          ended = true;
          if (status >= 200 && status < 300) resolve();
          else if (status === 410) reject(new ReceiverGone('the receiver answered 410 Gone'));
          else reject(new Error(`the receiver answered ${status}`));
        });
        // A body cut off (or aborted at the timeout) may close without 'end' or 'error': never left pending.
        res.on('close', () => {
          if (!ended) reject(new Error(`the receiver's answer (${status}) was cut off`));
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}
