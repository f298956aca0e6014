import { CaseAction } from '@fr/domain';
import { acknowledge } from './acknowledge';
import { ActionHandler } from './action-handler';
import { assign } from './assign';
import { close } from './close';
import { merge, unlink } from './duplicates';
import { extend } from './extend';
import { note } from './note';
import { rate } from './rate';
import { redirectOtherTrack } from './redirect-other-track';
import { recomputeDeadline } from './recompute-deadline';
import { reopen } from './reopen';
import { requestInfo } from './request-info';
import { resolve } from './resolve';
import { returnToTriage } from './return';
import { supplyInfo } from './supply-info';
import { transfer } from './transfer';

/**
 * Routing's actions (and the duplicate link made with them) are written by RouteCase, a batch of
 * cases at a time; a duplicate's side of a merge and its closing with the original's answer are
 * written by `merge` and `resolve` on the original (actions/duplicates.ts). Every other action has
 * its handler here.
 */
export type HandledAction = Exclude<CaseAction, 'route' | 'route_to_triage' | 'link' | 'join_original' | 'close_with_original'>;

/** One handler per action; an action added to the transition table fails compilation here until it has one. */
export const ACTION_HANDLERS: { readonly [A in HandledAction]: ActionHandler } = Object.freeze({
  acknowledge,
  'request-info': requestInfo,
  'supply-info': supplyInfo,
  assign,
  transfer,
  return: returnToTriage,
  resolve,
  extend,
  note,
  reopen,
  close,
  rate,
  'redirect-other-track': redirectOtherTrack,
  unlink,
  merge,
  recompute_deadline: recomputeDeadline,
});

export function isHandledAction(action: CaseAction): action is HandledAction {
  return Object.hasOwn(ACTION_HANDLERS, action);
}

export type { ActionInput, ActionHandler, ActionContext, ActionOutcome } from './action-handler';
