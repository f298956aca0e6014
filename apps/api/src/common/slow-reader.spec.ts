import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { endSlowReader, READ_RATE_WINDOW_MS } from './slow-reader';

/**
 * A response whose socket has taken `bytesWritten` bytes, waiting for its reader while
 * `writableNeedDrain`; `destroyed` holds why it was ended.
 */
function response() {
  const res = Object.assign(new EventEmitter(), {
    socket: { bytesWritten: 0 },
    writableNeedDrain: true,
    destroyed: null as Error | null,
    destroy(e: Error) {
      res.destroyed = e;
    },
  });
  return res;
}
const asResponse = (r: ReturnType<typeof response>) => r as unknown as ServerResponse;

describe('endSlowReader', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ends a response whose reader took less than the rate over a window, saying how much it took', () => {
    const res = response();
    endSlowReader(asResponse(res), 1000);
    res.socket.bytesWritten = 5_000_000;
    jest.advanceTimersByTime(READ_RATE_WINDOW_MS);
    expect(res.destroyed).toBeNull();
    // The next window the reader takes 100 bytes a second: its buffers full, the export waits.
    res.socket.bytesWritten += 3_000;
    jest.advanceTimersByTime(READ_RATE_WINDOW_MS);
    expect(res.destroyed?.message).toBe('the reader took 3000 bytes in 30 s, less than the 1000 bytes a second an export needs');
  });

  it('lets a reader at the rate go on, and stops watching when the response is done', () => {
    const res = response();
    endSlowReader(asResponse(res), 1000);
    for (let i = 0; i < 5; i++) {
      res.socket.bytesWritten += 30_000;
      jest.advanceTimersByTime(READ_RATE_WINDOW_MS);
    }
    expect(res.destroyed).toBeNull();
    res.emit('finish');
    jest.advanceTimersByTime(10 * READ_RATE_WINDOW_MS);
    expect(res.destroyed).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not cut off a reader that waits for the export itself: nothing is buffered for it', () => {
    const res = response();
    endSlowReader(asResponse(res), 1000);
    // PostgreSQL sorts a large period before its first row: the response has nothing to send.
    res.writableNeedDrain = false;
    jest.advanceTimersByTime(3 * READ_RATE_WINDOW_MS);
    expect(res.destroyed).toBeNull();
    // Rows flow, the reader stalls: the stream waits for it, and the next window ends it.
    res.socket.bytesWritten += 100;
    res.writableNeedDrain = true;
    jest.advanceTimersByTime(READ_RATE_WINDOW_MS);
    expect(res.destroyed?.message).toMatch(/^the reader took 100 bytes in 30 s/);
  });

  it('watches nothing at 0', () => {
    const res = response();
    endSlowReader(asResponse(res), 0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
