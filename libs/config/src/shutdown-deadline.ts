/**
 * Exits the process when a stop asked by SIGTERM or SIGINT has not ended within `timeoutMs`. Nest's
 * shutdown closes the BullMQ queues and workers, which wait for a Redis that is down (ioredis
 * reconnects for ever): an API whose Redis was unreachable never exited, so `npm start` could not
 * stop and a supervisor without a kill timeout waited for good. Listens once: Nest raises the signal
 * again after its own clean-up, and that second signal must end the process. `who` ("the API") names the
 * process as `npm start` names its children: their lines share one output, and "the process" told
 * nobody which of them had stalled.
 */
export function exitWhenShutdownStalls(timeoutMs: number, who: string, log: (message: string) => void = (m) => console.error(m)): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        log(`${who} (pid ${process.pid}) did not stop within ${timeoutMs / 1000} s of ${signal} (FR_SHUTDOWN_TIMEOUT_SECONDS); exiting`);
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}
