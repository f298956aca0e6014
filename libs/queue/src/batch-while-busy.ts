import { currentRequestId, sharedRequestId, withRequestId } from '@fr/config';

/**
 * Coalesces single calls into batches without waiting for one to fill: a call made while fewer than
 * `maxInFlight` batches run starts one at once, alone; calls made while the runs are busy queue up and
 * go together as soon as one finishes. An idle system pays no added latency, a busy one does one
 * round of work for many callers (e.g. one transaction for every SLA timer that fell due meanwhile).
 *
 * `run` must return one result per item, in order. If it throws, every caller of that batch gets
 * the error, unless `retryAlone` is set: then each item is run again by itself, so one bad item
 * fails only its own caller.
 */
export class BatchWhileBusy<T, R> {
  private readonly pending: { item: T; requestId: string | undefined; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly options: { maxBatch: number; maxInFlight: number; retryAlone?: boolean },
  ) {
    if (!(options.maxBatch >= 1) || !(options.maxInFlight >= 1)) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, requestId: currentRequestId(), resolve, reject });
      this.drain();
    });
  }

  /** Calls waiting for a batch to start (not counting those running). */
  get waiting(): number {
    return this.pending.length;
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.runBatch(batch)
        .catch((e: unknown) => batch.forEach((b) => b.reject(e)))
        .finally(() => {
          this.inFlight--;
          this.drain();
        });
    }
  }

  /** A batch runs on behalf of its callers' request when they share one, and of none otherwise. */
  private async runBatch(batch: typeof this.pending): Promise<void> {
    const requestId = sharedRequestId(batch.map((b) => b.requestId));
    let results: R[];
    try {
      results = await withRequestId(requestId, () => this.run(batch.map((b) => b.item)));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length} results`);
    } catch (e) {
      if (!this.options.retryAlone || batch.length === 1) return batch.forEach((b) => b.reject(e));
      // One after another: the retry must not load the database more than the batch did.
      for (const b of batch) await withRequestId(b.requestId, () => this.run([b.item])).then(([r]) => b.resolve(r), b.reject);
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]));
  }
}
