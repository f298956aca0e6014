import { parse, ParsedUrlQuery } from 'node:querystring';

/** A date-time whose offset's '+' arrived as a space: the rest of an ISO 8601 instant, then " 07:00". */
const SPACED_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/;

const mend = (v: string) => v.replace(SPACED_OFFSET, '$1+$2');

/**
 * Express's simple query parser, with one mend: a `+` written unescaped in a URL means a space, so
 * `dueBefore=2026-12-10T00:00:00+07:00`, the shape our own messages give, arrived as "...00 07:00" and
 * was refused unless the caller wrote `%2B`. A value that is a date-time followed by a space and an
 * offset can only have meant the `+`; nothing else is touched.
 */
export function parseQuery(text: string): ParsedUrlQuery {
  const query = parse(text);
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string') query[key] = mend(value);
    else if (Array.isArray(value)) query[key] = value.map(mend);
  }
  return query;
}
