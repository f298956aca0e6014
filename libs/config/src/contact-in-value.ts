/**
 * A Vietnamese phone number (0 or 84 and 9 to 11 more digits, spaced or dotted) or an e-mail address
 * anywhere in a value a caller chose (a query value, a path segment, a request id). Dates and times
 * ('2026-12-31T00:00:00+07:00') and ids are neither.
 */
const PHONE_IN_VALUE = /(?<![\d.])\(?(?:\+?84|0)(?:[ ._/()\p{Pd}]{0,3}\d){8,11}(?!\d)/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function holdsContact(text: string): boolean {
  // An id's digit groups ('00000000-0000-4000-…') read as a dashed number; an id is no one's contact.
  return text.includes('@') || (PHONE_IN_VALUE.test(text) && !UUID.test(text));
}
