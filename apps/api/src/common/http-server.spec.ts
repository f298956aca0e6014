import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { PrototypedExpressAdapter } from './http-server';

describe('PrototypedExpressAdapter', () => {
  let server: Server;
  let app: Express;
  const seen: { request: boolean; response: boolean }[] = [];

  beforeAll(() => {
    const adapter = new PrototypedExpressAdapter();
    adapter.initHttpServer({});
    app = adapter.getInstance<Express>();
    server = adapter.getHttpServer() as Server;
    // Runs before Express's own handler: the objects as the server built them.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ request: Object.getPrototypeOf(req) === app.request, response: Object.getPrototypeOf(res) === app.response });
    });
    app.post('/echo', (req, res) => {
      res.status(201).json({ path: req.path, ip: typeof req.ip, body: null });
    });
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("builds requests and responses on the application's prototypes, so Express has none to change", async () => {
    const res = await request(server).post('/echo?x=1').send({});
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ path: '/echo', ip: 'string', body: null });
    expect(seen).toEqual([{ request: true, response: true }]);
  });

  it('keeps Node’s own request and response behaviour (streams, headers, keep-alive)', async () => {
    const res = await request(server).get('/nowhere').set('Connection', 'keep-alive');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
