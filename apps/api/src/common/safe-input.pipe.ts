import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError } from '@fr/domain';
import { WHOLE_NUMBER_TEXT } from './text.decorators';

const MAX_DEPTH = 16;
/**
 * No object of this API has more than a few dozen fields, and no list more than 500 items. A 220 kB
 * login body of 21,000 unknown keys cost 0.3 s of the API's CPU to validate and answered a 1.3 MB
 * list of problems; sixteen at once held /health for 6 s. Refused here before the validator runs.
 */
const MAX_KEYS = 100;
const MAX_ITEMS = 1000;
/**
 * Bidirectional embedding, override and isolate controls: with them a name or description displays
 * differently from what it says (`Nguyễn \u202eVăn`, the "Trojan Source" trick), in the office's
 * screens and in exports. Vietnamese text never needs them. Zero-width joiners stay (emoji use them).
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Unicode's noncharacters (U+FDD0-U+FDEF, and the last two code points of every plane) and the C1
 * control characters (U+0080-U+009F, what bytes of another encoding read as Latin-1 become): neither is
 * text a citizen or an officer writes, and U+FFFE/U+FFFF cannot be written in XML at all (Open311's XML
 * answers dropped them while JSON showed them). Refused where they come in, so a channel that sends text
 * in a wrong encoding hears of it (400) rather than storing garbled text.
 */
const NONCHARACTER =
  /[\uFDD0-\uFDEF\uFFFE\uFFFF]|[\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/u;
const C1_CONTROL = /[\u0080-\u009F]/;
const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
/**
 * Keys that every object inherits (`__proto__`, `constructor`, `hasOwnProperty`, ...). The validator's
 * whitelist looks fields up in a plain object, so these passed as known fields, and `__proto__`
 * could set a DTO's prototype: they are refused like any unknown field.
 */
const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Runs before validation on every body, query and path parameter. PostgreSQL cannot store NUL in
 * text, lone UTF-16 surrogates cannot be encoded as UTF-8 (they would be stored as U+FFFD, or refused
 * inside jsonb), deeply nested JSON only serves to exhaust the validator's stack, and inherited keys
 * slip past the whitelist, and bidirectional controls disguise text: all are refused here with 400,
 * naming where they were found.
 */
@Injectable()
export class SafeInputPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (meta.type === 'custom') return value;
    // A DTO is an object: an array body was answered with "property 0 should not exist".
    if (meta.type === 'body' && Array.isArray(value) && meta.metatype && meta.metatype !== Array && meta.metatype !== Object) {
      throw new BadRequestException('the request body must be a JSON object, not an array');
    }
    // A path or query parameter declared a number is turned into one by the validation pipe with `+value`,
    // which read 0x7EA as 2026 and 1e1 as 10: only digits are a number here.
    if (
      (meta.type === 'param' || meta.type === 'query') &&
      meta.data &&
      meta.metatype === Number &&
      typeof value === 'string' &&
      !WHOLE_NUMBER_TEXT.test(value)
    ) {
      throw new ValidationError(`${meta.data} must be a whole number written in digits, got '${value.slice(0, 20)}'`, [meta.data]);
    }
    if (meta.type === 'query') {
      const repeated = repeatedScalar(value, meta);
      if (repeated) throw new ValidationError(`query parameter ${repeated} is given more than once; give it once`, [repeated]);
    }
    // Named in `errors` like the validator's problems, so a client reads every 400 about a field alike.
    const problem = inspect(value, meta.data ?? '', 0);
    if (problem) throw new ValidationError(problem.message, problem.field ? [problem.field] : []);
    return value;
  }

  /** For bodies read raw (e.g. text/calendar), which no pipe sees. */
  problemIn(value: unknown, path: string): string | null {
    return inspect(value, path, 0)?.message ?? null;
  }
}

/** What is wrong, and the field it is about (none for the request as a whole). */
interface Problem {
  field: string | null;
  message: string;
}

/**
 * A parameter given twice (`?limit=100&limit=5`) arrives as an array. Where the DTO declares one
 * value, the validator answered with two messages that contradict each other ("must be an integer",
 * "must not be greater than 100"); only the DTO's array fields (their declared type, emitted by
 * TypeScript) take repeats. Unknown parameters are left to the whitelist, which names them.
 */
function repeatedScalar(value: unknown, meta: ArgumentMetadata): string | null {
  if (meta.data) return Array.isArray(value) && meta.metatype !== Array ? meta.data : null;
  if (value === null || typeof value !== 'object' || typeof meta.metatype !== 'function') return null;
  for (const [k, v] of Object.entries(value)) {
    if (!Array.isArray(v)) continue;
    const declared: unknown = Reflect.getMetadata('design:type', meta.metatype.prototype as object, k);
    if (declared !== undefined && declared !== Array) return k.slice(0, 40);
  }
  return null;
}

function inspect(value: unknown, path: string, depth: number, field: string | null = path || null): Problem | null {
  const problem = (message: string): Problem => ({ field, message });
  if (typeof value === 'string') {
    const what = path || 'the request';
    if (value.includes('\u0000')) return problem(`${what} must not contain NUL characters`);
    if (LONE_SURROGATE.test(value)) return problem(`${what} is not valid Unicode text (it contains a lone surrogate)`);
    const nonchar = NONCHARACTER.exec(value);
    if (nonchar) return problem(`${what} is not valid Unicode text (it contains the noncharacter ${codePoint(nonchar[0])})`);
    const c1 = C1_CONTROL.exec(value);
    if (c1) return problem(`${what} must not contain control characters (${codePoint(c1[0])}): was the text sent in another encoding than UTF-8?`);
    if (BIDI_CONTROL.test(value))
      return problem(
        `${what} must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069): they make text display differently from what it says`,
      );
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return problem(`${path || 'the request body'} is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS) return problem(`${path || 'the request body'} has ${value.length} items; no list here takes more than ${MAX_ITEMS}`);
    for (let i = 0; i < value.length; i++) {
      const p = inspect(value[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_KEYS) return problem(`${path || 'the request'} has ${entries.length} fields; no object here takes more than ${MAX_KEYS}`);
  for (const [k, v] of entries) {
    // The key as the answer names it: the sender chose it, so it is cut short and made harmless to show.
    const at = `${path ? `${path}.` : ''}${shownKey(k)}`;
    if (PROTOTYPE_KEYS.has(k)) return { field: at, message: `property ${at} should not exist` };
    const keyProblem = inspect(k, `${at} (a key)`, depth + 1, at);
    if (keyProblem) return keyProblem;
    const p = inspect(v, at, depth + 1);
    if (p) return p;
  }
  return null;
}

/**
 * A key quoted in an error: at most 40 characters, and NUL, other control characters, bidirectional
 * controls and lone surrogates written as \u escapes. Quoted raw, a key made of them put into the
 * answer the very characters the guard refuses (text displayed as something else, a string a strict
 * UTF-8 encoder fails on), and a key of thousands of characters made a 10 KB answer.
 */
function shownKey(k: string): string {
  return k.slice(0, 40).replace(UNSHOWABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// eslint-disable-next-line no-control-regex -- these are what must not be shown raw
const UNSHOWABLE = /[\u0000-\u001f\u007f\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
