import { Processor } from '@nestjs/bullmq';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { JobName, JobPayloads, QueueName } from '@fr/queue';
import { ESCALATION_LEVELS, EscalationLevel, FireEscalation, SlaTimer } from '@fr/sla';
import { ConfiguredWorkerHost } from './configured-worker-host';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function timerOf(data: Partial<JobPayloads[JobName.SlaTimer]>): SlaTimer {
  const { caseId, stage, level, stageStartedAt, dueAt } = data;
  if (typeof caseId !== 'string' || !UUID.test(caseId)) throw new UnrecoverableError('sla-timer needs a caseId');
  if (stage !== 'receive' && stage !== 'resolve') throw new UnrecoverableError(`sla-timer has an unknown stage '${stage}'`);
  if (!ESCALATION_LEVELS.includes(level as EscalationLevel)) throw new UnrecoverableError(`sla-timer has an unknown level '${level}'`);
  if (!Number.isFinite(stageStartedAt) || !Number.isFinite(dueAt)) throw new UnrecoverableError('sla-timer needs stageStartedAt and dueAt');
  return { caseId, stage, level: level as EscalationLevel, stageStartedAt: new Date(stageStartedAt!), dueAt: new Date(dueAt!) };
}

@Processor(QueueName.Sla)
export class SlaTimerProcessor extends ConfiguredWorkerHost {
  constructor(private readonly fire: FireEscalation) {
    super();
  }

  async process(job: Job, token?: string): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.SlaTimer: {
        const r = await this.fire.execute(timerOf(job.data));
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
