import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError, seededSample, ValidationError } from '@fr/domain';
import { execute, selectRow, writeAuditEvent } from '@fr/persistence';
import { forEachBatch } from './cursor';
import { Period } from './period';

export interface DrawSampleCommand {
  actor: string;
  period: Period;
  /** Only this unit's stratum; the same cases as that stratum of the whole draw. */
  unitCode?: string;
  /** Cases per unit. */
  size: number;
  seed: string;
}

export interface SampleStratum {
  unitCode: string;
  /** Closed cases of the unit in the period: the population the sample is drawn from. */
  closed: number;
  caseIds: string[];
  trackingCodes: string[];
}

export interface DrawSampleResult {
  seed: string;
  from: string;
  to: string;
  size: number;
  strata: SampleStratum[];
  caseIds: string[];
}

export const MAX_SAMPLE_SIZE = 200;

/**
 * A stratified random sample for quality review: per unit, `size` of the cases it closed in the
 * period. Each stratum is shuffled by a generator seeded with `seed|unitCode` over the candidates
 * sorted by id, so the same request draws the same cases, and a unit's cases do not depend on which
 * other units are drawn. The draw itself is recorded in the audit trail, and the cases it drew beside
 * it (audit_sample_cases): those are the cases a review may score.
 */
@Injectable()
export class DrawSample {
  constructor(private readonly ds: DataSource) {}

  async execute(cmd: DrawSampleCommand): Promise<DrawSampleResult> {
    if (!Number.isInteger(cmd.size) || cmd.size < 1 || cmd.size > MAX_SAMPLE_SIZE) {
      throw new ValidationError(`size must be an integer from 1 to ${MAX_SAMPLE_SIZE} (cases per unit)`, ['size']);
    }
    if (cmd.unitCode !== undefined) {
      const unit = await selectRow<{ code: string }>(this.ds, `SELECT code FROM units WHERE code = $1`, [cmd.unitCode]);
      if (!unit) throw new NotFoundError('unit', cmd.unitCode);
    }
    const params: unknown[] = [cmd.period.from, cmd.period.to];
    if (cmd.unitCode !== undefined) params.push(cmd.unitCode);
    const strata: SampleStratum[] = [];
    // One stratum in memory at a time: rows come ordered by unit, then id.
    let current: { unit: string; rows: { id: string; code: string }[] } | null = null;
    const close = () => {
      if (!current) return;
      const drawn = seededSample(current.rows, cmd.size, `${cmd.seed}|${current.unit}`);
      strata.push({ unitCode: current.unit, closed: current.rows.length, caseIds: drawn.map((r) => r.id), trackingCodes: drawn.map((r) => r.code) });
    };
    await forEachBatch<{ id: string; unit_code: string; tracking_code: string }>(
      this.ds,
      `SELECT id, unit_code, tracking_code FROM cases
        WHERE status = 'closed' AND closed_at >= $1 AND closed_at < $2 AND unit_code IS NOT NULL AND (closed_as IS NULL OR closed_as NOT IN ('duplicate', 'other_track'))${cmd.unitCode !== undefined ? ' AND unit_code = $3' : ''}
        ORDER BY unit_code, id`,
      params,
      (rows) => {
        for (const r of rows) {
          if (current?.unit !== r.unit_code) {
            close();
            current = { unit: r.unit_code, rows: [] };
          }
          current.rows.push({ id: r.id, code: r.tracking_code });
        }
      },
      5000,
    );
    close();
    const result: DrawSampleResult = {
      seed: cmd.seed,
      from: cmd.period.from.toISOString(),
      to: cmd.period.to.toISOString(),
      size: cmd.size,
      strata,
      caseIds: strata.flatMap((s) => s.caseIds),
    };
    // The draw and the cases it drew, together: only a drawn case may be reviewed (RecordReview).
    await this.ds.transaction(async (m) => {
      const eventId = await writeAuditEvent(m, {
        caseId: null,
        actor: cmd.actor,
        action: 'audit_sample_drawn',
        data: { seed: cmd.seed, from: result.from, to: result.to, size: cmd.size, unitCode: cmd.unitCode ?? null, cases: result.caseIds.length },
      });
      await execute(m, `INSERT INTO audit_sample_cases (case_id, audit_event_id) SELECT unnest($1::uuid[]), $2::bigint ORDER BY 1`, [result.caseIds, eventId]);
    });
    return result;
  }
}
