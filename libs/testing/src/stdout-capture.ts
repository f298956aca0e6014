/**
 * Keeps what is written to process.stdout from its making until restore(), instead of printing it: the engine
 * logs there (libs/config/src/logging.ts), so a test can read every line the API and the worker logged.
 */
export class StdoutCapture {
  private readonly chunks: string[] = [];
  private readonly original = process.stdout.write;

  constructor() {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      // The write's callback, as a stream would call it once written.
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stdout.write;
  }

  /** Everything written so far. */
  text(): string {
    return this.chunks.join('');
  }

  restore(): void {
    process.stdout.write = this.original;
  }
}
