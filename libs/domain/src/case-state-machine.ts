import { ActionNotAllowedInStateError, ForbiddenActionError, ValidationError } from './errors';

export const CASE_STATES = Object.freeze([
  'received',
  'triage',
  'assigned',
  'in_progress',
  'awaiting_info',
  'resolved',
  // A duplicate merged into its original: no clock of its own; it closes with the original's answer.
  'merged',
  'closed',
] as const);
export type CaseState = (typeof CASE_STATES)[number];

// Names match the officer API's `/v1/cases/{id}/{action}` segments, hence the hyphens;
// the underscored ones are system-only and never appear in a URL.
export const CASE_ACTIONS = Object.freeze([
  'route',
  'route_to_triage',
  'assign',
  'acknowledge',
  'request-info',
  'supply-info',
  'transfer',
  'return',
  'resolve',
  'extend',
  'note',
  'reopen',
  'close',
  'rate',
  'redirect-other-track',
  'link',
  'unlink',
  'merge',
  'join_original',
  'close_with_original',
  'recompute_deadline',
] as const);
export type CaseAction = (typeof CASE_ACTIONS)[number];

// OPERATOR (a 1022 hotline operator) acts on no case in the table: they enter calls through intake
// and relay a caller's own actions (supply-info, rate) as the citizen's, the trail naming them.
export const OFFICER_ROLES = Object.freeze(['ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER', 'AUDITOR', 'OPERATOR'] as const);
export type OfficerRole = (typeof OFFICER_ROLES)[number];

export const ACTOR_ROLES = Object.freeze([...OFFICER_ROLES, 'CITIZEN', 'SYSTEM'] as const);
export type ActorRole = (typeof ACTOR_ROLES)[number];

export interface ActionRule {
  /** Source state -> target state; a state missing here does not allow the action. */
  readonly from: { readonly [S in CaseState]?: CaseState };
  /** Roles that may perform the action in some state. Scope (own unit etc.) is checked elsewhere. */
  readonly roles: readonly ActorRole[];
  /**
   * Whether the citizen's channel is told (the case-event webhook): what a citizen would notice
   * happen to their case. A note or a rating is not announced.
   */
  readonly citizenVisible: boolean;
}

export type TransitionTable = { readonly [A in CaseAction]: ActionRule };

function freezeTable(table: TransitionTable): TransitionTable {
  for (const rule of Object.values(table)) {
    Object.freeze(rule.from);
    Object.freeze(rule.roles);
    Object.freeze(rule);
  }
  return Object.freeze(table);
}

/**
 * The only source of truth for how a case's state may change. Persistence must write a case's
 * state exclusively with the result of `transition`, never a value chosen by a caller.
 * ADMIN and AUDITOR appear nowhere: administering accounts or auditing never moves a case.
 */
export const CASE_TRANSITIONS: TransitionTable = freezeTable({
  route: {
    from: { received: 'assigned' },
    roles: ['SYSTEM'],
    citizenVisible: true,
  },
  route_to_triage: {
    from: { received: 'triage' },
    roles: ['SYSTEM'],
    citizenVisible: true,
  },
  assign: {
    from: { triage: 'assigned' },
    roles: ['SUPERVISOR'],
    citizenVisible: true,
  },
  acknowledge: {
    from: { assigned: 'in_progress' },
    roles: ['HANDLER', 'LEADER', 'SUPERVISOR'],
    citizenVisible: true,
  },
  'request-info': {
    from: { in_progress: 'awaiting_info' },
    roles: ['HANDLER', 'LEADER'],
    citizenVisible: true,
  },
  'supply-info': {
    from: { awaiting_info: 'in_progress' },
    roles: ['CITIZEN'],
    citizenVisible: true,
  },
  transfer: {
    // Assigned again, to another unit: the new unit must acknowledge before work restarts.
    from: { assigned: 'assigned', in_progress: 'assigned' },
    roles: ['HANDLER', 'LEADER', 'SUPERVISOR'],
    citizenVisible: true,
  },
  return: {
    from: { assigned: 'triage', in_progress: 'triage' },
    roles: ['HANDLER', 'LEADER'],
    citizenVisible: true,
  },
  resolve: {
    from: { in_progress: 'resolved' },
    roles: ['HANDLER', 'LEADER'],
    citizenVisible: true,
  },
  extend: {
    // Only a leader may grant more time (gia hạn); the state itself does not change.
    from: { assigned: 'assigned', in_progress: 'in_progress', awaiting_info: 'awaiting_info' },
    roles: ['LEADER'],
    citizenVisible: true,
  },
  note: {
    from: {
      received: 'received',
      triage: 'triage',
      assigned: 'assigned',
      in_progress: 'in_progress',
      awaiting_info: 'awaiting_info',
      resolved: 'resolved',
      merged: 'merged',
    },
    roles: ['HANDLER', 'LEADER', 'SUPERVISOR'],
    citizenVisible: false,
  },
  reopen: {
    // CITIZEN through a low rating, SYSTEM when a rule reopens it automatically.
    from: { resolved: 'in_progress' },
    roles: ['LEADER', 'SUPERVISOR', 'CITIZEN', 'SYSTEM'],
    citizenVisible: true,
  },
  close: {
    // SYSTEM closes resolved cases nobody reopened after the waiting period.
    from: { resolved: 'closed' },
    roles: ['HANDLER', 'LEADER', 'SUPERVISOR', 'SYSTEM'],
    citizenVisible: true,
  },
  rate: {
    from: { resolved: 'resolved' },
    roles: ['CITIZEN'],
    citizenVisible: false,
  },
  'redirect-other-track': {
    // A complaint or denunciation (khiếu nại, tố cáo) found after intake belongs to another legal
    // track: closed as such, unanswered, with the citizen told where to take it.
    from: { triage: 'closed', assigned: 'closed', in_progress: 'closed', awaiting_info: 'closed' },
    roles: ['LEADER', 'SUPERVISOR'],
    citizenVisible: true,
  },
  // Duplicates (issue 14). Intake never refuses a citizen: routing links a new case to the likely
  // original; the original's unit then merges the group or unlinks a false match.
  link: {
    // Right after routing, in the same transaction; the state does not change.
    from: { triage: 'triage', assigned: 'assigned' },
    roles: ['SYSTEM'],
    citizenVisible: false,
  },
  unlink: {
    // A false match: the case goes on by itself with the clocks it already has.
    from: { triage: 'triage', assigned: 'assigned', in_progress: 'in_progress', awaiting_info: 'awaiting_info' },
    roles: ['HANDLER', 'LEADER', 'SUPERVISOR'],
    citizenVisible: false,
  },
  merge: {
    // On the original: its own state is unchanged; each duplicate named joins it (join_original).
    from: { assigned: 'assigned', in_progress: 'in_progress', awaiting_info: 'awaiting_info', resolved: 'resolved' },
    roles: ['HANDLER', 'LEADER'],
    citizenVisible: false,
  },
  join_original: {
    // The duplicate's side of a merge: its clocks stop, the original's SLA stands for the group.
    from: { triage: 'merged', assigned: 'merged', in_progress: 'merged', awaiting_info: 'merged' },
    roles: ['SYSTEM'],
    citizenVisible: true,
  },
  close_with_original: {
    // The original's answer reaches this citizen too, and the duplicate closes with it.
    from: { merged: 'closed' },
    roles: ['SYSTEM'],
    citizenVisible: true,
  },
  recompute_deadline: {
    // A year of the working calendar was corrected: a running deadline is counted again from its stored
    // start, durations and pauses. A paused clock (awaiting_info) has no deadline to move (it is counted
    // on the calendar of the day it resumes), but whether its deadline had passed when the pause began is
    // counted again. The citizen's channel is told the new expected date of a running one.
    from: { triage: 'triage', assigned: 'assigned', in_progress: 'in_progress', awaiting_info: 'awaiting_info' },
    roles: ['SYSTEM'],
    citizenVisible: true,
  },
});

export function isValidState(x: unknown): x is CaseState {
  return typeof x === 'string' && (CASE_STATES as readonly string[]).includes(x);
}

export function isCaseAction(x: unknown): x is CaseAction {
  return typeof x === 'string' && (CASE_ACTIONS as readonly string[]).includes(x);
}

export function isOfficerRole(x: unknown): x is OfficerRole {
  return typeof x === 'string' && (OFFICER_ROLES as readonly string[]).includes(x);
}

export function isActorRole(x: unknown): x is ActorRole {
  return typeof x === 'string' && (ACTOR_ROLES as readonly string[]).includes(x);
}

/** Whether the role may perform the action in at least one state. */
export function canPerform(role: ActorRole, action: CaseAction): boolean {
  return isCaseAction(action) && CASE_TRANSITIONS[action].roles.includes(role);
}

// Own-property lookup so that values such as 'constructor' or '__proto__' arriving from
// untyped input never resolve to something inherited from Object.prototype.
function targetOf(action: CaseAction, from: CaseState): CaseState | undefined {
  const sources = CASE_TRANSITIONS[action].from;
  return Object.hasOwn(sources, from) ? sources[from] : undefined;
}

/**
 * The state a case moves to when `role` performs `action` on it in state `from`.
 * The role is checked first: a role that may never perform the action gets 403 whatever the
 * state, so the answer does not reveal the case's state to someone with no business in it.
 */
export function transition(from: CaseState, action: CaseAction, role: ActorRole): CaseState {
  if (!isCaseAction(action)) {
    throw new ValidationError(`unknown case action '${String(action)}'`, ['action']);
  }
  if (!canPerform(role, action)) {
    throw new ForbiddenActionError(role, action);
  }
  const to = targetOf(action, from);
  if (to === undefined) {
    throw new ActionNotAllowedInStateError(from, action);
  }
  return to;
}

/** The actions `role` may perform now, in `CASE_ACTIONS` order: what a UI offers as buttons. */
export function allowedActions(state: CaseState, role: ActorRole): CaseAction[] {
  return CASE_ACTIONS.filter((action) => canPerform(role, action) && targetOf(action, state) !== undefined);
}

/**
 * The actions whose events reach the citizen's channel, in `CASE_ACTIONS` order: read by whoever
 * announces a case event (ActOnCase, RouteCase) and by the sweep that re-announces lost ones.
 */
export const CITIZEN_VISIBLE_ACTIONS: readonly CaseAction[] = Object.freeze(CASE_ACTIONS.filter((a) => CASE_TRANSITIONS[a].citizenVisible));

export function isCitizenVisible(action: CaseAction): boolean {
  return CASE_TRANSITIONS[action].citizenVisible;
}

/** Derived from the table rather than listed, so the two can never disagree: only `closed` today. */
export function isTerminal(state: CaseState): boolean {
  return CASE_ACTIONS.every((action) => targetOf(action, state) === undefined);
}

/**
 * Still awaiting an answer to the citizen; SLA clocks and overdue counts only concern open cases.
 * A merged duplicate waits on its original, whose clock and open count stand for the whole group.
 */
export function isOpen(state: CaseState): boolean {
  return state !== 'resolved' && state !== 'closed' && state !== 'merged';
}
