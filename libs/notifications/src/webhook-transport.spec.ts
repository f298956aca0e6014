import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { guardedLookup, postWebhook, ReceiverGone } from './webhook-transport';

describe('webhook transport', () => {
  let server: Server;
  let port = 0;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1000);
      if (req.url === '/endless') {
        res.writeHead(200);
        const timer = setInterval(() => res.write('x'), 20);
        return void res.on('close', () => clearInterval(timer));
      }
      res.statusCode = req.url === '/gone' ? 410 : req.url === '/moved' ? 302 : 204;
      if (req.url === '/moved') res.setHeader('Location', 'http://169.254.169.254/');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (url: string, allowHosts: string[] = ['localhost'], timeoutMs = 5000) => postWebhook(new URL(url), {}, '{}', { timeoutMs, allowHosts });

  it('checks the address the socket connects to: a name resolving inside is refused unless allowed (DNS rebinding)', async () => {
    await expect(post(`http://localhost:${port}/rebound`, [])).rejects.toThrow(/resolves to the internal address/);
    expect(seen).not.toContain('/rebound');
    await expect(post(`http://localhost:${port}/allowed`)).resolves.toBeUndefined();
    expect(seen).toContain('/allowed');
  });

  it('lets an allow-listed host:port through on that port only', async () => {
    await expect(post(`http://localhost:${port}/other-port`, [`localhost:${port + 1}`])).rejects.toThrow(/resolves to the internal address/);
    expect(seen).not.toContain('/other-port');
    await expect(post(`http://localhost:${port}/its-port`, [`localhost:${port}`])).resolves.toBeUndefined();
    expect(seen).toContain('/its-port');
  });

  it('answers both lookup shapes the socket may ask for', async () => {
    const lookup = guardedLookup(true);
    const one = await new Promise<unknown[]>((resolve) => lookup('localhost', { family: 4 }, (...args) => resolve(args)));
    expect(one[0]).toBeNull();
    expect(one[1]).toBe('127.0.0.1');
    const all = await new Promise<unknown[]>((resolve) => lookup('localhost', { all: true, family: 4 }, (...args) => resolve(args)));
    expect(all[1]).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('treats 410 as ReceiverGone, a redirect as a failure (not followed), and gives up after the timeout', async () => {
    await expect(post(`http://localhost:${port}/gone`)).rejects.toBeInstanceOf(ReceiverGone);
    await expect(post(`http://localhost:${port}/moved`)).rejects.toThrow('the receiver answered 302');
    await expect(post(`http://localhost:${port}/slow`, ['localhost'], 200)).rejects.toThrow('the receiver did not answer within 0.2 s');
    // An answer that never ends is cut at the timeout too.
    await expect(post(`http://localhost:${port}/endless`, ['localhost'], 200)).rejects.toThrow(/did not answer within 0.2 s|was cut off/);
  });
});
