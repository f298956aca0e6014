import { Injectable } from '@nestjs/common';

/**
 * The time escalations are judged by. One instance per application (SlaModule), so a test can move
 * time for the whole worker with `jest.spyOn(app.get(Clock), 'now')`. BullMQ delays stay in real time.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
