import type { ActorRole, CaseAction, CaseState } from './case-state-machine';
import { maskContactsInText } from './personal-data';

/**
 * What went wrong, independent of transport. The HTTP layer maps each code to a status with an
 * exhaustive switch ending in `assertUnreachable`, so adding a code fails compilation there.
 */
export enum DomainErrorCode {
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  STATE_CONFLICT = 'STATE_CONFLICT',
  FORBIDDEN = 'FORBIDDEN',
  VALIDATION = 'VALIDATION',
  UNPROCESSABLE = 'UNPROCESSABLE',
  BUSY = 'BUSY',
}

export const DOMAIN_ERROR_CODES: readonly DomainErrorCode[] = Object.freeze(Object.values(DomainErrorCode));

/**
 * Base of every error the domain raises on purpose; anything else reaching a boundary is a bug.
 * Each subclass spells its `name` as a literal rather than deriving it from the constructor,
 * so logs stay readable even if a bundler renames classes.
 */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  override readonly name: string = 'DomainError';

  protected constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Also used when a record exists but lies outside the caller's scope, so its existence is not leaked. */
export class NotFoundError extends DomainError {
  readonly code = DomainErrorCode.NOT_FOUND;
  override readonly name: string = 'NotFoundError';

  constructor(
    readonly entity: string,
    readonly key?: string,
    options?: ErrorOptions,
  ) {
    super(key === undefined ? `${entity} not found` : `${entity} '${shortKey(key)}' not found`, options);
  }
}

/**
 * A key as the message repeats it: its start only (a 10 kB path segment came back whole in the 404),
 * and with a phone number, e-mail or ID number in it masked (a citizen's number typed where a tracking
 * code goes would stay in any log of error answers). Masked before it is cut: a number cut in two at
 * the 80th character no longer looked like one and was shown.
 */
function shortKey(key: string): string {
  const chars = [...key];
  if (chars.length <= 80) return maskContactsInText(key);
  const masked = [...maskContactsInText(chars.slice(0, 200).join(''))];
  return `${masked.slice(0, 80).join('')}… (${chars.length} characters)`;
}

export class ConflictError extends DomainError {
  readonly code = DomainErrorCode.CONFLICT;
  override readonly name: string = 'ConflictError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }

  /** Optimistic locking: the caller acted on a version someone else has already replaced. */
  static staleVersion(entity: string, expected: number, actual: number): ConflictError {
    return new ConflictError(`${entity} is at version ${actual}, not the expected version ${expected}`);
  }
}

/**
 * A request whose Idempotency-Key is held by another with the key that has not ended: 409, as
 * draft-ietf-httpapi-idempotency-key-header answers a retry sent before the original completed (no
 * correction needed: the same request may be sent again after `retryAfterSeconds`).
 */
export class RequestUnderWayError extends ConflictError {
  override readonly name: string = 'RequestUnderWayError';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The citizen's own actions, told to channels in words: "cannot supply-info a case" named the engine's action. */
const CITIZEN_REFUSALS: Partial<Record<CaseAction, (state: CaseState) => string>> = {
  'supply-info': (state) => `cannot answer a request for information on a case in state '${state}': the case is not waiting for information`,
  rate: (state) => `cannot rate a case in state '${state}': a case is rated once answered (resolved), before it is closed`,
};

/** The action exists and the actor may perform it, but not while the case is in this state. */
export class ActionNotAllowedInStateError extends DomainError {
  readonly code = DomainErrorCode.STATE_CONFLICT;
  override readonly name: string = 'ActionNotAllowedInStateError';

  constructor(
    readonly state: CaseState,
    readonly action: CaseAction,
    options?: ErrorOptions,
  ) {
    super(CITIZEN_REFUSALS[action]?.(state) ?? `cannot ${action} a case in state '${state}'`, options);
  }
}

/** The role may never perform the action, whatever the case's state. */
export class ForbiddenActionError extends DomainError {
  readonly code = DomainErrorCode.FORBIDDEN;
  override readonly name: string = 'ForbiddenActionError';

  constructor(
    readonly role: ActorRole,
    readonly action: CaseAction,
    options?: ErrorOptions,
  ) {
    super(`role ${role} may not ${action}`, options);
  }
}

/** The caller may not do this to this record (a rule about who, not about the role alone): 403. */
export class NotPermittedError extends DomainError {
  readonly code = DomainErrorCode.FORBIDDEN;
  override readonly name: string = 'NotPermittedError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** One problem of a request, under the field it is about; null: about no one field (the plan as a whole). */
export interface FieldProblem {
  readonly field: string | null;
  readonly problem: string;
}

/**
 * The most problems one answer lists (the validation pipe's bound too): the first are enough to mend a
 * request or a file; a list as long as a hostile body is not.
 */
export const MAX_PROBLEMS_LISTED = 50;

/**
 * Problems as an answer tells them: the first MAX_PROBLEMS_LISTED, each field (in the order first named)
 * with its own, and a message listing them, led by how many there were when some are left out (first,
 * not last: the message is cut at 500 characters).
 */
function listProblems(problems: readonly FieldProblem[]): { message: string; problemsOf: Map<string, string[]> } {
  const list = problems.slice(0, MAX_PROBLEMS_LISTED);
  const problemsOf = new Map<string, string[]>();
  for (const { field, problem } of list) if (field !== null) problemsOf.set(field, [...(problemsOf.get(field) ?? []), problem]);
  const joined = list.map((p) => p.problem).join('; ');
  const message = problems.length > list.length ? `${problems.length} problems, the first ${list.length} in errors: ${joined}` : joined;
  return { message, problemsOf };
}

export interface ValidationErrorOptions extends ErrorOptions {
  /** Each field's own problems, when the thrower knows them apart (ValidationError.ofProblems). */
  readonly problemsOf?: ReadonlyMap<string, readonly string[]>;
}

/** Malformed input; `fields` lets the API name the offending fields as the contract requires. */
export class ValidationError extends DomainError {
  readonly code = DomainErrorCode.VALIDATION;
  override readonly name: string = 'ValidationError';
  /**
   * Each field's own problems, or null: the API then gives a field the lines of `message` that name it,
   * and a message of problems joined on one line went whole under every field.
   */
  readonly problemsOf: ReadonlyMap<string, readonly string[]> | null;

  constructor(
    message: string,
    readonly fields: readonly string[] = [],
    options?: ValidationErrorOptions,
  ) {
    super(message, options);
    this.problemsOf = options?.problemsOf ?? null;
  }

  /** Several problems: `message` lists them as written, each field (in the order first named) carries its own; the first 50 only. */
  static ofProblems(problems: readonly FieldProblem[]): ValidationError {
    const { message, problemsOf } = listProblems(problems);
    return new ValidationError(message, [...problemsOf.keys()], { problemsOf });
  }
}

/** Well-formed input the domain still cannot act on, e.g. an unknown category or ward code. */
export class UnprocessableError extends DomainError {
  readonly code = DomainErrorCode.UNPROCESSABLE;
  override readonly name: string = 'UnprocessableError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A well-formed value of one field that names nothing usable (an unknown code): a 422 whose errors name the field. */
export class UnprocessableFieldError extends UnprocessableError {
  override readonly name: string = 'UnprocessableFieldError';
  readonly fields: readonly string[];
  /** Each field's own problems when there are several (ofProblems); null: `message` is the one field's. */
  readonly problemsOf: ReadonlyMap<string, readonly string[]> | null;

  constructor(field: string | readonly string[], message: string, problemsOf: ReadonlyMap<string, readonly string[]> | null = null) {
    super(message);
    this.fields = typeof field === 'string' ? [field] : field;
    this.problemsOf = problemsOf;
  }

  /** Several values naming nothing usable, told as ValidationError.ofProblems tells malformed ones (the first 50). */
  static ofProblems(problems: readonly FieldProblem[]): UnprocessableFieldError {
    const { message, problemsOf } = listProblems(problems);
    return new UnprocessableFieldError([...problemsOf.keys()], message, problemsOf);
  }
}

/**
 * The work asked for is already running as often as this server runs it at once: nothing was done,
 * and the same request may succeed after `retryAfterSeconds` (or at once on another instance).
 */
export class BusyError extends DomainError {
  readonly code = DomainErrorCode.BUSY;
  override readonly name: string = 'BusyError';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The caller went away (closed the connection) before the answer: raised through an AbortSignal so
 * that long work stops, and dropped at the boundary without an answer or an error in the log.
 */
export class CallerGoneError extends Error {
  override readonly name: string = 'CallerGoneError';

  constructor(message = 'the caller closed the connection before the answer') {
    super(message);
  }
}

export function isDomainError(x: unknown): x is DomainError {
  return x instanceof DomainError;
}

/** Ends an exhaustive switch: compilation fails when a case is missing, and runtime fails loudly. */
export function assertUnreachable(x: never): never {
  let shown: string;
  try {
    shown = JSON.stringify(x) ?? String(x);
  } catch {
    shown = String(x);
  }
  throw new Error(`unreachable: unexpected value ${shown}`);
}
