import { currentRequestId, withRequestId } from '@fr/config';
import { BatchWhileBusy } from './batch-while-busy';

/** A run whose batches finish only when the test says so. */
function controlledRun() {
  const batches: { items: number[]; finish: (fail?: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ items, finish: (fail) => (fail ? reject(fail) : resolve(items.map((i) => `r${i}`))) });
    });
  return { batches, run };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('BatchWhileBusy', () => {
  it('runs a lone call at once, by itself', async () => {
    const { batches, run } = controlledRun();
    const b = new BatchWhileBusy(run, { maxBatch: 10, maxInFlight: 1 });
    const p = b.submit(1);
    expect(batches.map((x) => x.items)).toEqual([[1]]);
    batches[0].finish();
    await expect(p).resolves.toBe('r1');
  });

  it('gathers the calls made while busy into the next batch, each caller getting its own result', async () => {
    const { batches, run } = controlledRun();
    const b = new BatchWhileBusy(run, { maxBatch: 10, maxInFlight: 1 });
    const first = b.submit(1);
    const rest = [2, 3, 4].map((i) => b.submit(i));
    expect(b.waiting).toBe(3);
    batches[0].finish();
    await first;
    await settle();
    expect(batches.map((x) => x.items)).toEqual([[1], [2, 3, 4]]);
    batches[1].finish();
    await expect(Promise.all(rest)).resolves.toEqual(['r2', 'r3', 'r4']);
  });

  it('never runs more than maxInFlight batches of at most maxBatch items', async () => {
    const { batches, run } = controlledRun();
    const b = new BatchWhileBusy(run, { maxBatch: 3, maxInFlight: 2 });
    const all = Array.from({ length: 10 }, (_, i) => b.submit(i));
    expect(batches.map((x) => x.items)).toEqual([[0], [1]]);
    batches[0].finish();
    await settle();
    expect(batches.map((x) => x.items)).toEqual([[0], [1], [2, 3, 4]]);
    batches[1].finish();
    await settle();
    expect(batches.map((x) => x.items)).toEqual([[0], [1], [2, 3, 4], [5, 6, 7]]);
    batches[2].finish();
    batches[3].finish();
    await settle();
    expect(batches[4].items).toEqual([8, 9]);
    batches[4].finish();
    await expect(Promise.all(all)).resolves.toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
  });

  it('gives every caller of a failed batch the error', async () => {
    const { batches, run } = controlledRun();
    const b = new BatchWhileBusy(run, { maxBatch: 10, maxInFlight: 1 });
    const first = b.submit(1);
    const rest = [2, 3].map((i) => b.submit(i));
    batches[0].finish();
    await first;
    await settle();
    batches[1].finish(new Error('deadlock'));
    for (const p of rest) await expect(p).rejects.toThrow('deadlock');
  });

  it('with retryAlone, runs the items of a failed batch one by one so only the bad one fails', async () => {
    const calls: number[][] = [];
    const b = new BatchWhileBusy(
      async (items: number[]) => {
        calls.push(items);
        if (items.includes(13)) throw new Error(`cannot do 13`);
        return items.map((i) => i * 2);
      },
      { maxBatch: 10, maxInFlight: 1, retryAlone: true },
    );
    const first = b.submit(0);
    const rest = [12, 13, 14].map((i) => b.submit(i));
    await first;
    const settled = await Promise.allSettled(rest);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([24, 'cannot do 13', 28]);
    expect(calls).toEqual([[0], [12, 13, 14], [12], [13], [14]]);
  });

  it('refuses a run that returns the wrong number of results', async () => {
    const b = new BatchWhileBusy(async () => ['only one'], { maxBatch: 10, maxInFlight: 1 });
    await expect(b.submit(1)).resolves.toBe('only one');
    const wrong = new BatchWhileBusy(async () => [] as string[], { maxBatch: 10, maxInFlight: 1 });
    await expect(wrong.submit(1)).rejects.toThrow('batch of 1 returned 0 results');
  });
});

describe('BatchWhileBusy and request ids', () => {
  it('runs a batch on behalf of its callers’ request when they share one, of none otherwise', async () => {
    const seen: (string | undefined)[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sut = new BatchWhileBusy<number, number>(
      async (items) => {
        seen.push(currentRequestId());
        if (items[0] === 0) await gate;
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const first = withRequestId('request-a0', () => sut.submit(0));
    const mixed = [withRequestId('request-a1', () => sut.submit(1)), withRequestId('request-b1', () => sut.submit(2))];
    release();
    await Promise.all([first, ...mixed]);
    const shared = [withRequestId('request-c1', () => sut.submit(3))];
    await Promise.all(shared);
    expect(seen).toEqual(['request-a0', undefined, 'request-c1']);
  });
});
