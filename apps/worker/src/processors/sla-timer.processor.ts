import { Processor } from '@nestjs/bullmq';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@fr/config';
import { BatchWhileBusy, JobName, JobPayloads, QueueName } from '@fr/queue';
import { ESCALATION_LEVELS, EscalationLevel, FireEscalation, FireEscalationResult, SlaTimer } from '@fr/sla';
import { ConfiguredWorkerHost, WORKER_OPTIONS } from './configured-worker-host';
import { isUuid } from '@fr/domain';

function timerOf(data: Partial<JobPayloads[JobName.SlaTimer]>): SlaTimer {
  const { caseId, stage, level, stageStartedAt, dueAt } = data;
  if (!isUuid(caseId)) throw new UnrecoverableError('sla-timer needs a caseId');
  if (stage !== 'receive' && stage !== 'resolve') throw new UnrecoverableError(`sla-timer has an unknown stage '${stage}'`);
  if (!ESCALATION_LEVELS.includes(level as EscalationLevel)) throw new UnrecoverableError(`sla-timer has an unknown level '${level}'`);
  if (!Number.isFinite(stageStartedAt) || !Number.isFinite(dueAt)) throw new UnrecoverableError('sla-timer needs stageStartedAt and dueAt');
  // PostgreSQL prints uuids in lower case; the batch matches timers to case rows by that text.
  return { caseId: caseId.toLowerCase(), stage, level: level as EscalationLevel, stageStartedAt: new Date(stageStartedAt!), dueAt: new Date(dueAt!) };
}

/**
 * Fires SLA timers. Deadlines bunch up (a morning's intake breaches together, and the reconciler
 * releases many at once), so timers that fall due while a firing runs are gathered and fired
 * together in one transaction: a few statements per batch instead of per timer keeps the breach
 * lag flat at hundreds of breaches a second. A batch that fails is retried timer by timer, so
 * one bad timer fails only its own job.
 */
@Processor(QueueName.Sla, WORKER_OPTIONS)
export class SlaTimerProcessor extends ConfiguredWorkerHost {
  private readonly batcher: BatchWhileBusy<SlaTimer, FireEscalationResult>;

  constructor(private readonly fire: FireEscalation) {
    super();
    this.batcher = new BatchWhileBusy((timers) => this.fire.executeMany(timers), { maxBatch: 200, maxInFlight: 2, retryAlone: true });
  }

  protected override concurrency(config: AppConfig): number {
    return config.slaTimerConcurrency;
  }

  async process(job: Job, token?: string): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.SlaTimer: {
        const r = await this.batcher.submit(timerOf(job.data as Partial<JobPayloads[JobName.SlaTimer]>));
        if (r.outcome === 'early') {
          // Woken before its time (a timer longer than the outbox can carry, or clocks apart): sleep again.
          await job.moveToDelayed(Date.now() + Math.max(1000, r.fireAt.getTime() - Date.now()), token);
          throw new DelayedError();
        }
        return r;
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.Sla}'`);
    }
  }
}
