import { Job, JobsOptions, Queue } from 'bullmq';
import Redis from 'ioredis';
import { JobName, JobPayloads } from './queues';

/** States in which a job will still run (or is running) by itself. */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Whether a job found under a deterministic id will do its work by itself. It will not when Redis
 * lost its hash mid-flight and BullMQ recreated it without `name`/`data` (the worker can only fail
 * it: "no handler for job 'undefined'"), when it sits in no list (state "unknown", after a partial
 * wipe), or when it failed for good: retrying such a job fails again, so it counts as missing.
 */
export function isSoundJob<N extends JobName>(job: Job, state: string, name: N, payload: JobPayloads[N]): boolean {
  if (!LIVE_STATES.has(state)) return false;
  if (job.name !== name) return false;
  const data = job.data as Record<string, unknown> | null | undefined;
  if (!data || typeof data !== 'object') return false;
  return Object.entries(payload as Record<string, unknown>).every(([k, v]) => data[k] === v);
}

export type EnsureOutcome = 'kept' | 'added' | 'replaced' | 'locked';

/**
 * Makes sure the job of `jobId` exists and can run, for a caller that read in PostgreSQL that its
 * work is undone: adds it when absent; removes it and adds it again from the payload when it is
 * broken or finished (a completed job whose work is still undone lost that work). A job a worker
 * holds locked is left for the next pass. What the caller read may be out of date by the time the
 * job is looked at: a job that completed in between did its work, so `stillUndone` asks PostgreSQL
 * again before a completed job is replaced.
 */
export async function ensureJob<N extends JobName>(
  queue: Queue,
  name: N,
  payload: JobPayloads[N],
  opts: JobsOptions & { jobId: string },
  stillUndone: () => Promise<boolean>,
): Promise<EnsureOutcome> {
  const job = await queue.getJob(opts.jobId);
  if (job) {
    const state = await job.getState();
    if (isSoundJob(job, state, name, payload)) return 'kept';
    if (state === 'completed' && !(await stillUndone())) return 'kept';
    if ((await removeJobById(queue, opts.jobId)) !== 1) return 'locked';
  }
  await queue.add(name, payload, opts);
  return job ? 'replaced' : 'added';
}

/** Queue.remove, or, when BullMQ's script trips over a hash without the fields it expects, the keys by hand. */
export async function removeJobById(queue: Queue, jobId: string): Promise<number> {
  try {
    return await queue.remove(jobId);
  } catch {
    const redis = (await queue.client) as unknown as Redis;
    const key = queue.toKey(jobId);
    // Never a job a worker holds: its lock key says so.
    if (await redis.exists(`${key}:lock`)) return 0;
    await redis
      .multi()
      .lrem(queue.toKey('wait'), 0, jobId)
      .lrem(queue.toKey('paused'), 0, jobId)
      .lrem(queue.toKey('active'), 0, jobId)
      .zrem(queue.toKey('delayed'), jobId)
      .zrem(queue.toKey('prioritized'), jobId)
      .zrem(queue.toKey('completed'), jobId)
      .zrem(queue.toKey('failed'), jobId)
      .del(key, `${key}:logs`)
      .exec();
    return 1;
  }
}
