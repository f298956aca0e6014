import type { ServerResponse } from 'node:http';

/** How long a reader is watched before its rate is judged, and judged again. */
export const READ_RATE_WINDOW_MS = 30_000;

/**
 * Ends a streamed response whose reader takes fewer than `minBytesPerSecond` over a window: a reader
 * that stalls or trickles (a socket read a hundred bytes a second) otherwise held an export's place,
 * its pooled connection and its snapshot for as long as it liked (an attack run held both places for
 * over a minute, every other export refused meanwhile). Counted by what the socket has taken, which
 * stops growing once the kernel's buffers are full and the stream waits for the reader; judged only
 * while the response does wait for its reader (data buffered past its high-water mark), so a reader
 * waiting for the export itself (a large period's first rows come after PostgreSQL's sort) is never
 * cut off. Returns a function that stops the watch; it also stops when the response is done or
 * closed. 0 turns it off.
 */
export function endSlowReader(res: ServerResponse, minBytesPerSecond: number, windowMs = READ_RATE_WINDOW_MS): () => void {
  const socket = res.socket;
  if (minBytesPerSecond <= 0 || !socket) return () => undefined;
  const least = (minBytesPerSecond * windowMs) / 1000;
  let mark = socket.bytesWritten;
  const timer = setInterval(() => {
    const taken = socket.bytesWritten - mark;
    mark = socket.bytesWritten;
    if (taken < least && res.writableNeedDrain) {
      stop();
      res.destroy(new Error(`the reader took ${taken} bytes in ${windowMs / 1000} s, less than the ${minBytesPerSecond} bytes a second an export needs`));
    }
  }, windowMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    res.off('finish', stop);
    res.off('close', stop);
  };
  res.once('finish', stop);
  res.once('close', stop);
  return stop;
}
