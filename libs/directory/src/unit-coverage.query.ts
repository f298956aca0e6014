import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectRows } from '@fr/persistence';

export type Designation = 'handler' | 'leader';

export interface UnitCoverageGap {
  code: string;
  name: string;
  kind: string;
  missing: Designation[];
}

/**
 * Active units that lack a designated handler or leader: the directive asks every unit to name
 * both, and cases routed to a unit without a handler fall back to triage. A designee whose account
 * has been disabled counts as missing.
 */
@Injectable()
export class GetUnitCoverage {
  constructor(private readonly ds: DataSource) {}

  async execute(): Promise<UnitCoverageGap[]> {
    const rows = await selectRows<{ code: string; name: string; kind: string; no_handler: boolean; no_leader: boolean }>(
      this.ds,
      `SELECT u.code, u.name, u.kind,
              (h.id IS NULL OR NOT h.active) AS no_handler,
              (l.id IS NULL OR NOT l.active) AS no_leader
         FROM units u
         LEFT JOIN officers h ON h.id = u.handler_id
         LEFT JOIN officers l ON l.id = u.leader_id
        WHERE u.active AND (h.id IS NULL OR NOT h.active OR l.id IS NULL OR NOT l.active)
        ORDER BY u.code`,
    );
    return rows.map((r) => ({
      code: r.code,
      name: r.name,
      kind: r.kind,
      missing: [...(r.no_handler ? (['handler'] as const) : []), ...(r.no_leader ? (['leader'] as const) : [])],
    }));
  }
}
