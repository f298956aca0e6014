import { createServer } from 'node:net';

/** A loopback port nobody listens on now, for a process or server a test starts of its own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Whether a process of this machine is alive (a test's spawned engine, or one of its children). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The status GET /health answers at `base` (http://host:port), 0 when nothing answers. */
export function healthStatus(base: string): Promise<number> {
  return fetch(`${base}/health`).then(
    (r) => r.status,
    () => 0,
  );
}
