import { DataSource } from 'typeorm';
import { loadConfig } from '@fr/config';
import { SubjectRequests } from '@fr/privacy';
import { Clock, SlaService } from '@fr/sla';
import { ActOnCase } from './act-on-case.usecase';
import { ACTION_HANDLERS, ActionInput, HandledAction } from './actions';
import { LockedCase } from './actions/case-records';
import { CaseActor, citizenActor, officerActor, SYSTEM_ACTOR } from './actor';

/**
 * Every handler run through ActOnCase on a recording stand-in for PostgreSQL: each unit that the action
 * gives a case to, other than the unit the case is at, must have been locked before the case. Whoever
 * locks units and cases takes the units first (reorganisations, designation changes): an action that
 * gave a case to a unit it had not locked first waited for that unit while holding the case, and
 * deadlocked with a reorganisation ending it (test/reorganisation-lock-order.e2e-spec.ts). ActOnCase locks
 * the unit the handler declares (ActionHandler.takesUnit): this checks the declaration against what the
 * handler writes, both ways (a unit locked is one the case goes to).
 */

const NOW = new Date('2026-03-03T02:00:00Z'); // a Tuesday, 09:00 in Hanoi
const HOUR = 3_600_000;
const UNIT = 'P_A';
const OTHER_UNIT = 'P_B';
const TRIAGE = 'VP_TRIAGE';
const [ORIGINAL, DUPLICATE] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
const CASE_ID = '00000000-0000-4000-8000-000000000001';

const handler = officerActor({ id: '00000000-0000-4000-8000-0000000000f1', role: 'HANDLER', unitCode: UNIT });
const leader = officerActor({ id: '00000000-0000-4000-8000-0000000000f2', role: 'LEADER', unitCode: UNIT });
const supervisor = officerActor({ id: '00000000-0000-4000-8000-0000000000f3', role: 'SUPERVISOR', unitCode: TRIAGE });

const inProgress: LockedCase = {
  id: CASE_ID,
  status: 'in_progress',
  version: 3,
  category_code: 'sidewalk_encroachment',
  unit_code: UNIT,
  handler_id: handler.id,
  severity: 'normal',
  stage: 'resolve',
  stage_started_at: new Date(NOW.getTime() - HOUR),
  stage_minutes: 2400,
  extension_minutes: 0,
  extension_count: 0,
  resolve_from: new Date(NOW.getTime() - HOUR),
  acknowledged_at: new Date(NOW.getTime() - HOUR),
  due_at: new Date('2026-03-10T01:00:00Z'),
  paused_past_due: null,
  resolved_at: null,
  rating: null,
  rated_at: null,
};
const resolved: Partial<LockedCase> = { status: 'resolved', stage: null, due_at: null, resolved_at: new Date(NOW.getTime() - HOUR) };

/** A statement's answer, by a pattern of its text. */
type Answer = readonly [RegExp, (params: readonly unknown[]) => unknown[]];

interface Scenario {
  actor: CaseActor;
  case?: Partial<LockedCase>;
  input: ActionInput;
  /** The unit the case goes to, when another than its own: what the checks below must find. */
  givesTo: string | null;
  /** Answers to the statements of this action that the shared ones do not cover. */
  answers?: readonly Answer[];
}

/** One scenario for each handler that completes: an action added without one fails compilation here. */
const SCENARIOS: { readonly [A in HandledAction]: Scenario } = {
  acknowledge: { actor: handler, case: { status: 'assigned', acknowledged_at: null }, input: { severity: 'normal' }, givesTo: null },
  'request-info': { actor: handler, input: { message: 'Xin cho biết số nhà cụ thể.' }, givesTo: null },
  'supply-info': { actor: citizenActor('ihanoi'), case: { status: 'awaiting_info' }, input: { message: 'Số 12.' }, givesTo: null },
  assign: { actor: supervisor, case: { status: 'triage', unit_code: TRIAGE, handler_id: null }, input: { unitCode: OTHER_UNIT }, givesTo: OTHER_UNIT },
  transfer: { actor: handler, case: { status: 'assigned' }, input: { unitCode: OTHER_UNIT, reason: 'thuộc phường bên' }, givesTo: OTHER_UNIT },
  return: { actor: handler, case: { status: 'assigned' }, input: { reason: 'không thuộc thẩm quyền' }, givesTo: TRIAGE },
  resolve: {
    actor: handler,
    input: { answer: 'Đội trật tự đã đến kiểm tra, yêu cầu quán nước dọn hàng khỏi vỉa hè và lập biên bản nhắc nhở chủ quán.' },
    givesTo: null,
  },
  extend: { actor: leader, input: { reason: 'chờ kết quả đo đạc', until: '2026-03-11T01:00:00Z' }, givesTo: null },
  note: { actor: handler, input: { text: 'Đã gọi điện cho tổ trưởng dân phố.' }, givesTo: null },
  reopen: { actor: leader, case: resolved, input: { reason: 'chưa xử lý dứt điểm' }, givesTo: null },
  close: { actor: supervisor, case: resolved, input: {}, givesTo: null },
  rate: { actor: citizenActor('ihanoi'), case: resolved, input: { score: 5 }, givesTo: null },
  'redirect-other-track': { actor: leader, input: { reason: 'đơn khiếu nại', whereToGo: 'UBND phường, bộ phận tiếp công dân' }, givesTo: null },
  unlink: {
    actor: handler,
    input: {},
    givesTo: null,
    answers: [[/o\.tracking_code FROM cases c LEFT JOIN cases o/, () => [{ duplicate_of: ORIGINAL, tracking_code: 'HN-1' }]]],
  },
  // The duplicate joins the unit the case is at: a move of another case, into a unit this case already holds.
  merge: {
    actor: handler,
    input: { duplicateIds: [DUPLICATE] },
    givesTo: null,
    answers: [
      [/SELECT id FROM cases WHERE id = ANY\(\$1::uuid\[\]\) AND duplicate_of = \$2/, () => [{ id: DUPLICATE }]],
      [
        /SELECT id, tracking_code, status, duplicate_of, unit_code FROM cases WHERE id = ANY/,
        () => [{ id: DUPLICATE, tracking_code: 'HN-2', status: 'assigned', duplicate_of: CASE_ID, unit_code: OTHER_UNIT }],
      ],
      [/SELECT leader_id FROM cases/, () => [{ leader_id: leader.id }]],
      [/SELECT tracking_code FROM cases/, () => [{ tracking_code: 'HN-1' }]],
    ],
  },
  recompute_deadline: { actor: SYSTEM_ACTOR('calendar'), input: { reason: 'lịch năm 2026 sửa' }, givesTo: null },
};

const LOCKS_CASE = /FROM cases WHERE id = \$1 FOR UPDATE/;
const LOCKS_UNIT = /\bunits\b[\s\S]*\bFOR SHARE\b/;
const READS_TRIAGE_UNIT = /key = 'triage_unit'/;
/** carryMergedDuplicates: the merged duplicates of a case, to be given its unit and officers. */
const CARRIES_MERGED = /d\.duplicate_of = ANY\(\$1::uuid\[\]\) AND d\.status = 'merged'/;

interface Statement {
  text: string;
  params: readonly unknown[];
}

/** Answers each statement from `answers`, then from those every action may run; records them all. */
function recordingDatabase(c: LockedCase, answers: readonly Answer[]) {
  const statements: Statement[] = [];
  const shared: Answer[] = [
    [LOCKS_CASE, () => [{ ...c, deletion_came_after: false }]],
    [
      LOCKS_UNIT,
      (p) => [
        {
          code: unitOf({ text: '', params: p }) ?? TRIAGE,
          active: true,
          handler_id: handler.id,
          leader_id: leader.id,
          handler_active: true,
          leader_active: true,
        },
      ],
    ],
    [READS_TRIAGE_UNIT, () => [{ value: TRIAGE }]],
    [/INSERT INTO (audit_events|case_messages)/, () => [{ id: '1' }]],
    [/FROM audit_events/, () => [{ n: 0 }]],
  ];
  const m = {
    queryRunner: { isTransactionActive: true, data: {} },
    query: async (sql: string | { text: string }, params: unknown[] = []) => {
      const text = typeof sql === 'string' ? sql : sql.text;
      statements.push({ text, params });
      // Answered after one turn of the event loop, as a driver would, not within the caller's own step.
      await Promise.resolve();
      const match = [...answers, ...shared].find(([pattern]) => pattern.test(text));
      return match ? match[1](params) : [];
    },
  };
  const ds = { transaction: <T>(work: (em: typeof m) => Promise<T>) => work(m) };
  return { statements, ds: ds as unknown as DataSource };
}

/** The unit a unit-locking statement locks: the triage unit when it is read through system_state, else its first parameter. */
function unitOf(s: Statement): string | undefined {
  return READS_TRIAGE_UNIT.test(s.text) ? TRIAGE : (s.params[0] as string | undefined);
}

/** The units that statements give cases to, as parameters: a case's `unit_code = $n`, an assignment's unit. */
function unitsGiven(statements: readonly Statement[]): string[] {
  const units: string[] = [];
  for (const s of statements) {
    if (/\bUPDATE cases\b/.test(s.text)) {
      for (const [, n] of s.text.matchAll(/\bunit_code\s*=\s*\$(\d+)/g)) units.push(s.params[Number(n) - 1] as string);
    }
    const insert = /INSERT INTO assignments\s*\(([^)]*)\)\s*VALUES\s*\(([^)]*)\)/.exec(s.text);
    if (insert) {
      const column = insert[1]
        .split(',')
        .map((x) => x.trim())
        .indexOf('unit_code');
      const value = /^\$(\d+)$/.exec(insert[2].split(',')[column]?.trim() ?? '');
      if (!value) throw new Error(`an assignment whose unit is not a parameter: ${s.text}`);
      units.push(s.params[Number(value[1]) - 1] as string);
    }
  }
  return units;
}

describe(ActOnCase.name, () => {
  const sla = new SlaService(loadConfig({}));
  const clock = { now: () => NOW } as Clock;
  const subjectRequests = { onCaseClosed: async () => undefined } as unknown as SubjectRequests;

  it('has a scenario for every handler', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(ACTION_HANDLERS).sort());
  });

  /** The action run through ActOnCase's entry `entry` on a recording database; the case and the statements run. */
  async function acted(entry: 'execute' | 'executeIfFree', action: HandledAction, scenario: Scenario) {
    const c = { ...inProgress, ...scenario.case };
    const db = recordingDatabase(c, scenario.answers ?? []);
    const sut = new ActOnCase(db.ds, sla, clock, subjectRequests, loadConfig({}));
    await expect(sut[entry](scenario.actor, c.id, action, scenario.input)).resolves.toMatchObject({ caseId: c.id });
    return { c, statements: db.statements };
  }
  const everyScenario = Object.entries(SCENARIOS) as [HandledAction, Scenario][];

  describe.each(['execute', 'executeIfFree'] as const)('%s: every unit an action gives a case to is locked before the case', (entry) => {
    it.each(everyScenario)('%s', async (action, scenario) => {
      const { c, statements } = await acted(entry, action, scenario);

      const caseLockedAt = statements.findIndex((s) => LOCKS_CASE.test(s.text));
      expect(caseLockedAt).toBeGreaterThanOrEqual(0);
      const lockedFirst = statements
        .slice(0, caseLockedAt)
        .filter((s) => LOCKS_UNIT.test(s.text))
        .map(unitOf);
      const given = [...new Set(unitsGiven(statements).filter((u) => u !== c.unit_code))];
      expect(given).toEqual(scenario.givesTo ? [scenario.givesTo] : []);
      expect(lockedFirst).toEqual(given);
    });
  });

  describe('the duplicates merged into a case follow it to the unit it is given to', () => {
    it.each(everyScenario)('%s', async (action, scenario) => {
      const { statements } = await acted('execute', action, scenario);
      expect(statements.some((s) => CARRIES_MERGED.test(s.text))).toBe(scenario.givesTo !== null);
    });
  });
});
