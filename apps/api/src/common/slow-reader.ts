import type { ServerResponse } from 'node:http';

/** How long a response must have waited for its reader before the reader's rate is judged. */
export const READ_RATE_WINDOW_MS = 30_000;
const TICK_MS = 1000;

/**
 * Ends a streamed response whose reader takes fewer than `minBytesPerSecond` while the response waits
 * for it: a reader that stalls or trickles (a socket read a hundred bytes a second) otherwise held an
 * export's place, its pooled connection and its snapshot for as long as it liked (an attack run held
 * both places for over a minute, every other export refused meanwhile).
 *
 * Looked at every second: a second counts when the response waited for its reader all through it (data
 * buffered past its high-water mark at both ends), with what the socket took in it. Once such seconds
 * add up to a window, the bytes taken in them are judged. Seconds in which the export itself was the
 * one waiting (a large period's first rows come after PostgreSQL's sort, a part read back from disk)
 * do not count, so a fast reader is never judged by the export's own pauses. A response queued behind
 * another on its connection has no socket yet: those seconds count with nothing taken, so a pipelined
 * request behind one that is never read cannot hold a place either. Returns a function that stops the
 * watch; it also stops when the response is done or closed. 0 turns it off.
 */
export function endSlowReader(res: ServerResponse, minBytesPerSecond: number, windowMs = READ_RATE_WINDOW_MS): () => void {
  if (minBytesPerSecond <= 0) return () => undefined;
  let socket = res.socket;
  let mark = socket?.bytesWritten ?? 0;
  let waitedBefore = res.writableNeedDrain;
  let waitedMs = 0;
  let taken = 0;
  const timer = setInterval(() => {
    const now = res.socket;
    // bytesWritten counts the whole connection; a socket assigned meanwhile starts from here.
    const tick = now && now === socket ? now.bytesWritten - mark : 0;
    socket = now;
    mark = now?.bytesWritten ?? 0;
    const waiting = res.writableNeedDrain;
    if (waitedBefore && waiting) {
      waitedMs += TICK_MS;
      taken += tick;
    }
    waitedBefore = waiting;
    if (waitedMs < windowMs) return;
    if (taken < (minBytesPerSecond * windowMs) / 1000) {
      stop();
      res.destroy(
        new Error(
          `the reader took ${taken} bytes in ${windowMs / 1000} s of the export waiting for it, less than the ${minBytesPerSecond} bytes a second an export needs`,
        ),
      );
      return;
    }
    waitedMs = 0;
    taken = 0;
  }, TICK_MS);
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
