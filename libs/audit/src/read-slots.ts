import { BusyError } from '@fr/domain';

/** A long read takes seconds: about when a place frees. */
export const READ_SLOT_RETRY_SECONDS = 5;

/**
 * How many of one kind of long read (a verification, an export) this process runs at once. A caller
 * past the bound is refused at once (BusyError: 503 with Retry-After), not queued: a queued caller
 * would hold its connection open meanwhile, and a script in a loop would queue without end.
 */
export class ReadSlots {
  private running = 0;

  constructor(
    /** What is running, for the refusal: `2 case export(s) are streaming`. */
    private readonly busy: (running: number) => string,
    /** The setting that bounds it, and its value. */
    private readonly setting: string,
    private readonly most: number,
  ) {}

  /** Takes a place or throws BusyError; the function returned gives it back (once, however often it is called). */
  take(): () => void {
    if (this.running >= this.most) {
      throw new BusyError(
        `${this.busy(this.running)}, the most this server runs at once (${this.setting}=${this.most}); try again in ${READ_SLOT_RETRY_SECONDS} s`,
        READ_SLOT_RETRY_SECONDS,
      );
    }
    this.running++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.running--;
    };
  }
}
