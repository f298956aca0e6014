/** A UUID in its text form, either case (PostgreSQL reads both; it writes lower case). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(x: unknown): x is string {
  return typeof x === 'string' && UUID.test(x);
}
