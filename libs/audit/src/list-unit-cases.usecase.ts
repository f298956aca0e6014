import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@fr/domain';
import { selectRow } from '@fr/persistence';
import { CaseFactsReader } from './case-facts.reader';
import { GetUnitMetrics } from './get-unit-metrics.usecase';
import { Period } from './period';
import { caseLines, UnitCaseLine } from './unit-metrics';

export interface UnitCasesReport {
  unit: { code: string; name: string };
  from: string;
  to: string;
  evaluatedAt: string;
  /** The cases behind the unit's numbers, one line each, by tracking code. */
  items: UnitCaseLine[];
}

/** Drill-down: the cases a unit's metrics for the period are made of, with what each contributed. */
@Injectable()
export class ListUnitCases {
  constructor(
    private readonly ds: DataSource,
    private readonly facts: CaseFactsReader,
    private readonly metrics: GetUnitMetrics,
  ) {}

  async execute(unitCode: string, period: Period, now = new Date()): Promise<UnitCasesReport> {
    const unit = await selectRow<{ code: string; name: string }>(this.ds, `SELECT code, name FROM units WHERE code = $1`, [unitCode]);
    if (!unit) throw new NotFoundError('unit', unitCode);
    const ctx = this.metrics.context(period, now);
    const items: UnitCaseLine[] = [];
    await this.facts.forEach(period, new Date(ctx.evaluatedAt), unitCode, (f) => {
      for (const line of caseLines(f, ctx)) if (line.unitCode === unitCode) items.push(line);
    });
    items.sort((a, b) => (a.trackingCode < b.trackingCode ? -1 : a.trackingCode > b.trackingCode ? 1 : 0));
    return {
      unit: { code: unit.code, name: unit.name },
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      evaluatedAt: new Date(ctx.evaluatedAt).toISOString(),
      items,
    };
  }
}
