import { fmtInt, fmtMs } from '../bench/support';
import { Check } from './checks';
import { FaultEvent } from './faults';
import { ChaosLoad } from './load';

/**
 * A sample of the routing backlog taken during the run: cases in `received` by when they were
 * received, split at the ends of the faults known when the sample was taken (receivedByPeriod).
 */
export interface BacklogSample {
  at: number;
  boundaries: number;
  counts: number[];
}

/** The figures of one stretch of the run: from a fault's start to the next fault's start. */
export interface WindowFigures {
  label: string;
  /** Seconds after the load began. */
  atS: number;
  /** Events first scheduled in the window, accepted (a 2xx in the end), given up (no 2xx in the retry budget or a 4xx). */
  sent: number;
  accepted: number;
  gaveUp: number;
  /** 2xx whose externalId is not stored (or stored under another case), and externalIds stored more than once. */
  lost: number;
  duplicated: number;
  /** Requests sent in the window beyond each event's first. */
  retries: number;
  /** Answers sent in the window by status class: 5xx by code, and connections refused or cut. */
  byCode5xx: Record<string, number>;
  connectionErrors: number;
  other4xx: Record<string, number>;
  /** From the fault's end to the first 2xx answered after it, and to the routing of every case received between the previous fault's end and this one's. */
  firstOkAfterMs: number | null;
  drainedAfterMs: number | null;
}

export interface Stored {
  /** Case ids stored under each externalId. */
  byExternalId: Map<string, string[]>;
}

function emptyWindow(label: string, atS: number): WindowFigures {
  return {
    label,
    atS,
    sent: 0,
    accepted: 0,
    gaveUp: 0,
    lost: 0,
    duplicated: 0,
    retries: 0,
    byCode5xx: {},
    connectionErrors: 0,
    other4xx: {},
    firstOkAfterMs: null,
    drainedAfterMs: null,
  };
}

/**
 * Splits the run at each fault's start: the window before the first fault, then one per fault. An
 * event counts where it was first scheduled; an answer where its request was sent.
 */
export function windowFigures(
  load: ChaosLoad,
  loadStart: number,
  faults: FaultEvent[],
  stored: Stored,
  backlog: BacklogSample[],
): { windows: WindowFigures[]; total: WindowFigures } {
  const starts = [loadStart, ...faults.map((f) => f.startedAt)];
  const windows = [emptyWindow('before the faults', 0), ...faults.map((f) => emptyWindow(f.label, (f.startedAt - loadStart) / 1000))];
  const total = emptyWindow('whole run', 0);
  const windowOf = (t: number) => {
    let w = 0;
    while (w + 1 < starts.length && t >= starts[w + 1]) w++;
    return w;
  };
  for (const ev of load.events) {
    const ids = stored.byExternalId.get(ev.externalId) ?? [];
    for (const w of [windows[windowOf(ev.scheduledAt)], total]) {
      w.sent++;
      if (ev.acceptedAt !== null) w.accepted++;
      if (ev.gaveUp) w.gaveUp++;
      if (ev.acceptedAt !== null && (ids.length === 0 || (ev.caseId !== null && !ids.includes(ev.caseId)))) w.lost++;
      if (ids.length > 1) w.duplicated++;
    }
  }
  const firstAttempt = new Set<number>();
  for (const a of load.attempts) {
    const first = !firstAttempt.has(a.event);
    firstAttempt.add(a.event);
    for (const w of [windows[windowOf(a.sentAt)], total]) {
      if (!first) w.retries++;
      if (a.status === 0) w.connectionErrors++;
      else if (a.status >= 500) w.byCode5xx[a.status] = (w.byCode5xx[a.status] ?? 0) + 1;
      else if (a.status >= 300) w.other4xx[a.status] = (w.other4xx[a.status] ?? 0) + 1;
    }
  }
  const oks = load.attempts
    .filter((a) => a.status >= 200 && a.status < 300)
    .map((a) => a.answeredAt)
    .sort((a, b) => a - b);
  faults.forEach((f, i) => {
    const w = windows[i + 1];
    const ok = oks.find((t) => t >= f.endedAt);
    w.firstOkAfterMs = ok === undefined ? null : ok - f.endedAt;
    // The fault's own backlog: the cases received after the previous fault's end and before this one's.
    const drained = backlog.find((s) => s.at >= f.endedAt && s.boundaries > i && s.counts[i] === 0);
    w.drainedAfterMs = drained === undefined ? null : drained.at - f.endedAt;
  });
  return { windows, total };
}

/** Every 5xx a 503 sent while PostgreSQL was away (or within `graceMs` of its return). */
export function fiveHundredsCheck(load: ChaosLoad, faults: FaultEvent[], graceMs: number): Check {
  const outages = faults.filter((f) => f.kind === 'pg-outage');
  const bad = new Map<string, number>();
  let during = 0;
  for (const a of load.attempts) {
    if (a.status < 500) continue;
    const inOutage = outages.some((o) => a.sentAt >= o.startedAt && a.sentAt <= o.endedAt + graceMs);
    if (a.status === 503 && inOutage) during++;
    else {
      const key = `${a.status}${inOutage ? '' : ' outside the outage'}`;
      bad.set(key, (bad.get(key) ?? 0) + 1);
    }
  }
  const others = new Map<number, number>();
  for (const a of load.attempts) if (a.status >= 300 && a.status < 500) others.set(a.status, (others.get(a.status) ?? 0) + 1);
  const problems = [...bad].map(([k, n]) => `${n} x ${k}`).concat([...others].map(([s, n]) => `${n} x ${s}`));
  return {
    name: '5xx',
    ok: problems.length === 0,
    text: problems.length
      ? `PROBLEMS: ${problems.join(', ')} (and ${fmtInt(during)} x 503 during the outage)`
      : `every 5xx was a 503 sent during the PostgreSQL outage (${fmtInt(during)}, up to ${fmtMs(graceMs)} after its end allowed); no other error status`,
  };
}

/** Events: all accepted in the end, none lost, none stored twice, each 2xx naming the case stored under its externalId. */
export function intakeCheck(total: WindowFigures, storedWithout2xx: number): Check {
  const problems: string[] = [];
  if (total.lost) problems.push(`${total.lost} accepted event(s) lost`);
  if (total.duplicated) problems.push(`${total.duplicated} externalId(s) stored more than once`);
  if (total.gaveUp) problems.push(`${total.gaveUp} event(s) never accepted within the client's retry budget`);
  return {
    name: 'intake',
    ok: problems.length === 0,
    text:
      `${fmtInt(total.sent)} events sent, ${fmtInt(total.accepted)} accepted (after ${fmtInt(total.retries)} retries), each stored exactly once under its externalId` +
      (storedWithout2xx ? `; ${storedWithout2xx} stored without the client getting a 2xx` : '') +
      (problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''),
  };
}

const codes = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([code, n]) => `${fmtInt(n)} x ${code}`)
    .join(', ') || '0';
const secs = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);

/** The figures per fault as a fixed-width table. */
export function figuresTable(windows: WindowFigures[], total: WindowFigures): string[] {
  const head = [
    "window (from the fault's start)",
    'at',
    'sent',
    'accepted',
    'gave up',
    'lost',
    'dup',
    'retries',
    '5xx by code',
    'conn. errors',
    'first 2xx after end',
    'backlog drained',
  ];
  const rows = [...windows, total].map((w, i) => [
    w.label,
    i === windows.length ? '' : `${w.atS.toFixed(1)} s`,
    fmtInt(w.sent),
    fmtInt(w.accepted),
    fmtInt(w.gaveUp),
    fmtInt(w.lost),
    fmtInt(w.duplicated),
    fmtInt(w.retries),
    codes(w.byCode5xx),
    fmtInt(w.connectionErrors),
    i === 0 || i === windows.length ? '' : secs(w.firstOkAfterMs),
    i === 0 || i === windows.length ? '' : secs(w.drainedAfterMs),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}
