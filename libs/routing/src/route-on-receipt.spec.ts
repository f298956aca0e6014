import { AppConfig } from '@fr/config';
import { RouteCase, RouteCaseResult } from './route-case.usecase';
import { RouteOnReceipt } from './route-on-receipt';

/** A RouteCase whose batches finish only when the test says so. */
function controlledRouting() {
  const batches: { ids: readonly string[]; held: readonly string[]; finish: (fail?: Error) => void }[] = [];
  const routeCase = {
    executeMany: (ids: readonly string[], held: readonly string[] = []) =>
      new Promise<RouteCaseResult[]>((resolve, reject) => {
        batches.push({ ids, held, finish: (fail) => (fail ? reject(fail) : resolve(ids.map((caseId) => ({ caseId, changed: true, decision: null })))) });
      }),
  } as unknown as RouteCase;
  return { batches, routeCase };
}

const settle = () => new Promise((r) => setImmediate(r));
const config = { routeOnReceiptHoldMs: 5000 } as AppConfig;

describe('RouteOnReceipt', () => {
  it('routes a case with its held outbox row, and gathers those received meanwhile into the next batch', async () => {
    const { batches, routeCase } = controlledRouting();
    const sut = new RouteOnReceipt(routeCase, config);
    expect(sut.holdMs()).toBe(5000);
    sut.received('c1', '11');
    sut.received('c2', '12');
    sut.received('c3', '13');
    sut.received('c4', '14');
    // Two batches run at once; the rest wait for one of them.
    expect(batches.map((b) => [b.ids, b.held])).toEqual([
      [['c1'], ['11']],
      [['c2'], ['12']],
    ]);
    batches[0].finish();
    await settle();
    expect(batches[2].ids).toEqual(['c3', 'c4']);
    expect(batches[2].held).toEqual(['13', '14']);
  });

  it('stops holding new cases while 500 wait, and holds again once the backlog clears', async () => {
    const { batches, routeCase } = controlledRouting();
    const sut = new RouteOnReceipt(routeCase, config);
    for (let i = 0; i < 502; i++) sut.received(`c${i}`, `${i}`);
    // 2 running, 500 waiting: new cases' routing jobs go to the workers at once.
    expect(sut.holdMs()).toBe(0);
    batches[0].finish();
    await settle();
    expect(sut.holdMs()).toBe(5000);
  });

  it('a failed routing is logged, not thrown: the held row is left for the workers', async () => {
    const { batches, routeCase } = controlledRouting();
    const sut = new RouteOnReceipt(routeCase, config);
    sut.received('c1', '11');
    batches[0].finish(new Error('connection terminated'));
    await settle();
    await settle();
    expect(sut.holdMs()).toBe(5000);
  });

  it('at shutdown finishes the routing under way and holds nothing new', async () => {
    const { batches, routeCase } = controlledRouting();
    const sut = new RouteOnReceipt(routeCase, config);
    sut.received('c1', '11');
    let closed = false;
    const closing = sut.beforeApplicationShutdown().then(() => (closed = true));
    expect(sut.holdMs()).toBe(0);
    await settle();
    expect(closed).toBe(false);
    batches[0].finish();
    await closing;
    expect(closed).toBe(true);
  });

  it('FR_ROUTE_ON_RECEIPT_HOLD_MS=0 turns it off', () => {
    const { routeCase } = controlledRouting();
    expect(new RouteOnReceipt(routeCase, { routeOnReceiptHoldMs: 0 } as AppConfig).holdMs()).toBe(0);
  });
});
