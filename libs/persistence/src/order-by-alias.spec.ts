import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * ORDER BY names an output column before a table's: in `SELECT id::text AS id ... ORDER BY id` the
 * rows are sorted by the text (10 before 9), and the primary key cannot serve the sort. It listed a
 * case's messages and a webhook's deliveries out of order and made the outbox relay scan its whole
 * table on every pass. A statement that casts a column to an alias of the same name must order by
 * the qualified column (`outbox.id`), also in a subquery of the same statement, which this reads as one.
 */
describe('ORDER BY never names a cast alias that shadows its column', () => {
  it('holds in every statement of the libs and apps', () => {
    const offending: string[] = [];
    for (const file of [...sources('libs'), ...sources('apps')]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const statement of text.match(/`[^`]*`/gs) ?? []) {
        for (const cast of statement.matchAll(/(?<![\w.])(?:\w+\.)?(\w+)::\w+(?:\[\])? AS (\w+)/g)) {
          if (cast[1] !== cast[2]) continue;
          const orderBy = new RegExp(`ORDER BY\\s+(?:[^\`;]*?,\\s*)?${cast[2]}\\b(?!\\.)`);
          if (orderBy.test(statement)) offending.push(`${file}: ${cast[0]} ... ORDER BY ${cast[2]}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});
