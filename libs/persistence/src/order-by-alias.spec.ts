import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT as ROOT, repoSources } from './repo-sources';

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
    for (const file of [...repoSources('libs'), ...repoSources('apps')]) {
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
