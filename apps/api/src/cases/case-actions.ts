import { CaseAction } from '@fr/domain';
import { CaseActionDto } from './case.dto';

/** The actions officers call by path; citizens' and the system's own actions are not reachable here. */
export const OFFICER_ACTIONS = [
  'acknowledge',
  'request-info',
  'transfer',
  'return',
  'assign',
  'resolve',
  'extend',
  'reopen',
  'close',
  'note',
  'redirect-other-track',
  'merge',
  'unlink',
] as const satisfies readonly CaseAction[];
export type OfficerAction = (typeof OFFICER_ACTIONS)[number];

type ActionField = Exclude<keyof CaseActionDto, 'expectedVersion'>;

export interface OfficerActionSpec {
  /** The operation's id in the OpenAPI document: a client generator's method name. */
  operationId: string;
  summary: string;
  /** What a caller must know beyond the summary; the states and roles are added from CASE_TRANSITIONS. */
  description: string;
  /**
   * The body fields the action takes besides expectedVersion. Another field sent with an action is
   * refused: before, `{ "answer": ... }` sent to transfer, or a reason to acknowledge, was dropped without
   * a word and the caller believed it recorded.
   */
  fields: readonly ActionField[];
  /** Those of `fields` it cannot do without (the handler's own `required` checks, said before the case is read). */
  required: readonly ActionField[];
}

/**
 * One place for what each action takes and needs: the controller checks bodies by it, and the OpenAPI
 * document makes each action an operation of its own from it (apps/api/src/openapi.ts), so that a
 * validating proxy or a generated client knows a transfer needs `unitCode` and `reason`.
 */
export const OFFICER_ACTION_SPECS: Record<OfficerAction, OfficerActionSpec> = {
  acknowledge: {
    operationId: 'acknowledgeCase',
    summary: 'Take the case on and say how hard it is',
    description: "The unit takes the case on: the resolve clock starts with the severity's duration (`normal` when left out).",
    fields: ['severity'],
    required: [],
  },
  'request-info': {
    operationId: 'requestCaseInfo',
    summary: 'Ask the citizen for more information',
    description: "The citizen's channel is asked `message`; the clock waits until the citizen answers.",
    fields: ['message'],
    required: ['message'],
  },
  transfer: {
    operationId: 'transferCase',
    summary: 'Give the case to another unit',
    description: "The case goes to `unitCode`'s designated handler and leader (or whoever covers them), with the reason.",
    fields: ['unitCode', 'reason'],
    required: ['unitCode', 'reason'],
  },
  return: {
    operationId: 'returnCase',
    summary: 'Send the case back to triage',
    description: "Not this unit's case: it goes to the triage unit, with the reason.",
    fields: ['reason'],
    required: ['reason'],
  },
  assign: {
    operationId: 'assignCase',
    summary: 'Give a case in triage to a unit',
    description: "The case goes to `unitCode`'s designated handler and leader (or whoever covers them).",
    fields: ['unitCode', 'reason'],
    required: ['unitCode'],
  },
  resolve: {
    operationId: 'resolveCase',
    summary: 'Answer the citizen: the case is resolved',
    description: 'The answer (and attachments) reach the citizen through their channel; duplicates merged into the case close with it.',
    fields: ['answer', 'attachments'],
    required: ['answer'],
  },
  extend: {
    operationId: 'extendCaseDeadline',
    summary: "Move the case's deadline",
    description: 'Granted before the current deadline passes, with the reason; the escalation timers follow the new one.',
    fields: ['until', 'reason'],
    required: ['until', 'reason'],
  },
  reopen: {
    operationId: 'reopenCase',
    summary: 'Reopen a resolved case',
    description: 'The case is handled again, its reason recorded if given.',
    fields: ['reason'],
    required: [],
  },
  close: {
    operationId: 'closeCase',
    summary: 'Close a resolved case',
    description: 'Closed for good, its reason recorded if given.',
    fields: ['reason'],
    required: [],
  },
  note: {
    operationId: 'addCaseNote',
    summary: 'Write a note on the case',
    description: "An officers' note on the timeline, never shown to the citizen. It needs no `expectedVersion` and moves no version.",
    fields: ['text'],
    required: ['text'],
  },
  'redirect-other-track': {
    operationId: 'redirectCaseToOtherTrack',
    summary: 'Close a complaint or denunciation that belongs to another legal track',
    description: 'Closed unanswered, the citizen told `whereToGo` with the reason.',
    fields: ['reason', 'whereToGo'],
    required: ['reason', 'whereToGo'],
  },
  merge: {
    operationId: 'mergeCaseDuplicates',
    summary: 'Merge linked duplicates into this original',
    description:
      'On the original: the linked cases named join it (state `merged`) and close with its answer. A case not linked to it is refused (422), one already merged 409.',
    fields: ['duplicateIds'],
    required: ['duplicateIds'],
  },
  unlink: {
    operationId: 'unlinkCase',
    summary: 'Unlink a case from its original: a false match',
    description: 'On a linked case: it goes on by itself, with the clocks it already has.',
    fields: [],
    required: [],
  },
};

export function isOfficerAction(action: string): action is OfficerAction {
  return (OFFICER_ACTIONS as readonly string[]).includes(action);
}
