import { Injectable } from '@nestjs/common';

/** Anything that tells the time: the wall clock, or a test's manual clock. */
export interface TimeSource {
  now(): Date;
}

/**
 * The time every domain decision is judged by: deadlines, escalations, due checks, auto-close,
 * rating windows, receipt. One instance per application (SlaModule). Bookkeeping timestamps
 * (updated_at, audit occurred_at) stay PostgreSQL's now(), and BullMQ delays stay in real time.
 *
 * A test moves time for a whole engine by giving both apps a source to follow (TestEngine's
 * `clock` option passes a ManualClock to the bootstraps); `jest.spyOn(app.get(Clock), 'now')` also works.
 */
@Injectable()
export class Clock implements TimeSource {
  private source: TimeSource | null = null;

  now(): Date {
    return this.source ? this.source.now() : new Date();
  }

  /** Reads the time from `source` from now on (null: the wall clock again). Production never calls it. */
  follow(source: TimeSource | null): void {
    this.source = source;
  }
}
