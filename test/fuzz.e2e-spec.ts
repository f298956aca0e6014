import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { showsNothing } from '@fr/domain';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import { isOfficerAction, OFFICER_ACTION_SPECS } from '../apps/api/src/cases/case-actions';

/**
 * Property-based fuzzing of intake and the officer endpoints (issue 10, point 5): hostile bodies, path
 * parameters and query strings never get a 5xx, and a refused request stores nothing.
 *
 * FR_FUZZ_RUNS is the total number of inputs, shared among the properties below (the CI default is
 * small; `FR_FUZZ_RUNS=10000` is the long run). FR_FUZZ_SEED fixes the generator (fast-check prints the
 * seed and path of a failure; FR_FUZZ_PATH replays that path), `FR_FUZZ_SEED=random` draws a new one.
 * These are the test's own knobs, not the application's configuration, hence read here.
 */
const TOTAL_RUNS = envInt('FR_FUZZ_RUNS', 1000);
const SEED = process.env.FR_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : envInt('FR_FUZZ_SEED', 20261210);
const PATH = process.env.FR_FUZZ_PATH || undefined;

/** Shares of the total, in percent; the rounding remainder goes to the first. */
const SHARES = {
  intakeJson: 38,
  intakeBytes: 10,
  trackingCode: 8,
  officerPatch: 10,
  officerCreate: 8,
  caseActions: 18,
  caseList: 8,
} as const;
type PropertyName = keyof typeof SHARES;
const RUNS = splitRuns(TOTAL_RUNS);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not '${raw}'`);
  return n;
}

function splitRuns(total: number): Record<PropertyName, number> {
  const names = Object.keys(SHARES) as PropertyName[];
  const runs = Object.fromEntries(names.map((n) => [n, Math.floor((total * SHARES[n]) / 100)])) as Record<PropertyName, number>;
  runs[names[0]] += total - names.reduce((sum, n) => sum + runs[n], 0);
  return runs;
}

// ---------------------------------------------------------------------------------------------------
// Values: the hostile pieces everything below is built from.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An object with these own keys, `__proto__` included (a literal or assignment would set the prototype). */
function ownObject(entries: [string, Json][]): { [key: string]: Json } {
  const o: { [key: string]: Json } = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
const METACHARACTERS = [
  `'; DROP TABLE cases; --`,
  `" OR 1=1 --`,
  `' OR ''='`,
  '$(reboot)',
  '`id`',
  '| cat /etc/passwd',
  '&& rm -rf / ;',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(1)>',
  '{{7*7}}',
  '${7*7}',
  '${jndi:ldap://x/a}',
  '%s%n%x%d',
  '../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '\\',
  '"',
  "'",
  '\\u0000',
  '%00',
  '%ZZ',
  '&#0;',
  '{"$gt":""}',
  'NaN',
  'null',
  'undefined',
  '[object Object]',
  '\r\nSet-Cookie: x=1',
  'a\u0000b',
];
const VIETNAMESE = [
  'Rác thải tồn đọng ba ngày ở đầu ngõ 18 Lê Thanh Nghị',
  'Nguyễn Thị Hương',
  'Đường Giải Phóng ngập sâu sau mưa',
  'Quán nước lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường',
  'Tiếng Việt có dấu: ả ã ạ ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự ỳ ỷ ỹ ỵ',
  'phường Bách Khoa, quận Hai Bà Trưng, Hà Nội',
];
/** Characters that trip parsers, databases and normalisation, one piece each. */
const ODD = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\u000b',
  '\u000c',
  '\u001b',
  '\u001f',
  '\u007f',
  '\t',
  '\n',
  '\r',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ud83d',
  'x\ude00',
  '\u{1f600}',
  '\u{10ffff}',
  '\u{e0001}',
  'e\u0301',
  'a\u0306\u0301',
  '\u0303\u0309\u0323',
  'Vie\u0323\u0302t',
  // NFC makes these longer (composition exclusions and decompositions): limits must count the stored form.
  '\ufb2c',
  '\u{1d15e}',
  '\u0958',
  '\u0344',
  '\u2adc',
  '\u1e9b\u0323',
  '\u0f73',
  'ǅ',
  'İ',
  'ß',
  'ﬃ',
  'K',
  'Å',
];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VIETNAMESE).chain((s) => fc.constantFrom(s, s.normalize('NFD'))) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD) },
  { weight: 2, arbitrary: fc.constantFrom(...METACHARACTERS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 }) },
);
const DEEP_MARK = 'DEEP-JSON:';
const HUGE_FILL = ['x', 'ă', 'a\u0306', '😀', '\ufb2c', '\u0000', ' ', '\ud800'];
/** Around and far beyond the field limits and the 256 kB body limit. */
const hugeString = fc
  .tuple(fc.constantFrom(5001, 10_001, 70_000, 262_144, 300_000), fc.constantFrom(...HUGE_FILL))
  .map(([n, fill]) => fill.repeat(Math.ceil(n / fill.length)));
/** Exactly at or one past a field limit, in characters that NFC changes or that take several code units. */
const boundaryString = fc
  .tuple(
    fc.constantFrom(20, 21, 40, 41, 64, 65, 100, 101, 200, 201, 254, 255, 256, 257, 500, 501, 2000, 2001, 5000, 5001),
    fc.constantFrom('a', 'ă', 'a\u0306', '\ufb2c', '\u{1d15e}', ' ', '9'),
  )
  .map(([n, fill]) => fill.repeat(n));
const hostileString = fc.oneof(
  { weight: 8, arbitrary: fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join('')) },
  { weight: 2, arbitrary: boundaryString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constant('') },
);
const hostileKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'priority',
      'DESCRIPTION',
      'description ',
      'category\u0000',
      '\ud800',
      '$gt',
      'a.b',
      'location.wardCode',
      '0',
      'length',
      '__proto__ ',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const scalar: fc.Arbitrary<Json> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, -1, 1, 1.5, 6, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 90.0000001, 180.5, -91) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 5, arbitrary: hostileString },
);
const hostileObject = fc.array(fc.tuple(hostileKey, scalar), { maxLength: 3 }).map(ownObject);
/**
 * Nested arrays or objects, below and far above the API's depth limit (16). Thousands of levels would
 * overflow JSON.stringify's stack inside the runner, so those travel as a marker that toJson expands.
 */
const deepValue = fc
  .tuple(fc.constantFrom(2, 15, 16, 17, 50, 1000, 10_000), fc.boolean(), fc.constantFrom('a', 'url', '__proto__', 'constructor'))
  .map(([depth, arrays, key]): Json => {
    if (depth > 100) return `${DEEP_MARK}${depth}:${arrays ? 'a' : 'o'}:${key}`;
    let v: Json = 'x';
    for (let i = 0; i < depth; i++) v = arrays ? [v] : ownObject([[key, v]]);
    return v;
  });
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 2, arbitrary: hostileObject },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
);

// ---------------------------------------------------------------------------------------------------
// Mutations: a valid body with one to three of its parts broken.

type Mutation =
  | { kind: 'set'; path: string[]; value: Json }
  | { kind: 'delete'; path: string[] }
  | { kind: 'addKey'; path: string[]; key: string; value: Json }
  | { kind: 'replace'; value: Json };

function mutation(fields: string[][], objects: string[][]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...fields), value: hostileValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...fields) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('addKey' as const), path: fc.constantFrom(...objects), key: hostileKey, value: hostileValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), value: hostileValue }) },
  );
}

/** Characters that NFC turns into two or three code points: a length checked before normalising is too small. */
const NFC_LONGER = ['\u0344', '\u0958', '\ufb2c', '\u{1d15e}'];
/**
 * A field filled to its limit (or one past) with plain, composed, decomposed or NFC-lengthened text: the
 * stored column must hold whatever validation let through.
 */
function atLimit(limits: [string[], number][]): fc.Arbitrary<Mutation> {
  return fc
    .tuple(fc.constantFrom(...limits), fc.constantFrom('a', 'ă', 'a\u0306', ...NFC_LONGER), fc.constantFrom(0, 1))
    .map(([[path, n], fill, extra]) => ({ kind: 'set', path, value: fill.repeat(Math.floor((n + extra) / fill.length)) }));
}

/** Mostly broken bodies; `intact` sets how often the valid body goes as it is (for state to move on). */
const mutations = (fields: string[][], objects: string[][], limits: [string[], number][] = [], intact = 4) =>
  fc.oneof(
    { weight: intact, arbitrary: fc.constant([] as Mutation[]) },
    { weight: 10, arbitrary: fc.array(mutation(fields, objects), { minLength: 1, maxLength: 3 }) },
    ...(limits.length ? [{ weight: 3, arbitrary: atLimit(limits).map((m) => [m]) }] : []),
  );

function applyMutations(valid: object, list: Mutation[]): Json {
  let body = JSON.parse(JSON.stringify(valid)) as Json;
  for (const m of list) {
    if (m.kind === 'replace') {
      body = m.value;
      continue;
    }
    const last = m.kind === 'addKey' ? m.key : m.path[m.path.length - 1];
    const trail = m.kind === 'addKey' ? m.path : m.path.slice(0, -1);
    let node: Json = body;
    for (let i = 0; i < trail.length && node !== null && typeof node === 'object'; i++) {
      const container = node as Record<string, Json>;
      if (!Object.prototype.hasOwnProperty.call(container, trail[i]) || container[trail[i]] === null || typeof container[trail[i]] !== 'object') {
        setOwn(container, trail[i], /^\d+$/.test(trail[i + 1] ?? '') ? [] : {});
      }
      node = container[trail[i]];
    }
    if (node === null || typeof node !== 'object') continue;
    if (m.kind === 'delete') delete (node as Record<string, Json>)[last];
    else setOwn(node as Record<string, Json>, last, m.value);
  }
  return body;
}

function setOwn(o: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON text (lone surrogates stay \u escapes: JSON.stringify writes them so since ES2019). */
const toJson = (v: Json) =>
  (JSON.stringify(v) ?? 'null').replace(/"DEEP-JSON:(\d+):([ao]):(\w+)"/g, (_m, depth: string, kind: string, key: string) => {
    const n = Number(depth);
    return kind === 'a' ? `${'['.repeat(n)}"x"${']'.repeat(n)}` : `${`{"${key}":`.repeat(n)}"x"${'}'.repeat(n)}`;
  });

// ---------------------------------------------------------------------------------------------------
// Paths and query strings.

const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
/** Percent-encodes as UTF-8; a lone surrogate becomes its (invalid) three-byte form instead of a URIError. */
function encodeSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)].map(hex).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}
/** A path segment or query value as sent on the wire: encoded hostile text, or raw malformed escapes and bytes. */
const hostileSegment = fc.oneof(
  { weight: 4, arbitrary: hostileString.filter((s) => s.length < 20_000).map(encodeSegment) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '%',
      '%2',
      '%zz',
      '%00',
      '%ED%A0%80',
      '%C0%AF',
      '%C0%80',
      '%FF',
      '%FE%FF',
      '%F4%90%80%80',
      '..',
      '.',
      '%2e%2e',
      '..%2F..%2Fhealth',
      '%2F',
      '%5C',
      '%25',
      'null',
      'undefined',
      '0',
      '-1',
      '1e309',
      'NaN',
      '%20',
      '+',
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
      '%7B00000000-0000-4000-8000-000000000000%7D',
      '00000000-0000-4000-8000-00000000000',
      '00000000000040008000000000000000',
      "'%20OR%201=1--",
      '%3Cscript%3E',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(1000, 8000, 15_000, 70_000).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 6 }) },
);

// ---------------------------------------------------------------------------------------------------
// Failure output: inputs can be 300 kB; fast-check prints them through this.

function labelled<T extends object>(value: T): T {
  return Object.defineProperty(value, fc.toStringMethod, {
    value: () => {
      const short = (t: string) => (t.length > 400 ? `${t.slice(0, 400)}…(${t.length} chars)` : t);
      const text = JSON.stringify(value, (_k, v: unknown) => {
        if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
          const bytes = Buffer.from((v as { data: number[] }).data);
          return isUtf8(bytes) ? short(bytes.toString('utf8')) : `<bytes ${bytes.toString('hex').slice(0, 600)}>`;
        }
        return typeof v === 'string' ? short(v) : v;
      });
      return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
    },
  });
}

function fail(what: string, res: Response, detail = ''): never {
  const body = JSON.stringify(res.body ?? res.text);
  throw new Error(`${what}: ${res.status} ${body.slice(0, 600)}${detail ? `\n${detail}` : ''}`);
}

/** The error contract (API.md): every refusal the API makes is `{ statusCode, error, message }`. */
function expectErrorShape(what: string, res: Response): void {
  if (!res.type.includes('json')) return; // Node's own 431/414 for oversized request lines carry no body
  const b = res.body as { statusCode?: unknown; error?: unknown; message?: unknown };
  if (b.statusCode !== res.status || typeof b.error !== 'string' || typeof b.message !== 'string') fail(`${what}: an error outside the contract`, res);
}

const nfcOrNull = (v: unknown) => (typeof v === 'string' && v !== '' ? v.normalize('NFC') : null);
/** An optional free text that shows nothing (blanks, zero-width characters, accents alone) is stored as absent. */
const shownOrNull = (v: unknown) => (typeof v === 'string' && !showsNothing(v) ? v.normalize('NFC') : null);

describe('fuzzing intake and the officer endpoints', () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  /** Cases routed to Phường Bách Khoa for the officers to act on. */
  const pool: { id: string; trackingCode: string }[] = [];
  const statuses: Record<string, Record<number, number>> = {};

  const count = (property: string, status: number) => {
    statuses[property] ??= {};
    statuses[property][status] = (statuses[property][status] ?? 0) + 1;
  };

  beforeAll(async () => {
    engine = await TestEngine.start({
      env: {
        FR_LOOKUP_LIMIT_PER_CHANNEL: '1000000',
        FR_LOGIN_LIMIT_PER_ACCOUNT_IP: '100000',
        FR_LOGIN_LIMIT_PER_ACCOUNT: '100000',
        FR_LOGIN_LIMIT_PER_IP: '100000',
      },
    });
    // One listening server for every request (supertest would otherwise open one per request).
    await engine.api.listen(0, '127.0.0.1');
    tokens.admin = await adminToken(engine);
    for (const [name, role, unitCode] of [
      ['fz.bk.handler', 'HANDLER', 'P_BACH_KHOA'],
      ['fz.bk.leader', 'LEADER', 'P_BACH_KHOA'],
      ['fz.bd.handler', 'HANDLER', 'P_BACH_DANG'],
      ['fz.bd.leader', 'LEADER', 'P_BACH_DANG'],
      ['fz.supervisor', 'SUPERVISOR', 'VP'],
      ['fz.target', 'HANDLER', 'P_BACH_MAI'],
    ] as const) {
      const o = await createOfficer(engine, tokens.admin, { username: name, role, unitCode });
      tokens[name] = o.token;
      ids[name] = o.id;
    }
    for (const [unit, handler, leader] of [
      ['P_BACH_KHOA', 'fz.bk.handler', 'fz.bk.leader'],
      ['P_BACH_DANG', 'fz.bd.handler', 'fz.bd.leader'],
    ]) {
      const res = await engine.http().put(`/v1/units/${unit}/designation`).set(bearer(tokens.admin)).send({ handlerId: ids[handler], leaderId: ids[leader] });
      if (res.status !== 200) fail(`designating ${unit}`, res);
    }
    for (let i = 0; i < 12; i++) {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set('X-Api-Key', DEV_KEYS.ihanoi)
        .send({ category: 'sanitation', description: `Rác thải tồn đọng ở ngõ ${i + 1} Lê Thanh Nghị`, location: { wardCode: 'BACH_KHOA' } });
      if (res.status !== 202) fail('a pool case', res);
      const { id, trackingCode } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
      pool.push({ id, trackingCode });
    }
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE id = ANY($1::uuid[]) AND status = 'assigned'`, [pool.map((c) => c.id)]),
      (r) => r[0].n === pool.length,
      { what: 'the pool cases to be routed' },
    );
    // From here on nothing writes in the background: every change is the request's own.
    await engine.stopWorker();
  });

  afterAll(async () => {
    if (process.env.FR_FUZZ_RUNS) {
      // The long run says what it tried; CI stays quiet.
      console.log(`fuzz: seed ${SEED}, ${TOTAL_RUNS} inputs ${JSON.stringify(RUNS)}\nstatuses ${JSON.stringify(statuses)}`);
    }
    await engine?.close();
  });

  interface Snapshot {
    cases: number;
    audit: number;
    outbox: number;
    messages: number;
    assignments: number;
    pauses: number;
    stateLog: number;
    officers: string;
    poolRows: string;
  }
  /** Everything a request could store or change, in one statement. */
  const snapshot = async (): Promise<Snapshot> =>
    (
      await engine.query<Snapshot>(
        `SELECT (SELECT count(*) FROM cases)::int AS cases, (SELECT count(*) FROM audit_events)::int AS audit,
                (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM case_messages)::int AS messages,
                (SELECT count(*) FROM assignments)::int AS assignments, (SELECT count(*) FROM case_pauses)::int AS pauses,
                (SELECT count(*) FROM case_state_log)::int AS "stateLog",
                (SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM officers o) AS officers,
                (SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM cases c WHERE c.id = ANY($1::uuid[])) AS "poolRows"`,
        [pool.map((c) => c.id)],
      )
    )[0];

  function expectUnchanged(what: string, res: Response, before: Snapshot, after: Snapshot): void {
    const changed = (Object.keys(before) as (keyof Snapshot)[]).filter((k) => before[k] !== after[k]);
    if (changed.length) fail(`${what} was refused but changed ${changed.map((k) => `${k} (${before[k]} -> ${after[k]})`).join(', ')}`, res);
  }

  const fuzz = <T>(name: PropertyName, arb: fc.Arbitrary<T>, predicate: (input: T) => Promise<void>) =>
    it(
      `${name}: ${RUNS[name]} inputs`,
      async () => {
        await fc.assert(fc.asyncProperty(arb, predicate), { numRuns: RUNS[name], seed: SEED, path: PATH, endOnFailure: !!PATH });
      },
      30_000 + RUNS[name] * 300,
    );

  // -------------------------------------------------------------------------------------------------
  // 1. POST /v1/feedback

  const validFeedback = fc.record({
    externalId: fc.option(
      fc.oneof(
        fc.uuid().map((u) => `fz-${u}`),
        fc.constantFrom(...VIETNAMESE),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      ),
      { nil: undefined },
    ),
    category: fc.constantFrom('sanitation', 'sidewalk_encroachment', 'roads_lighting', 'public_order', 'other'),
    title: fc.option(fc.oneof(fc.constantFrom(...VIETNAMESE), fc.string({ unit: 'grapheme', maxLength: 60 })), { nil: undefined }),
    description: fc
      .tuple(
        fc.constantFrom(...VIETNAMESE),
        fc.array(
          fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(...VIETNAMESE) },
            { weight: 3, arbitrary: fc.constantFrom(...METACHARACTERS) },
            { weight: 1, arbitrary: fc.constantFrom(...ODD) },
          ),
          { maxLength: 3 },
        ),
      )
      .chain(([head, rest]) => fc.constantFrom(head, head.normalize('NFD')).map((h) => [h, ...rest].join(' '))),
    location: fc.record({
      address: fc.option(fc.constantFrom(...VIETNAMESE), { nil: undefined }),
      wardCode: fc.option(fc.constantFrom('BACH_KHOA', 'BACH_MAI', 'MINH_KHAI', 'NO_SUCH_WARD'), { nil: undefined }),
      // Degrees with six decimals: class-validator reads 1e-7 as text and refuses it.
      lat: fc.option(
        fc.integer({ min: -90e6, max: 90e6 }).map((n) => n / 1e6),
        { nil: undefined },
      ),
      lng: fc.option(
        fc.integer({ min: -180e6, max: 180e6 }).map((n) => n / 1e6),
        { nil: undefined },
      ),
    }),
    citizen: fc.option(
      fc.record({
        name: fc.option(fc.constantFrom(...VIETNAMESE), { nil: undefined }),
        phone: fc.option(fc.constantFrom('0912345678', '+84 987 654 321', '(024) 3825.1234'), { nil: undefined }),
        email: fc.option(
          fc.oneof({ weight: 3, arbitrary: fc.constantFrom('hoa.le@example.vn', 'an+1@mail.hanoi.gov.vn') }, { weight: 1, arbitrary: fc.emailAddress() }),
          { nil: undefined },
        ),
      }),
      { nil: undefined },
    ),
    attachments: fc.option(fc.array(fc.record({ url: fc.webUrl(), kind: fc.constantFrom('image', 'video', 'document', 'other') }), { maxLength: 3 }), {
      nil: undefined,
    }),
    submittedAt: fc.option(
      // Up to now: a time later than the receipt's is refused (test/intake-input.e2e-spec.ts).
      fc.date({ min: new Date('2000-01-01'), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString()),
      { nil: undefined },
    ),
  });
  const FEEDBACK_FIELDS = [
    ['externalId'],
    ['category'],
    ['title'],
    ['description'],
    ['location'],
    ['location', 'address'],
    ['location', 'wardCode'],
    ['location', 'lat'],
    ['location', 'lng'],
    ['citizen'],
    ['citizen', 'name'],
    ['citizen', 'phone'],
    ['citizen', 'email'],
    ['attachments'],
    ['attachments', '0'],
    ['attachments', '0', 'url'],
    ['attachments', '0', 'kind'],
    ['submittedAt'],
  ];
  const FEEDBACK_OBJECTS = [[], ['location'], ['citizen'], ['attachments', '0'], ['location', 'address']];
  const FEEDBACK_LIMITS: [string[], number][] = [
    [['externalId'], 100],
    [['title'], 200],
    [['description'], 5000],
    [['location', 'address'], 500],
    [['citizen', 'name'], 200],
  ];
  /** An e-mail address whose local part and domain NFC makes longer (isEmail counts UTF-8 bytes: 64 and 254). */
  const nfcLongerEmail = fc.constantFrom(...NFC_LONGER.slice(0, 2)).map((c) => `${c.repeat(20)}@${`${c.repeat(60)}.`.repeat(2)}vn`);
  const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/problem+json'];

  interface IntakeInput {
    bytes: Buffer;
    contentType: string;
  }

  const jsonIntake: fc.Arbitrary<IntakeInput> = fc
    .record({
      valid: validFeedback,
      mutations: fc.oneof(
        { weight: 20, arbitrary: mutations(FEEDBACK_FIELDS, FEEDBACK_OBJECTS, FEEDBACK_LIMITS) },
        { weight: 1, arbitrary: nfcLongerEmail.map((value): Mutation[] => [{ kind: 'set', path: ['citizen', 'email'], value }]) },
      ),
      contentType: fc.constantFrom(...CONTENT_TYPES),
    })
    .map(({ valid, mutations: list, contentType }) => labelled({ bytes: Buffer.from(toJson(applyMutations(valid, list)), 'utf8'), contentType }));

  const INVALID_UTF8 = [
    [0xff],
    [0xfe],
    [0xc0, 0x80],
    [0xc1, 0xbf],
    [0xe0, 0x80, 0x80],
    [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0x80],
    [0xbf],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0x98],
    [0xc3],
    [0xc3, 0x28],
    [0xe1, 0x80, 0x41],
  ];
  const MARK = 'FUZZ-BYTES-HERE';
  const byteIntake: fc.Arbitrary<IntakeInput> = fc
    .oneof(
      {
        weight: 6,
        arbitrary: fc
          .record({
            valid: validFeedback,
            field: fc.constantFrom('externalId', 'description', 'title', 'category'),
            bad: fc.array(fc.constantFrom(...INVALID_UTF8), { minLength: 1, maxLength: 3 }),
            anywhere: fc.option(fc.nat(), { nil: undefined }),
            contentType: fc.constantFrom(...CONTENT_TYPES, 'application/json; charset=utf-16le', 'application/json; charset=latin1'),
          })
          .map(({ valid, field, bad, anywhere, contentType }) => {
            const text = toJson({ ...valid, [field]: `${(valid as Record<string, unknown>)[field] ?? 'x'}${MARK}` } as Json);
            const [head, tail] = text.split(MARK);
            const badBytes = Buffer.from(bad.flat());
            let bytes = Buffer.concat([Buffer.from(head), badBytes, Buffer.from(tail)]);
            if (anywhere !== undefined) {
              // Somewhere else too: between tokens, inside a key, at either end.
              const at = anywhere % (bytes.length + 1);
              bytes = Buffer.concat([bytes.subarray(0, at), badBytes, bytes.subarray(at)]);
            }
            return { bytes, contentType };
          }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ bytes: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), contentType: fc.constantFrom(...CONTENT_TYPES) }),
      },
    )
    .map(labelled);

  /** What the API would read from the body, if it is JSON at all. */
  function parsedBody(input: IntakeInput): Record<string, unknown> | null {
    const charset = /charset=([\w-]+)/i.exec(input.contentType)?.[1]?.toLowerCase() ?? 'utf-8';
    try {
      return JSON.parse(new TextDecoder(charset).decode(input.bytes)) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  async function submitAndCheck(property: PropertyName, input: IntakeInput): Promise<Response> {
    const before = await snapshot();
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set('X-Api-Key', DEV_KEYS.ihanoi)
      .set('Content-Type', input.contentType)
      .serialize((b: Buffer) => b as unknown as string)
      .send(input.bytes as unknown as string);
    count(property, res.status);
    if (res.status >= 500) fail('POST /v1/feedback answered a server error', res);
    const after = await snapshot();
    if (res.status >= 300) {
      expectErrorShape('POST /v1/feedback', res);
      expectUnchanged('POST /v1/feedback', res, before, after);
      return res;
    }
    const body = parsedBody(input);
    if (!body) fail('POST /v1/feedback accepted a body that is not JSON', res);
    const [row] = await engine.query<Record<string, unknown>>(
      `SELECT external_id, title, description, address, ward_code, lat, lng, citizen_name, citizen_phone, citizen_email FROM cases WHERE id = $1`,
      [(res.body as ApiSchema<'FeedbackAcceptedDto'>).id],
    );
    if (!row) fail('POST /v1/feedback answered 2xx for a case that is not stored', res);
    if (res.status === 200) {
      // The same externalId again: the earlier case, nothing new.
      expectUnchanged('POST /v1/feedback (a repeat)', res, before, after);
      if (row.external_id !== nfcOrNull(body.externalId))
        fail(`a repeat of externalId ${JSON.stringify(body.externalId)} was matched to ${JSON.stringify(row.external_id)}`, res);
      return res;
    }
    if (res.status !== 202) fail('POST /v1/feedback answered an unexpected success', res);
    const grew = { cases: after.cases - before.cases, audit: after.audit - before.audit, outbox: after.outbox - before.outbox };
    if (grew.cases !== 1 || grew.audit !== 1 || grew.outbox !== 1) fail(`an accepted case was not stored exactly once: ${JSON.stringify(grew)}`, res);
    const location = (body.location ?? {}) as Record<string, unknown>;
    const citizen = (body.citizen ?? {}) as Record<string, unknown>;
    const expected = {
      external_id: nfcOrNull(body.externalId),
      title: nfcOrNull(body.title),
      description: (body.description as string).normalize('NFC'),
      address: shownOrNull(location.address),
      ward_code: nfcOrNull(location.wardCode),
      lat: location.lat ?? null,
      lng: location.lng ?? null,
      citizen_name: shownOrNull(citizen.name),
      citizen_phone: nfcOrNull(citizen.phone),
      citizen_email: nfcOrNull(citizen.email),
    };
    const differs = Object.keys(expected).filter((k) => !Object.is(row[k], expected[k as keyof typeof expected]));
    if (differs.length) {
      fail(
        'the stored case is not the NFC form of what was sent',
        res,
        differs.map((k) => `${k}: stored ${JSON.stringify(row[k])}, sent ${JSON.stringify(expected[k as keyof typeof expected])}`).join('\n'),
      );
    }
    return res;
  }

  fuzz('intakeJson', jsonIntake, async (input) => {
    await submitAndCheck('intakeJson', input);
  });

  fuzz('intakeBytes', byteIntake, async (input) => {
    const res = await submitAndCheck('intakeBytes', input);
    const utf8 = !/charset=/i.test(input.contentType) || /charset=utf-8/i.test(input.contentType);
    if (utf8 && !isUtf8(input.bytes) && res.status < 300) fail('a body with invalid UTF-8 was accepted', res);
  });

  // -------------------------------------------------------------------------------------------------
  // 3. GET /v1/feedback/{trackingCode}

  const trackingCode = fc
    .oneof(
      {
        weight: 2,
        arbitrary: fc.record({
          pool: fc.nat(),
          variant: fc.constantFrom('exact', 'lower', 'nodash', 'spaces', 'lookalike'),
          key: fc.constant('ihanoi' as const),
        }),
      },
      { weight: 1, arbitrary: fc.record({ pool: fc.nat(), variant: fc.constant('exact'), key: fc.constant('hotline' as const) }) },
      { weight: 5, arbitrary: fc.record({ segment: hostileSegment, key: fc.constantFrom('ihanoi' as const, 'hotline' as const) }) },
    )
    .map(labelled);

  fuzz('trackingCode', trackingCode, async (input) => {
    let segment: string;
    let found = false;
    if ('segment' in input) segment = input.segment;
    else {
      const code = pool[input.pool % pool.length].trackingCode;
      const variants: Record<string, string> = {
        exact: code,
        lower: code.toLowerCase(),
        nodash: code.replace('-', ''),
        spaces: encodeSegment(` ${code.slice(0, 5)} ${code.slice(6)} `),
        lookalike: code.replace(/0/g, 'O').replace(/1/g, 'l'),
      };
      segment = variants[input.variant];
      found = input.key === 'ihanoi';
    }
    const before = await snapshot();
    const res = await engine.http().get(`/v1/feedback/${segment}`).set('X-Api-Key', DEV_KEYS[input.key]);
    count('trackingCode', res.status);
    if (res.status >= 500) fail(`GET /v1/feedback/${segment.slice(0, 200)} answered a server error`, res);
    if (found && res.status !== 200) fail(`GET /v1/feedback/${segment} did not find a case of the channel`, res);
    if (!found && res.status === 200 && 'segment' in input) fail(`GET /v1/feedback/${segment.slice(0, 200)} found a case`, res);
    if (res.status >= 300) expectErrorShape('GET /v1/feedback/{code}', res);
    expectUnchanged('GET /v1/feedback/{code}', res, before, await snapshot());
  });

  // -------------------------------------------------------------------------------------------------
  // 2. Officer endpoints: PATCH /v1/officers/{id}, POST /v1/officers

  const UNIT_CODES = ['P_BACH_MAI', 'P_CAU_DEN', 'P_BACH_KHOA', 'VP', 'NO_SUCH_UNIT'];
  const ROLES = ['ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER', 'AUDITOR', 'CITIZEN', 'SYSTEM'];
  const officerName = fc.oneof(
    fc.constantFrom(...VIETNAMESE),
    fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join('')),
  );
  const validPatch = fc.record({
    fullName: fc.option(officerName, { nil: undefined }),
    role: fc.option(fc.constantFrom(...ROLES), { nil: undefined, freq: 3 }),
    unitCode: fc.option(fc.constantFrom(...UNIT_CODES), { nil: undefined, freq: 3 }),
    // Every accepted password costs an argon2 hash: rare.
    password: fc.option(fc.constantFrom('Mat-khau-moi-2026!', 'short'), { nil: undefined, freq: 12 }),
    active: fc.option(fc.boolean(), { nil: undefined, freq: 3 }),
  });
  const PATCH_FIELDS = [['fullName'], ['role'], ['unitCode'], ['password'], ['active']];
  const officerId = fc.oneof(
    { weight: 5, arbitrary: fc.constant({ target: true as const }) },
    { weight: 1, arbitrary: fc.uuid().map((id) => ({ segment: id })) },
    { weight: 3, arbitrary: hostileSegment.map((segment) => ({ segment })) },
  );

  fuzz(
    'officerPatch',
    fc.record({ id: officerId, valid: validPatch, mutations: mutations(PATCH_FIELDS, [[]]) }).map(labelled),
    async ({ id, valid, mutations: list }) => {
      const body = applyMutations(valid, list);
      const segment = 'target' in id ? ids['fz.target'] : id.segment;
      const before = await snapshot();
      const res = await engine.http().patch(`/v1/officers/${segment}`).set(bearer(tokens.admin)).set('Content-Type', 'application/json').send(toJson(body));
      count('officerPatch', res.status);
      if (res.status >= 500) fail(`PATCH /v1/officers/${segment.slice(0, 200)} answered a server error`, res);
      const after = await snapshot();
      if (res.status >= 300) {
        expectErrorShape('PATCH /v1/officers/{id}', res);
        expectUnchanged('PATCH /v1/officers/{id}', res, before, after);
        return;
      }
      if (!('target' in id)) fail(`PATCH /v1/officers/${segment.slice(0, 200)} changed an officer that does not exist`, res);
      const fullName = (body as Record<string, unknown>).fullName;
      const [row] = await engine.query<{ full_name: string }>(`SELECT full_name FROM officers WHERE id = $1`, [ids['fz.target']]);
      if (typeof fullName === 'string' && row.full_name !== fullName.normalize('NFC').trim()) fail(`fullName stored as ${JSON.stringify(row.full_name)}`, res);
    },
  );

  const validOfficer = fc.record({
    username: fc.uuid().map((u) => `fz.${u.slice(0, 8)}${u.slice(24)}`),
    password: fc.constant('Mat-khau-2026!'),
    fullName: officerName,
    role: fc.constantFrom(...ROLES),
    unitCode: fc.constantFrom(...UNIT_CODES),
  });
  const CREATE_FIELDS = [['username'], ['password'], ['fullName'], ['role'], ['unitCode']];

  fuzz(
    'officerCreate',
    fc.record({ valid: validOfficer, mutations: fc.array(mutation(CREATE_FIELDS, [[]]), { minLength: 0, maxLength: 3 }) }).map(labelled),
    async ({ valid, mutations: list }) => {
      const body = applyMutations(valid, list);
      const before = await snapshot();
      const res = await engine.http().post('/v1/officers').set(bearer(tokens.admin)).set('Content-Type', 'application/json').send(toJson(body));
      count('officerCreate', res.status);
      if (res.status >= 500) fail('POST /v1/officers answered a server error', res);
      const after = await snapshot();
      if (res.status >= 300) {
        expectErrorShape('POST /v1/officers', res);
        expectUnchanged('POST /v1/officers', res, before, after);
        return;
      }
      if (after.audit !== before.audit + 1) fail('an officer was created without exactly one audit event', res);
      const [row] = await engine.query<{ full_name: string }>(`SELECT full_name FROM officers WHERE id = $1`, [(res.body as ApiSchema<'OfficerDto'>).id]);
      const fullName = (body as Record<string, unknown>).fullName as string;
      if (row?.full_name !== fullName.normalize('NFC').trim()) fail(`fullName stored as ${JSON.stringify(row?.full_name)}`, res);
    },
  );

  // -------------------------------------------------------------------------------------------------
  // 2. POST /v1/cases/{id}/{action}

  const ACTIONS = ['acknowledge', 'request-info', 'transfer', 'return', 'assign', 'resolve', 'extend', 'reopen', 'close', 'note'];
  const text = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...VIETNAMESE) }, { weight: 1, arbitrary: hostileString });
  const validAction = fc.record({
    severity: fc.option(fc.constantFrom('normal', 'urgent', 'complex'), { nil: undefined }),
    message: fc.option(text, { nil: undefined }),
    unitCode: fc.option(fc.constantFrom('P_BACH_KHOA', 'P_BACH_DANG', 'P_BACH_MAI', 'VP', 'NO_SUCH_UNIT'), { nil: undefined }),
    reason: fc.option(text, { nil: undefined }),
    answer: fc.option(text, { nil: undefined }),
    attachments: fc.option(
      fc.array(
        fc.record({ url: fc.constantFrom('https://cdn.ihanoi.vn/p/abc.jpg', 'http://example.vn/a?b=c&d=%C3%A1'), kind: fc.constantFrom('image', 'document') }),
        { maxLength: 2 },
      ),
      {
        nil: undefined,
        freq: 4,
      },
    ),
    until: fc.option(
      fc
        .oneof(
          fc.date({ min: new Date(), max: new Date(Date.now() + 90 * 86_400_000), noInvalidDate: true }),
          fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        )
        .map((d) => d.toISOString()),
      { nil: undefined },
    ),
    text: fc.option(text, { nil: undefined }),
  });
  const ACTION_FIELDS = [
    ['expectedVersion'],
    ['severity'],
    ['message'],
    ['unitCode'],
    ['reason'],
    ['answer'],
    ['attachments'],
    ['attachments', '0', 'url'],
    ['until'],
    ['text'],
  ];
  const actor = fc.oneof(
    { weight: 4, arbitrary: fc.constant('fz.bk.leader') },
    { weight: 3, arbitrary: fc.constant('fz.supervisor') },
    { weight: 2, arbitrary: fc.constant('fz.bk.handler') },
    { weight: 1, arbitrary: fc.constant('fz.bd.leader') },
  );
  const caseRef = fc.oneof(
    { weight: 9, arbitrary: fc.nat().map((pool) => ({ pool })) },
    { weight: 2, arbitrary: hostileSegment.map((segment) => ({ segment })) },
  );
  /**
   * Half the time an action the case's current state allows (picked when the request is made), so cases
   * move through their states; `close` and `request-info` are left to chance, or the pool would end
   * closed or waiting on citizens.
   */
  const ALLOWED_NOW: Record<string, string[]> = {
    assigned: ['acknowledge', 'acknowledge', 'transfer', 'return', 'extend', 'note'],
    in_progress: ['resolve', 'resolve', 'transfer', 'return', 'extend', 'note'],
    awaiting_info: ['extend', 'note'],
    resolved: ['reopen', 'note'],
    triage: ['assign'],
    closed: ['note'],
  };
  const actionName = fc.oneof(
    { weight: 24, arbitrary: fc.nat().map((allowed) => ({ allowed })) },
    { weight: 1, arbitrary: fc.constantFrom('close') },
    { weight: 20, arbitrary: fc.constantFrom(...ACTIONS.filter((a) => a !== 'close')) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'rate',
        'route',
        'route_to_triage',
        'supply-info',
        'ACKNOWLEDGE',
        'note%00',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        '',
      ),
    },
    { weight: 1, arbitrary: hostileSegment },
  );
  const version = fc.oneof(
    { weight: 6, arbitrary: fc.constant('current' as const) },
    { weight: 1, arbitrary: fc.constant('stale' as const) },
    { weight: 1, arbitrary: fc.constant('absent' as const) },
  );

  fuzz(
    'caseActions',
    fc.record({ actor, caseRef, action: actionName, version, valid: validAction, mutations: mutations(ACTION_FIELDS, [[]], [], 10) }).map(labelled),
    async (input) => {
      const caseId = 'pool' in input.caseRef ? pool[input.caseRef.pool % pool.length].id : null;
      const segment = 'segment' in input.caseRef ? input.caseRef.segment : caseId!;
      const [current] = caseId
        ? await engine.query<{ version: number; status: string }>(`SELECT version, status FROM cases WHERE id = $1`, [caseId])
        : [{ version: 1, status: 'assigned' }];
      const allowed = ALLOWED_NOW[current.status];
      const action = typeof input.action === 'string' ? input.action : allowed[input.action.allowed % allowed.length];
      const expectedVersion = input.version === 'current' ? current.version : input.version === 'stale' ? current.version - 1 : undefined;
      // A valid body carries the action's own fields only (another is refused); the mutations add others.
      const own: readonly string[] | undefined = isOfficerAction(action) ? OFFICER_ACTION_SPECS[action].fields : undefined;
      const valid = own ? Object.fromEntries(Object.entries(input.valid).filter(([k]) => own.includes(k))) : input.valid;
      const body = applyMutations({ expectedVersion, ...valid }, input.mutations);
      const before = await snapshot();
      const path = `/v1/cases/${segment}/${action}`;
      const res = await engine.http().post(path).set(bearer(tokens[input.actor])).set('Content-Type', 'application/json').send(toJson(body));
      count('caseActions', res.status);
      if (res.status >= 500) fail(`POST ${path.slice(0, 200)} as ${input.actor} answered a server error`, res, toJson(body).slice(0, 600));
      const after = await snapshot();
      if (res.status >= 300) {
        expectErrorShape('POST /v1/cases/{id}/{action}', res);
        expectUnchanged(`POST ${path.slice(0, 200)}`, res, before, after);
        return;
      }
      if (!caseId) fail(`POST ${path.slice(0, 200)} acted on a case that is not one`, res);
      if (after.audit !== before.audit + 1) fail(`POST ${path} wrote ${after.audit - before.audit} audit events, not one`, res);
      const [now] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [caseId]);
      const bump = action === 'note' ? 0 : 1;
      if (now.version !== current.version + bump) fail(`POST ${path} moved the version from ${current.version} to ${now.version}`, res);
    },
  );

  // -------------------------------------------------------------------------------------------------
  // 2. GET /v1/cases with hostile query strings

  const cursorDue = fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.date({ min: new Date('2000-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(
      '0000-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      'infinity',
      '-infinity',
      'Infinity',
      'epoch',
      'now',
      'today',
      'allballs',
      '2026-13-01T00:00:00.000Z',
      '2026-02-30T00:00:00.000Z',
    ),
    hostileString,
  );
  const cursorId = fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.constantFrom('00000000-0000-0000-0000-000000000000', 'x', ''),
    hostileString,
  );
  const cursor = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(cursorDue, cursorId).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')) },
    { weight: 1, arbitrary: hostileValue.map((v) => Buffer.from(toJson(v)).toString('base64url')) },
    { weight: 1, arbitrary: hostileSegment },
  );
  const QUERY_KEYS = ['status', 'unit', 'assignee', 'overdue', 'dueBefore', 'cursor', 'limit'];
  const queryValue = (key: string) =>
    key === 'cursor'
      ? cursor
      : fc.oneof(
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              ...(
                {
                  status: ['received', 'assigned,in_progress', 'closed,,', 'ASSIGNED', 'assigned,nope', ''],
                  unit: ['P_BACH_KHOA', 'p_bach_khoa', 'NO_SUCH_UNIT'],
                  assignee: ['me', 'ME', 'someone'],
                  overdue: ['true', 'false', '1', 'yes'],
                  dueBefore: ['2026-12-31T00:00:00Z', '2026-W01-1', '9999-12-31T23:59:59Z', '0000-01-01'],
                  limit: ['1', '100', '101', '0', '-1', '1e2', '0x10', '1.5', 'NaN', 'Infinity', '99999999999999999999', ' 5'],
                }[key] ?? ['x']
              ).map(encodeSegment),
            ),
          },
          { weight: 1, arbitrary: hostileSegment },
        );
  const queryPair = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...QUERY_KEYS).chain((key) => queryValue(key).map((value) => `${key}=${value}`)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.oneof(hostileKey.map(encodeSegment), fc.constantFrom('status[]', 'limit[a]', 'cursor[0]', '__proto__[x]', 'a[b][c]')), hostileSegment)
        .map(([k, v]) => `${k}=${v}`),
    },
    { weight: 1, arbitrary: hostileSegment },
  );

  fuzz('caseList', fc.record({ actor, query: fc.array(queryPair, { minLength: 1, maxLength: 4 }) }).map(labelled), async ({ actor: who, query }) => {
    const path = `/v1/cases?${query.join('&')}`;
    const before = await snapshot();
    const res = await engine.http().get(path).set(bearer(tokens[who]));
    count('caseList', res.status);
    if (res.status >= 500) fail(`GET ${path.slice(0, 300)} answered a server error`, res);
    if (res.status >= 300) expectErrorShape('GET /v1/cases', res);
    else {
      // The shape is what this checks: the page is read as unknown, not as its schema.
      const { items } = res.body as { items?: unknown };
      if (!Array.isArray(items) || items.length > 100) fail(`GET ${path.slice(0, 300)} answered a malformed page`, res);
    }
    expectUnchanged(`GET ${path.slice(0, 300)}`, res, before, await snapshot());
  });

  it('tried accepted and refused input of each kind (the generators are not degenerate)', () => {
    if (TOTAL_RUNS < 300) return;
    const ok = (p: string) => Object.entries(statuses[p] ?? {}).some(([s]) => Number(s) < 300);
    const refused = (p: string) => Object.entries(statuses[p] ?? {}).some(([s]) => Number(s) >= 400);
    for (const p of ['intakeJson', 'trackingCode', 'officerPatch', 'officerCreate', 'caseActions', 'caseList']) {
      expect({ p, accepted: ok(p), refused: refused(p) }).toEqual({ p, accepted: true, refused: true });
    }
  });
});
