import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { missedDeadline, NotFoundError, VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { Deliveries } from '@fr/notifications';
import { ADVISORY_LOCK, coversAt, selectRow, selectRows, Sql, writeAuditEvent, writeNotifications } from '@fr/persistence';
import { Clock, EscalationLadder, EscalationRung, rungFireAt, SlaService } from '@fr/sla';
import { loadComplianceConfig } from './compliance-config';
import { GetBoard, Standing } from './get-board.query';

export const COMPLIANCE_ACTOR = 'system:compliance';
/** Event keys of alert deliveries (e-mail, webhooks subscribed to `compliance`): `compliance.<alert id>`. */
export const COMPLIANCE_DELIVERY_KIND = 'compliance';

export interface ComplianceAlertsResult {
  /** Levels recorded by this pass. */
  alerts: number;
  notifications: number;
}

interface Due {
  s: Standing;
  missed: Date;
  rung: EscalationRung;
  fireAt: Date;
}

/** Levels recorded and told per transaction: the most a stopping worker's pass does after its stop. */
const ALERTS_PER_TRANSACTION = 50;

const KIND_WORDS: Record<Standing['target']['kind'], string> = {
  designation: 'cử đầu mối',
  staff_onboarding: 'cán bộ có tài khoản',
  ward_adoption: 'người dân có tài khoản',
  notice_cadence: 'đăng tin định kỳ',
};

/**
 * Tells a unit that missed a target, level by level as the compliance ladder says (its leader at the
 * missed deadline, the office's supervisors a working day later, by default), through the inbox and
 * the escalations' deliveries (e-mail, webhooks subscribed to `compliance`). A sweep, not timers: the
 * board is recomputed from PostgreSQL each pass, so nothing is lost with Redis, and the unique key of
 * (target, unit, missed deadline, level) makes a second pass, or a second worker, tell nobody twice.
 * A unit that caught up before a level fell due is not told at that level.
 */
@Injectable()
export class RaiseComplianceAlerts implements OnModuleInit {
  private readonly logger = new Logger(RaiseComplianceAlerts.name);
  readonly ladder: EscalationLadder;

  constructor(
    private readonly ds: DataSource,
    private readonly board: GetBoard,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    private readonly deliveries: Deliveries,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ladder = loadComplianceConfig(config.configDir, sla.calendar.dayMinutes).ladder;
  }

  onModuleInit(): void {
    this.deliveries.registerPayload(COMPLIANCE_DELIVERY_KIND, (id, db) => this.payload(id, db));
  }

  /**
   * One pass; null when another process holds the sweep. `signal`: the worker is stopping. A deadline
   * shared by every unit (a directive's date) makes hundreds of levels due together, each recorded and
   * told in a few statements; in one transaction the whole pass ran inside the stop. The levels are
   * recorded and told ALERTS_PER_TRANSACTION at a time, each batch its own transaction, so a level is
   * never recorded untold (a later pass finds it recorded and tells nobody); aborted, the pass ends
   * after the batch in hand, and the levels left, unrecorded, are the next pass's
   * (test/stop-under-sweep-backlog.e2e-spec.ts).
   */
  async runOnce(signal?: AbortSignal): Promise<ComplianceAlertsResult | null> {
    const now = this.clock.now();
    const due: Due[] = [];
    for (const s of await this.board.standings(now)) {
      const missed = missedDeadline(s.standing);
      if (!missed) continue;
      for (const rung of this.ladder) {
        const fireAt = rungFireAt(this.sla.calendar, rung, { dueAt: missed, warnAt: null });
        if (fireAt && fireAt.getTime() <= now.getTime()) due.push({ s, missed, rung, fireAt });
      }
    }
    const total: ComplianceAlertsResult = { alerts: 0, notifications: 0 };
    for (let i = 0; i < due.length; i += ALERTS_PER_TRANSACTION) {
      const batch = await this.record(due.slice(i, i + ALERTS_PER_TRANSACTION), now);
      // Held by another process, whose pass records and tells the rest.
      if (batch === null) {
        if (i === 0) return null;
        break;
      }
      total.alerts += batch.alerts;
      total.notifications += batch.notifications;
      if (signal?.aborted) break;
    }
    if (total.alerts) this.logger.log(`recorded ${total.alerts} compliance alert level(s), ${total.notifications} notification(s)`);
    return total;
  }

  /** Records the levels not recorded yet and tells each, in one transaction; null when another process holds the sweep. */
  private async record(due: Due[], now: Date): Promise<ComplianceAlertsResult | null> {
    return this.ds.transaction(async (m) => {
      const lock = await selectRow<{ locked: boolean }>(m, `SELECT pg_try_advisory_xact_lock($1) AS locked`, [ADVISORY_LOCK.complianceAlerts]);
      if (!lock?.locked) return null;
      const inserted = await selectRows<{ id: string; target_id: string; unit_code: string; level: string }>(
        m,
        `INSERT INTO compliance_alerts (target_id, unit_code, due_at, level, fire_at, fired_at)
         SELECT t, u, d, l, f, $6 FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[]) AS x(t, u, d, l, f)
         ON CONFLICT ON CONSTRAINT compliance_alerts_uq DO NOTHING RETURNING id::text AS id, target_id, unit_code, level`,
        [due.map((d) => d.s.target.id), due.map((d) => d.s.unit.code), due.map((d) => d.missed), due.map((d) => d.rung.level), due.map((d) => d.fireAt), now],
      );
      let notifications = 0;
      for (const row of inserted) {
        const d = due.find((x) => x.s.target.id === row.target_id && x.s.unit.code === row.unit_code && x.rung.level === row.level)!;
        notifications += await this.tell(m, row.id, d);
      }
      return { alerts: inserted.length, notifications };
    });
  }

  private async tell(m: EntityManager, alertId: string, d: Due): Promise<number> {
    const recipients = await this.recipients(m, d);
    const { title, body } = this.message(d);
    if (recipients.length) {
      await writeNotifications(
        m,
        { kind: 'compliance', complianceAlertId: alertId },
        recipients.map((officerId) => ({ officerId, kind: `compliance.${d.rung.level}`, title, body })),
      );
    } else {
      this.logger.warn(`unit ${d.s.unit.code} missed target ${d.s.target.id} (level ${d.rung.level}) but nobody to tell (${d.rung.notify.join(', ')})`);
    }
    await writeAuditEvent(m, {
      caseId: null,
      actor: COMPLIANCE_ACTOR,
      action: 'compliance_alert',
      data: { alertId, targetId: d.s.target.id, unitCode: d.s.unit.code, level: d.rung.level, dueAt: d.missed.toISOString(), notified: recipients.length },
    });
    await this.deliveries.announce(m, { event: 'compliance', key: `${COMPLIANCE_DELIVERY_KIND}.${alertId}`, emailOfficers: recipients });
    return recipients.length;
  }

  /**
   * The ladder's roles as people now: the unit's designees (active; an absent one's cover in their
   * place), every active supervisor or auditor.
   */
  private async recipients(m: EntityManager, d: Due): Promise<string[]> {
    const roles = [...(d.rung.notify.includes('supervisors') ? ['SUPERVISOR'] : []), ...(d.rung.notify.includes('auditors') ? ['AUDITOR'] : [])];
    const unit = await selectRow<{ handler_id: string | null; leader_id: string | null }>(m, `SELECT handler_id, leader_id FROM units WHERE code = $1`, [
      d.s.unit.code,
    ]);
    const named = [...(d.rung.notify.includes('leader') ? [unit?.leader_id] : []), ...(d.rung.notify.includes('handler') ? [unit?.handler_id] : [])].filter(
      (id): id is string => !!id,
    );
    const covers = await coversAt(m, named, this.clock.now());
    const rows = await selectRows<{ id: string }>(
      m,
      `SELECT o.id FROM officers o WHERE o.active AND (o.id = ANY($1::uuid[]) OR o.role = ANY($2::text[])) ORDER BY o.id`,
      [named.map((id) => covers.get(id) ?? id), roles],
    );
    return rows.map((r) => r.id);
  }

  /** Names the unit, the target and the dates; nothing about any citizen. */
  private message(d: Due): { title: string; body: string } {
    const t = d.s.target;
    const st = d.s.standing;
    const title = `${d.rung.label}: ${d.s.unit.name} - ${KIND_WORDS[t.kind]}`.slice(0, 200);
    const value =
      st.value === null
        ? 'chưa báo cáo'
        : t.kind === 'notice_cadence'
          ? `${st.value} ngày chưa đăng tin`
          : t.kind === 'designation'
            ? `${st.value}/2 đầu mối`
            : `${st.value}%`;
    const goal = t.kind === 'notice_cadence' ? `ít nhất ${st.target} ngày một tin` : t.kind === 'designation' ? '2/2 đầu mối' : `${st.target}%`;
    const body = `${d.s.unit.name} chưa đạt chỉ tiêu "${t.name}": hiện ${value}, yêu cầu ${goal}, hạn ${localDate(d.missed)}.`;
    return { title, body };
  }

  private async payload(id: string, db: Sql = this.ds) {
    const row = await selectRow<{
      id: string;
      target_id: string;
      unit_code: string;
      unit_name: string;
      level: string;
      due_at: Date;
      fired_at: Date;
      title: string | null;
      body: string | null;
    }>(
      db,
      `SELECT a.id::text AS id, a.target_id, a.unit_code, u.name AS unit_name, a.level, a.due_at, a.fired_at,
              (SELECT title FROM notifications n WHERE n.compliance_alert_id = a.id ORDER BY n.id LIMIT 1) AS title,
              (SELECT body FROM notifications n WHERE n.compliance_alert_id = a.id ORDER BY n.id LIMIT 1) AS body
         FROM compliance_alerts a JOIN units u ON u.code = a.unit_code WHERE a.id::text = $1`,
      [id],
    );
    if (!row) throw new NotFoundError('compliance alert', id);
    return {
      event: 'compliance' as const,
      alertId: row.id,
      targetId: row.target_id,
      unit: { code: row.unit_code, name: row.unit_name },
      level: row.level,
      dueAt: row.due_at.toISOString(),
      firedAt: row.fired_at.toISOString(),
      title: row.title ?? `Chưa đạt chỉ tiêu: ${row.unit_name}`,
      body: row.body ?? '',
    };
  }
}

/** The last day allowed, 'DD/MM/YYYY' on the Vietnam calendar (the deadline is the next day's start). */
function localDate(exclusiveEnd: Date): string {
  const iso = new Date(exclusiveEnd.getTime() - 1 + VIETNAM_UTC_OFFSET_MS).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}
