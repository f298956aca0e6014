import { OutgoingHttpHeaders, request } from 'node:http';

export interface RawResponse {
  status: number;
  text: string;
  /** The body's `message`, when it is a JSON error. */
  message: string | undefined;
}

/**
 * One request through node:http, for what supertest cannot send: bytes as they are under a JSON type
 * (supertest writes a Buffer as JSON) and a header sent twice (an array value is two header lines).
 */
export function rawRequest(url: string, method: string, headers: OutgoingHttpHeaders, body?: Buffer | string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let message: string | undefined;
        try {
          message = (JSON.parse(text) as { message?: string }).message;
        } catch {
          message = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, message });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
