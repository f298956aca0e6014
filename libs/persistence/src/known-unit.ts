import { UnprocessableFieldError } from '@fr/domain';
import { selectRow, Sql } from './sql';

/**
 * A list filter's unit code must name a unit (active or not): a mistyped code answered an empty list, as
 * if the unit had no cases or notices. 422 naming `field`.
 */
export async function requireKnownUnit(db: Sql, code: string, field = 'unit'): Promise<void> {
  if (!(await selectRow(db, `SELECT 1 FROM units WHERE code = $1`, [code]))) {
    throw new UnprocessableFieldError(field, `unit '${code}' does not exist; GET /v1/units lists the units`);
  }
}
