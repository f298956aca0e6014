import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectRows } from '@fr/persistence';
import { Clock } from '@fr/sla';

export type Designation = 'handler' | 'leader';

/** An absence of one of the unit's officers, in force or to come, and who covers it. */
export interface UnitAbsence {
  absenceId: string;
  officer: { id: string; fullName: string };
  /** Whether the officer is the unit's designated handler or leader; null for another officer. */
  designation: Designation | null;
  cover: { id: string; fullName: string };
  from: string;
  to: string;
  current: boolean;
}

export interface UnitCoverageGap {
  code: string;
  name: string;
  kind: string;
  missing: Designation[];
  absences: UnitAbsence[];
}

interface AbsenceRow {
  id: string;
  unit_code: string;
  officer_id: string;
  officer_name: string;
  designation: Designation | null;
  cover_id: string;
  cover_name: string;
  starts_at: Date;
  ends_at: Date;
}

/**
 * Active units that lack a designated handler or leader: the directive asks every unit to name
 * both, and cases routed to a unit without a handler fall back to triage. A designee whose account
 * has been disabled counts as missing. Units whose officers are away (now or later) are listed too,
 * with each absence and its cover, so the office sees who is standing in for whom.
 */
@Injectable()
export class GetUnitCoverage {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<UnitCoverageGap[]> {
    const now = this.clock.now();
    const rows = await selectRows<{ code: string; name: string; kind: string; no_handler: boolean; no_leader: boolean }>(
      this.ds,
      `SELECT u.code, u.name, u.kind,
              (h.id IS NULL OR NOT h.active) AS no_handler,
              (l.id IS NULL OR NOT l.active) AS no_leader
         FROM units u
         LEFT JOIN officers h ON h.id = u.handler_id
         LEFT JOIN officers l ON l.id = u.leader_id
        WHERE u.active AND (h.id IS NULL OR NOT h.active OR l.id IS NULL OR NOT l.active
              OR EXISTS (SELECT 1 FROM officer_absences a JOIN officers o ON o.id = a.officer_id
                          WHERE o.unit_code = u.code AND a.cancelled_at IS NULL AND a.ends_at > $1))
        ORDER BY u.code`,
      [now],
    );
    const absences = await selectRows<AbsenceRow>(
      this.ds,
      `SELECT a.id::text AS id, o.unit_code, o.id AS officer_id, o.full_name AS officer_name,
              CASE WHEN u.handler_id = o.id THEN 'handler' WHEN u.leader_id = o.id THEN 'leader' END AS designation,
              co.id AS cover_id, co.full_name AS cover_name, a.starts_at, a.ends_at
         FROM officer_absences a JOIN officers o ON o.id = a.officer_id JOIN officers co ON co.id = a.cover_id
         JOIN units u ON u.code = o.unit_code
        WHERE a.cancelled_at IS NULL AND a.ends_at > $1
        ORDER BY o.unit_code, a.starts_at, a.id`,
      [now],
    );
    return rows.map((r) => ({
      code: r.code,
      name: r.name,
      kind: r.kind,
      missing: [...(r.no_handler ? (['handler'] as const) : []), ...(r.no_leader ? (['leader'] as const) : [])],
      absences: absences
        .filter((a) => a.unit_code === r.code)
        .map((a) => ({
          absenceId: a.id,
          officer: { id: a.officer_id, fullName: a.officer_name },
          designation: a.designation,
          cover: { id: a.cover_id, fullName: a.cover_name },
          from: new Date(a.starts_at).toISOString(),
          to: new Date(a.ends_at).toISOString(),
          current: new Date(a.starts_at) <= now,
        })),
    }));
  }
}
