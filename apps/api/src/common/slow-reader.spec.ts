import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { endSlowReader } from './slow-reader';

/**
 * A response whose socket has taken `bytesWritten` bytes (no socket: queued behind another response
 * on its connection), waiting for its reader while `writableNeedDrain`; `destroyed` holds why it was ended.
 */
function response() {
  const res = Object.assign(new EventEmitter(), {
    socket: { bytesWritten: 0 } as { bytesWritten: number } | null,
    writableNeedDrain: false,
    destroyed: null as Error | null,
    destroy(e: Error) {
      res.destroyed = e;
    },
  });
  return res;
}
type Fake = ReturnType<typeof response>;
const watch = (res: Fake, minBytesPerSecond: number) => endSlowReader(res as unknown as ServerResponse, minBytesPerSecond);

/** `seconds` of the reader taking `bytesPerSecond`, the response waiting for it or not. */
function run(res: Fake, seconds: number, bytesPerSecond: number, waiting: boolean) {
  for (let i = 0; i < seconds; i++) {
    if (res.socket) res.socket.bytesWritten += bytesPerSecond;
    res.writableNeedDrain = waiting;
    jest.advanceTimersByTime(1000);
  }
}

describe('endSlowReader', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ends a response whose reader took less than the rate over 30 s of waiting for it, saying how much it took', () => {
    const res = response();
    res.writableNeedDrain = true;
    watch(res, 1000);
    // A first window read fast, then the reader takes 100 bytes a second: its buffers full, the export waits.
    run(res, 10, 5_000_000, true);
    run(res, 20, 100, true);
    run(res, 29, 100, true);
    expect(res.destroyed).toBeNull();
    run(res, 1, 100, true);
    expect(res.destroyed?.message).toBe('the reader took 3000 bytes in 30 s of the export waiting for it, less than the 1000 bytes a second an export needs');
  });

  it('lets a reader at the rate go on, and stops watching when the response is done', () => {
    const res = response();
    watch(res, 1000);
    run(res, 150, 2000, true);
    expect(res.destroyed).toBeNull();
    res.emit('finish');
    run(res, 60, 0, true);
    expect(res.destroyed).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it("does not judge a fast reader by the export's own pauses", () => {
    const res = response();
    watch(res, 1_000_000);
    // PostgreSQL sorts a large period before its first row: nothing to send, the reader waits.
    run(res, 29, 0, false);
    // Rows flow just before the thirtieth second; the reader takes them as fast as they come.
    run(res, 1, 5_000_000, true);
    run(res, 40, 3_000_000, true);
    // A part read back from disk: the export waits again, then the reader stalls.
    run(res, 20, 0, false);
    expect(res.destroyed).toBeNull();
    run(res, 61, 0, true);
    expect(res.destroyed?.message).toMatch(/^the reader took 0 bytes in 30 s of the export waiting for it/);
  });

  it('counts a response queued behind another on its connection (no socket yet) as taking nothing', () => {
    const res = response();
    res.socket = null;
    watch(res, 1000);
    run(res, 31, 0, true);
    expect(res.destroyed?.message).toMatch(/^the reader took 0 bytes in 30 s/);
  });

  it('watches nothing at 0', () => {
    const res = response();
    watch(res, 0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
