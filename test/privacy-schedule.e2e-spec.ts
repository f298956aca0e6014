import { Queue } from 'bullmq';
import { QueueName, QueueRegistry } from '@fr/queue';
import { TestEngine, waitFor } from '@fr/testing';
import { PRIVACY_SWEEP_SCHEDULER, PrivacySweepSchedule } from '../apps/worker/src/processors/privacy.processor';

/**
 * An attack run deleted the privacy queue's scheduler and delayed list (a partial loss of Redis keys):
 * the next run's job hash stayed, in no list, and BullMQ refused to schedule that run again on every
 * maintenance pass until its time had passed, so that day's erasure of contact details never ran.
 */
describe('the daily privacy sweep after Redis lost some of its keys', () => {
  let engine: TestEngine;
  let queue: Queue;

  beforeAll(async () => {
    engine = await TestEngine.start();
    const worker = await engine.startWorker();
    queue = worker.get(QueueRegistry).get(QueueName.Privacy);
  });
  afterAll(() => engine?.close());

  const nextRun = async () => {
    const scheduler = await queue.getJobScheduler(PRIVACY_SWEEP_SCHEDULER);
    if (!scheduler?.next) return null;
    const job = await queue.getJob(`repeat:${PRIVACY_SWEEP_SCHEDULER}:${scheduler.next}`);
    return job ? { id: job.id, state: await job.getState() } : null;
  };

  it('is scheduled again, once, when its next run was left in no list', async () => {
    const before = await waitFor(nextRun, (r) => r?.state === 'delayed', { what: 'the sweep to be scheduled at start' });
    await engine.redis.del(queue.toKey('repeat'), queue.toKey('delayed'));
    expect(await queue.getJobScheduler(PRIVACY_SWEEP_SCHEDULER)).toBeUndefined();
    expect(await (await queue.getJob(before!.id!))!.getState()).toBe('unknown');

    await engine.worker!.get(PrivacySweepSchedule).ensure();
    expect(await nextRun()).toEqual({ id: before!.id, state: 'delayed' });
    expect(await queue.getDelayedCount()).toBe(1);
  });
});
