import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { endSlowReader, READ_RATE_WINDOW_MS } from './slow-reader';

/** A response whose socket has taken `bytesWritten` bytes; `destroyed` holds why it was ended. */
function response() {
  const res = Object.assign(new EventEmitter(), {
    socket: { bytesWritten: 0 },
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

  it('watches nothing at 0', () => {
    const res = response();
    endSlowReader(asResponse(res), 0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
