import { TestEngine } from './test-engine';

/** A case whose export columns are not what its assignments and audit events define. */
export interface ExportColumnsMismatch {
  tracking_code: string;
  units_path: string | null;
  defined_units_path: string | null;
  last_resolve_on_time: boolean | null;
  defined_on_time: boolean | null;
}

/**
 * The cases whose `units_path` or `last_resolve_on_time` (migration CaseExportColumns) differ from
 * their definitions, as the row-mapped export computes them: the units of the assignments other than
 * designation changes in id order, and the last resolve event's onTime. None, when every write path
 * keeps them; checked on whatever the calling test drove the cases through.
 */
export function exportColumnsOffDefinition(engine: Pick<TestEngine, 'query'>): Promise<ExportColumnsMismatch[]> {
  return engine.query<ExportColumnsMismatch & Record<string, unknown>>(`
    SELECT c.tracking_code, c.units_path, d.units_path AS defined_units_path, c.last_resolve_on_time, d.on_time AS defined_on_time
      FROM cases c
      CROSS JOIN LATERAL (
        SELECT (SELECT string_agg(a.unit_code, ' > ' ORDER BY a.id) FROM assignments a WHERE a.case_id = c.id AND a.reason <> 'designation') AS units_path,
               (SELECT CASE e.data->>'onTime' WHEN 'true' THEN true WHEN 'false' THEN false END
                  FROM audit_events e WHERE e.case_id = c.id AND e.action = 'resolve' ORDER BY e.id DESC LIMIT 1) AS on_time
      ) d
     WHERE c.units_path IS DISTINCT FROM d.units_path OR c.last_resolve_on_time IS DISTINCT FROM d.on_time
     ORDER BY c.tracking_code`);
}
