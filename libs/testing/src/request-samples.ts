import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { asArray, asJson, asObject, isJsonObject, Json, jsonAt, JsonObject } from '@fr/domain';

/**
 * Requests derived from an OpenAPI document's own schemas, as property-testing tools (Schemathesis) and
 * validating proxies (Prism) read it: for each parameter and body field, values at the edges of what
 * the schema allows and one value past each of its constraints. Whether a request is valid is not
 * what the generator meant but what the document says: RequestOracle judges it with the same JSON
 * Schema validator (Ajv) and formats those tools use.
 */

/** Where a variant changes the request: a parameter, or a place in the JSON body (keys and indexes). */
export type Place = { in: 'path' | 'query' | 'header'; name: string } | { in: 'body'; path: (string | number)[] };

/** The variant leaves the parameter or field out. */
export const OMIT = Symbol('omit');
export type Value = Json | typeof OMIT;

export interface Variant {
  place: Place;
  /** What the generator meant, for the failure message. */
  label: string;
  value: Value;
}

/** A small deterministic generator (mulberry32): the same seed gives the same requests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` of `items`, drawn without replacement by `random`; all of them when there are fewer. */
export function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

const SCHEMAS_ID = 'https://request-samples.invalid/openapi.json';
const REF_PREFIX = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonObject;
  /** style form, explode false: an array is one comma-separated value. */
  commaSeparated: boolean;
}

export interface Operation {
  method: string;
  template: string;
  key: string;
  parameters: Parameter[];
  /** The JSON body's schema, when the operation takes one. */
  body?: JsonObject;
  bodyRequired: boolean;
  roles: string[];
  security: string[];
  /** The operation and every schema it refers to, as text: what a reader of the document has in front of them. */
  text: string;
}

/** A request as the variants build it: parameters as written on the wire, the body as JSON. */
export interface SampleRequest {
  path: Record<string, string>;
  query: Record<string, string>;
  /** Header parameters the document describes (credentials are the fixture's), by the document's name. */
  headers?: Record<string, string>;
  body?: Json;
}

/** Where a parameter of `place` is written in a request: its path, its query or its headers. */
export function parametersIn(req: SampleRequest, place: Parameter['in']): Record<string, string> {
  switch (place) {
    case 'path':
      return req.path;
    case 'query':
      return req.query;
    case 'header':
      return (req.headers ??= {});
  }
}

/** The parameter's value as the request writes it, or undefined when it is left out. */
export function parameterOf(req: SampleRequest, p: Pick<Parameter, 'in' | 'name'>): string | undefined {
  return parametersIn(req, p.in)[p.name];
}

/** The document's operations and its verdict on a request, with Ajv as Prism and Schemathesis run it. */
export class RequestOracle {
  readonly operations = new Map<string, Operation>();
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  readonly schemas: JsonObject;

  constructor(document: object) {
    const doc = asJson(document);
    this.schemas = asObject(jsonAt(doc, 'components', 'schemas')) ?? {};
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('password', true);
    this.ajv.addSchema({ $id: SCHEMAS_ID, components: { schemas: this.schemas } });
    for (const [template, item] of Object.entries(asObject(doc.paths) ?? {})) {
      for (const method of METHODS) {
        const op = asObject(jsonAt(item, method));
        if (!op) continue;
        const parameters = (asArray(op.parameters) ?? []).map(asObject).flatMap((p): Parameter[] =>
          p && (p.in === 'path' || p.in === 'query' || p.in === 'header')
            ? [
                {
                  name: String(p.name),
                  in: p.in,
                  required: p.required === true,
                  schema: asObject(p.schema) ?? {},
                  commaSeparated: p.explode === false,
                },
              ]
            : [],
        );
        const body = asObject(jsonAt(op, 'requestBody', 'content', 'application/json', 'schema'));
        const key = `${method.toUpperCase()} ${template}`;
        this.operations.set(key, {
          method,
          template,
          key,
          parameters,
          body,
          bodyRequired: jsonAt(op, 'requestBody', 'required') !== false,
          roles: (asArray(op['x-roles']) ?? []).map(String),
          security: (asArray(op.security) ?? []).flatMap((s) => Object.keys(asObject(s) ?? {})),
          text: this.withReferences(op),
        });
      }
    }
  }

  private withReferences(op: JsonObject): string {
    const seen = new Set<string>();
    const texts = [JSON.stringify(op)];
    for (let i = 0; i < texts.length; i++) {
      for (const m of texts[i].matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
        if (seen.has(m[1])) continue;
        seen.add(m[1]);
        texts.push(JSON.stringify(this.schemas[m[1]] ?? {}));
      }
    }
    return texts.join('\n');
  }

  /** A schema of the document with its references resolved. */
  resolve(schema: Json | undefined): JsonObject {
    let s = asObject(schema) ?? {};
    for (let i = 0; i < 20 && typeof s.$ref === 'string' && s.$ref.startsWith(REF_PREFIX); i++)
      s = asObject(this.schemas[s.$ref.slice(REF_PREFIX.length)]) ?? {};
    return s;
  }

  /** What the document finds wrong with the request, or nothing. */
  problems(op: Operation, req: SampleRequest): string[] {
    const out: string[] = [];
    for (const p of op.parameters) {
      const raw = parameterOf(req, p);
      if (raw === undefined) {
        if (p.required) out.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      const value = this.fromWire(p, raw);
      const validate = this.validator(`${op.key} ${p.in} ${p.name}`, p.schema);
      if (!validate(value)) out.push(...describe(validate, `${p.in} ${p.name}`));
    }
    if (op.body && req.body !== undefined) {
      const validate = this.validator(`${op.key} body`, op.body);
      if (!validate(req.body)) out.push(...describe(validate, 'body'));
    } else if (op.body && op.bodyRequired && req.body === undefined) out.push('the body is required');
    return out;
  }

  /** A parameter as a validating proxy reads it from the URL: numbers and booleans coerced, a comma list split. */
  private fromWire(p: Parameter, raw: string): Json {
    const s = this.resolve(p.schema);
    if (typeOf(s) === 'array') {
      const items = this.resolve(s.items);
      // style form, explode false writes an empty array as `name=` (OpenAPI's style examples).
      if (p.commaSeparated && raw === '') return [];
      return (p.commaSeparated ? raw.split(',') : [raw]).map((v) => coerce(items, v));
    }
    return coerce(s, raw);
  }

  private validator(key: string, schema: JsonObject): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll(`"${REF_PREFIX}`, `"${SCHEMAS_ID}${REF_PREFIX}`)) as JsonObject);
      this.validators.set(key, v);
    }
    return v;
  }
}

function describe(validate: ValidateFunction, where: string): string[] {
  return (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? 'is invalid'}`);
}

const NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?$/;

function coerce(schema: JsonObject, raw: string): Json {
  const t = typeOf(schema);
  if ((t === 'integer' || t === 'number') && NUMBER_TEXT.test(raw)) return Number(raw);
  if (t === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** The schema's type other than null ('object' for a schema with properties). */
function typeOf(s: JsonObject): string | undefined {
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t): t is string => typeof t === 'string' && t !== 'null');
  if (types.length) return types[0];
  if (s.properties || s.additionalProperties) return 'object';
  if (s.items) return 'array';
  if (Array.isArray(s.enum)) return typeof s.enum.find((v) => v !== null);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Values.

/** Vietnamese text to cut lengths from: composed (NFC), no control characters, no line breaks. */
const TEXT = 'Phản ánh về đèn đường hỏng ở ngõ 18 Lê Thanh Nghị, phường Bách Khoa, quận Hai Bà Trưng. ';

/** Exactly `n` code points of ordinary text, not starting or ending with a space. */
export function textOf(n: number): string {
  if (n <= 0) return '';
  const source = [...TEXT];
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(source[i % source.length]);
  if (out[0] === ' ') out[0] = 'P';
  if (out[n - 1] === ' ') out[n - 1] = 'a';
  return out.join('');
}

function hex(random: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

/** A version 4 UUID from the seeded generator. */
export function uuidOf(random: () => number): string {
  const variant = '89ab'[Math.floor(random() * 4)];
  return `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${variant}${hex(random, 3)}-${hex(random, 12)}`;
}

/** A password nobody picks (mixed classes, no repetition), of `n` characters. */
function passwordOf(n: number, random: () => number): string {
  const chars = 'ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!#%*+=?@^_~';
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(random() * chars.length)];
  return s;
}

/** An e-mail address of exactly `n` characters (6..254), local part and labels within their limits. */
function emailOf(n: number): string {
  const local = 'an.nguyen'.padEnd(Math.min(64, Math.max(1, n - 8)), 'x').slice(0, Math.min(64, n - 7));
  let left = n - local.length - 1 - 3; // '.vn'
  const labels: string[] = [];
  while (left > 0) {
    const len = Math.min(63, left - (labels.length ? 1 : 0));
    if (len <= 0) break;
    labels.push('h'.repeat(len));
    left -= len + (labels.length > 1 ? 1 : 0);
  }
  return `${local}@${labels.join('.')}.vn`;
}

function uriOf(n: number): string {
  const head = 'https://cdn.example.vn/';
  return head + 'p'.repeat(Math.max(1, n - head.length));
}

/** Characters tried to lengthen a value that must match a pattern. */
const FILLERS = ['A', 'a', '0', '_', '-', '.', 'x', '9'];

/**
 * The values to try at one place: the edges the schema allows (enum members, limits, formats, null when
 * nullable, the smallest and largest arrays) and one value past each constraint (a length, a bound, a
 * pattern, a format, the type, null when not nullable). `base` is the fixture's own value there.
 */
export function valueVariants(schema: JsonObject, base: Json | undefined, random: () => number, inUrl = false): { label: string; value: Json }[] {
  const out: { label: string; value: Json }[] = [];
  const add = (label: string, value: Json) => out.push({ label, value });
  const t = typeOf(schema);
  add('null', null);
  if (Array.isArray(schema.enum)) {
    for (const v of schema.enum) if (v !== null) add(`enum ${JSON.stringify(v)}`, v);
    add('not in the enum', 'not_a_member');
    const first = schema.enum.find((v): v is string => typeof v === 'string');
    if (first && first.toLowerCase() !== first) add('enum member in lower case', first.toLowerCase());
    else if (first) add('enum member in upper case', first.toUpperCase());
    if (t !== 'string') add('wrong type (a string)', '1');
    return out;
  }
  switch (t) {
    case 'string':
      stringVariants(schema, typeof base === 'string' ? base : undefined, random, add, inUrl ? 1000 : 10_000);
      add('wrong type (a number)', 12345);
      break;
    case 'integer':
    case 'number':
      numberVariants(schema, t === 'integer', add);
      add('wrong type (a string)', 'abc');
      break;
    case 'boolean':
      add('true', true);
      add('false', false);
      add('wrong type (the string "true")', 'true');
      add('wrong type (a number)', 1);
      break;
    case 'array': {
      const item: Json = Array.isArray(base) && base.length ? base[0] : 'x';
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      add('empty array', []);
      add('one item', [item]);
      if (min > 1) add(`${min} items (minItems)`, Array<Json>(min).fill(item));
      if (min > 0) add(`${min - 1} items (below minItems)`, Array<Json>(min - 1).fill(item));
      if (typeof schema.maxItems === 'number') {
        add(`${schema.maxItems} items (maxItems)`, Array<Json>(schema.maxItems).fill(item));
        add(`${schema.maxItems + 1} items (above maxItems)`, Array<Json>(schema.maxItems + 1).fill(item));
      } else add('600 items (no maxItems)', Array<Json>(600).fill(item));
      add('the same item twice', [item, item]);
      add('wrong type (a string)', 'x');
      break;
    }
    case 'object':
      add('wrong type (a string)', 'x');
      add('wrong type (an array)', []);
      break;
    default:
      break;
  }
  return out;
}

function numberVariants(schema: JsonObject, integer: boolean, add: (label: string, value: Json) => void): void {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  const step = integer ? 1 : 0.000001;
  if (min !== undefined) {
    add('minimum', min);
    add('below minimum', integer ? min - 1 : min - Math.max(step, Math.abs(min) * 1e-9));
  } else {
    add('zero (no minimum)', 0);
    add('negative (no minimum)', -1);
  }
  if (max !== undefined) {
    add('maximum', max);
    add('above maximum', integer ? max + 1 : max + Math.max(step, Math.abs(max) * 1e-9));
  } else add('large (no maximum)', integer ? 2 ** 31 : 1e9);
  if (integer) add('not an integer', (min ?? 0) + 0.5);
  else add('a fraction', min !== undefined && max !== undefined ? (min + max) / 2 + 0.25 : 1.25);
}

const DATE_TIMES: [string, string][] = [
  ['date-time with +07:00', '2026-11-29T09:15:00+07:00'],
  ['date-time in UTC with milliseconds', '2026-11-29T02:15:00.123Z'],
  ['date-time on 29 February', '2028-02-29T23:59:59-05:00'],
  ['date-time long ago', '1970-01-01T00:00:00Z'],
  ['date-time far ahead', '2999-12-31T23:59:59Z'],
  ['not a real date-time (30 February)', '2026-02-30T10:00:00+07:00'],
  ['date-time without offset', '2026-11-29T09:15:00'],
  ['a date where a date-time is due', '2026-11-29'],
  ['not a date-time', 'yesterday'],
];
const DATES: [string, string][] = [
  ['date', '2026-04-30'],
  ['date on 29 February', '2028-02-29'],
  ['date long ago', '1970-01-01'],
  ['date far ahead', '2999-12-31'],
  ['not a real date (30 February)', '2026-02-30'],
  ['date without leading zeros', '2026-4-30'],
  ['a date-time where a date is due', '2026-04-30T00:00:00Z'],
  ['not a date', '30/04/2026'],
];

/** `long`: a text's length where the schema gives no maxLength (shorter in a URL: Node takes a request line of 16 kB). */
function stringVariants(schema: JsonObject, base: string | undefined, random: () => number, add: (label: string, value: Json) => void, long: number): void {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  if (format === 'date-time') for (const [l, v] of DATE_TIMES) add(l, v);
  else if (format === 'date') for (const [l, v] of DATES) add(l, v);
  else if (format === 'uuid') {
    const id = uuidOf(random);
    add('uuid', id);
    add('uuid in upper case', id.toUpperCase());
    add('nil uuid', '00000000-0000-0000-0000-000000000000');
    add('uuid without dashes', id.replaceAll('-', ''));
    add('not a uuid', 'not-a-uuid');
  } else if (format === 'email') {
    add('e-mail address', 'lan.pham@example.vn');
    if (max !== undefined) add(`e-mail address of ${max} characters (maxLength)`, emailOf(max));
    add('not an e-mail address', 'not-an-email');
    add('e-mail address without a local part', '@example.vn');
  } else if (format === 'uri') {
    add('https URL', 'https://cdn.example.vn/p/abc.jpg');
    add('http URL with port and query', 'http://cdn.example.vn:8080/a?b=1');
    add('URI of another scheme', 'ftp://files.example.vn/a.pdf');
    if (max !== undefined) add(`URL of ${max} characters (maxLength)`, uriOf(max));
    add('not a URI (no scheme)', 'cdn.example.vn/a.jpg');
    add('not a URI (spaces)', 'not a uri');
  } else if (format === 'password') {
    add(`password of ${Math.max(min, 8)} characters`, passwordOf(Math.max(min, 8), random));
    if (max !== undefined) add(`password of ${max} characters (maxLength)`, passwordOf(max, random));
  }
  if (pattern) {
    const seed = base !== undefined && pattern.test(base) ? base : undefined;
    if (seed !== undefined) {
      add('the fixture value', seed);
      const filler = FILLERS.find((f) => pattern.test(seed + f));
      if (filler && max !== undefined && max > [...seed].length)
        add(`pattern value of ${max} characters (maxLength)`, seed + filler.repeat(max - [...seed].length));
      if (filler && max !== undefined)
        add(`pattern value of ${max + 1} characters (above maxLength)`, seed + filler.repeat(Math.max(1, max + 1 - [...seed].length)));
    }
    add('not matching the pattern', `${seed ?? 'x'} !`);
    add('empty', '');
    return;
  }
  if (format && format !== 'password') {
    if (max !== undefined && format !== 'email' && format !== 'uri') add(`${max + 1} characters (above maxLength)`, textOf(max + 1));
    if (format === 'email' && max !== undefined) add(`e-mail address of ${max + 1} characters (above maxLength)`, emailOf(max + 1));
    if (format === 'uri' && max !== undefined) add(`URL of ${max + 1} characters (above maxLength)`, uriOf(max + 1));
    return;
  }
  if (min === 0) add('empty', '');
  else add(`${min - 1} characters (below minLength)`, format === 'password' ? passwordOf(min - 1, random) : textOf(min - 1));
  add('blank', ' '.repeat(Math.max(1, min)));
  if (format !== 'password') {
    add(`${Math.max(1, min)} characters`, textOf(Math.max(1, min)));
    add('Vietnamese text', textOf(Math.min(max ?? 40, 40)));
    add('two lines', `${textOf(Math.max(1, Math.min(min, 10)))}\n${textOf(5)}`);
    add('a control character', `${textOf(Math.max(1, Math.min(min, 10)))}\u0007`);
    if (max !== undefined) {
      add(`${max} characters (maxLength)`, textOf(max));
      add(`${max + 1} characters (above maxLength)`, textOf(max + 1));
    } else add(`${long} characters (no maxLength)`, textOf(long));
  } else if (max !== undefined) add(`password of ${max + 1} characters (above maxLength)`, passwordOf(max + 1, random));
}

// ---------------------------------------------------------------------------------------------------
// Walking a request.

/**
 * The variants of a JSON body: at every field the fixture's body holds (and each optional field it
 * leaves out, given a value of its own), the field's values, the field left out, and for each object
 * an unknown field and the object with only its required fields. `only` limits the top-level fields
 * varied (an operation whose description narrows the body, as a case action does).
 */
export function bodyVariants(oracle: RequestOracle, schema: Json | undefined, base: Json, random: () => number, only?: readonly string[]): Variant[] {
  const out: Variant[] = [];
  type Lift = (v: Variant) => Variant;
  const walk = (raw: Json | undefined, value: Json, path: (string | number)[], lift: Lift): void => {
    const s = core(oracle, raw);
    const push = (at: (string | number)[], label: string, v: Value) =>
      out.push(lift({ place: { in: 'body', path: at }, label: at.length ? `${dotted(at)}: ${label}` : label, value: v }));
    for (const v of valueVariants(s, value, random)) push(path, v.label, v.value);
    const properties = asObject(s.properties);
    if (properties && isJsonObject(value)) {
      const required = new Set((asArray(s.required) ?? []).map(String));
      for (const [name, p] of Object.entries(properties)) {
        if (path.length === 0 && only && !only.includes(name)) continue;
        const at = [...path, name];
        if (name in value) {
          walk(p, value[name], at, lift);
          push(at, required.has(name) ? 'required field left out' : 'left out', OMIT);
        } else {
          // A field the fixture leaves out: its variants are sent with the field given a value of its own.
          const made = synthesise(oracle, p, random);
          if (made === undefined) continue;
          walk(p, made, at, (v) => {
            if (v.place.in !== 'body') return lift(v);
            const rest = v.place.path.slice(at.length);
            return lift({ ...v, place: { in: 'body', path: at }, value: rest.length === 0 ? v.value : withValue(made, rest, v.value) });
          });
        }
      }
      push([...path, 'unknownField'], 'a field the schema does not name', 'x');
      const minimal: JsonObject = {};
      for (const name of required) if (name in value) minimal[name] = value[name];
      if (Object.keys(minimal).length < Object.keys(value).length) push(path, 'only the required fields', minimal);
    }
    if (Array.isArray(value) && value.length > 0) walk(asObject(s.items), value[0], [...path, 0], lift);
  };
  walk(schema, base, [], (v) => v);
  return out;
}

/** The variants of one parameter, as written in the URL (numbers, booleans and lists as text). */
export function parameterVariants(oracle: RequestOracle, p: Parameter, base: string | undefined, random: () => number): Variant[] {
  const s = core(oracle, p.schema);
  const t = typeOf(s);
  const parsed: Json | undefined = base === undefined ? undefined : t === 'integer' || t === 'number' ? Number(base) : t === 'array' ? base.split(',') : base;
  const out: Variant[] = [];
  const place: Place = { in: p.in, name: p.name };
  if (p.in === 'query') out.push({ place, label: `${p.name}: ${p.required ? 'required parameter left out' : 'left out'}`, value: OMIT });
  for (const v of valueVariants(s, parsed, random, true)) {
    const text = toWire(v.value);
    if (text === undefined) continue;
    if (p.in === 'path' && text === '') continue; // another route, not this operation
    out.push({ place, label: `${p.name}: ${v.label}`, value: text });
  }
  if (t === 'array') {
    // A list's items one at a time (each member of an enum, one that is not), and all the members at once.
    const items = core(oracle, s.items);
    for (const v of valueVariants(items, undefined, random, true)) {
      const text = toWire(v.value);
      if (text !== undefined && !text.includes(',')) out.push({ place, label: `${p.name}: one item, ${v.label}`, value: text });
    }
    const members = (asArray(items.enum) ?? []).filter((m) => typeof m === 'string');
    if (members.length) out.push({ place, label: `${p.name}: every member, comma-separated`, value: members.join(',') });
  }
  return out;
}

/** A value as a query or path parameter writes it (style form, a list comma-separated), or undefined where it cannot. */
function toWire(value: Json): string | undefined {
  if (value === null || isJsonObject(value)) return undefined;
  if (Array.isArray(value)) {
    if (value.some((v) => v === null || typeof v === 'object') || value.length > 50) return undefined;
    return value.map(String).join(',');
  }
  return String(value);
}

/** The schema itself, a reference resolved, a nullable wrapper ({ anyOf: [X, null] }) unwrapped to X. */
function core(oracle: RequestOracle, raw: Json | undefined): JsonObject {
  const s = oracle.resolve(raw);
  const anyOf = asArray(s.anyOf);
  if (anyOf && anyOf.length === 2) {
    const other = anyOf.map(asObject).find((x) => x && x.type !== 'null');
    if (other) return oracle.resolve(other);
  }
  return s;
}

/** A value for a field the fixture leaves out: the schema's example, a member, a limit. */
function synthesise(oracle: RequestOracle, raw: Json, random: () => number): Json | undefined {
  const s = core(oracle, raw);
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.enum)) return s.enum.find((v) => v !== null);
  switch (typeOf(s)) {
    case 'string':
      if (s.format === 'uuid') return uuidOf(random);
      if (s.format === 'date-time') return '2026-11-29T09:15:00+07:00';
      if (s.format === 'date') return '2026-04-30';
      if (s.format === 'email') return 'lan.pham@example.vn';
      if (s.format === 'uri') return 'https://cdn.example.vn/a.jpg';
      return textOf(Math.max(1, typeof s.minLength === 'number' ? s.minLength : 1, Math.min(typeof s.maxLength === 'number' ? s.maxLength : 12, 12)));
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'array': {
      const item = synthesise(oracle, asObject(s.items) ?? {}, random);
      return item === undefined ? [] : [item];
    }
    case 'object': {
      const o: JsonObject = {};
      for (const name of (asArray(s.required) ?? []).map(String)) {
        const v = synthesise(oracle, asObject(s.properties)?.[name] ?? {}, random);
        if (v !== undefined) o[name] = v;
      }
      return o;
    }
    default:
      return undefined;
  }
}

function dotted(path: (string | number)[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
}

export { dotted as placePath };

/** The body with the value at `path` replaced (or removed, for OMIT); the base is not changed. */
export function withValue(base: Json, path: (string | number)[], value: Value): Json {
  if (path.length === 0) return value === OMIT ? null : value;
  const copy = JSON.parse(JSON.stringify(base)) as Json;
  let node: Json = copy;
  for (const key of path.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[key as number] : isJsonObject(node) ? node[key as string] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') return copy;
    node = next;
  }
  const last = path[path.length - 1];
  if (Array.isArray(node) && typeof last === 'number') {
    if (value === OMIT) node.splice(last, 1);
    else node[last] = value;
  } else if (isJsonObject(node)) {
    if (value === OMIT) delete node[last as string];
    else node[last as string] = value;
  }
  return copy;
}
