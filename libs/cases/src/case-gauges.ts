import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics } from '@fr/metrics';
import { selectRows } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { PAUSED_LATE } from './case-queries';

interface Row {
  unit: string;
  status: string;
  open: string;
  at_risk: string;
  overdue: string;
}

/**
 * Open cases by unit and state, and those at risk or overdue by the engine clock, for Prometheus:
 * one grouped query a scrape (the index on (unit_code, status) serves it). At risk and overdue mean
 * what the case views' `atRisk` and `overdue` flags mean.
 */
@Injectable()
export class CaseGauges implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape('cases', () => this.collect());
  }

  async collect(): Promise<void> {
    const rows = await selectRows<Row>(
      this.ds,
      `SELECT COALESCE(c.unit_code, '') AS unit, c.status, count(*)::text AS open,
              count(*) FILTER (WHERE c.status <> 'resolved' AND c.warn_at <= $1 AND c.due_at > $1)::text AS at_risk,
              count(*) FILTER (WHERE c.status <> 'resolved' AND c.due_at <= $1 OR ${PAUSED_LATE})::text AS overdue
         FROM cases c WHERE c.status <> 'closed' GROUP BY 1, 2`,
      [this.clock.now()],
    );
    const { casesOpen, casesAtRisk, casesOverdue } = this.metrics;
    casesOpen.reset();
    casesAtRisk.reset();
    casesOverdue.reset();
    for (const r of rows) {
      casesOpen.set({ unit: r.unit, state: r.status }, Number(r.open));
      casesAtRisk.inc({ unit: r.unit }, Number(r.at_risk));
      casesOverdue.inc({ unit: r.unit }, Number(r.overdue));
    }
  }
}
