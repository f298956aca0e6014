import { ClockPause } from '@fr/domain';
import { Deadlines, SlaService, StageClock } from '@fr/sla';
import { EntityManager } from 'typeorm';
import { ActionHandler, required, stageRun } from './action-handler';
import { addMessage, endPauses, LockedCase, pausesOf } from './case-records';
import { columns } from './column-set';

/** The citizen answers: the pause ends and the deadline moves by exactly the paused working time. */
export const supplyInfo: ActionHandler = async ({ m, actor, c, input, now, sla }) => {
  const message = required(input.message, 'message');
  await addMessage(m, c.id, 'info_reply', actor.label, message, input.attachments ?? []);
  await endPauses(m, c.id, now);
  const { clock, d } = await resumed(m, sla, c);
  return {
    set: columns`due_at = ${d.dueAt}, warn_at = ${d.warnAt}`,
    bumpsVersion: true,
    deadline: clock ? stageRun(c.id, clock, d) : undefined,
    data: { resumed: c.stage, dueAt: d.dueAt },
  };
};

/** The current stage run's deadline recomputed with every pause, now that none is open. */
async function resumed(m: EntityManager, sla: SlaService, c: LockedCase): Promise<{ clock: StageClock | null; d: Deadlines }> {
  if (!c.stage || !c.stage_started_at || !c.stage_minutes) return { clock: null, d: { dueAt: null, warnAt: null } };
  const clock: StageClock = {
    stage: c.stage,
    startedAt: new Date(c.stage_started_at),
    minutes: c.stage_minutes,
    extensionMinutes: c.extension_minutes,
    unit: c.unit_code,
  };
  const pauses: ClockPause[] = await pausesOf(m, c.id, c.stage);
  return { clock, d: sla.deadlines(clock, pauses) };
}
