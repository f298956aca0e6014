import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@fr/domain';
import { execute, selectRow, selectRows, writeAuditEvent } from '@fr/persistence';
import { Clock } from '@fr/sla';
import {
  ABSENCE_COLUMNS,
  AbsenceActor,
  AbsenceForbiddenError,
  AbsenceRow,
  AbsenceView,
  mayManageAbsences,
  officerInSight,
  toAbsenceView,
} from './absence-view';

/** Who may read an officer's absences: those who manage them, and the office's supervisors and auditors. */
const READERS = ['SUPERVISOR', 'AUDITOR'];

/** An officer's absences, latest first, and their cancellation. */
@Injectable()
export class OfficerAbsences {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async list(actor: AbsenceActor, officerId: string): Promise<AbsenceView[]> {
    const officer = officerInSight(
      actor,
      await selectRow<{ id: string; unit_code: string }>(this.ds, `SELECT id, unit_code FROM officers WHERE id = $1`, [officerId]),
      officerId,
    );
    if (!mayManageAbsences(actor, officer) && !READERS.includes(actor.role)) {
      throw new AbsenceForbiddenError(
        `only the officer, a leader of unit '${officer.unit_code}', an administrator, a supervisor or an auditor reads this officer's absences`,
      );
    }
    const rows = await selectRows<AbsenceRow>(
      this.ds,
      `SELECT ${ABSENCE_COLUMNS} FROM officer_absences a JOIN officers co ON co.id = a.cover_id WHERE a.officer_id = $1 ORDER BY a.starts_at DESC, a.id DESC`,
      [officer.id],
    );
    const now = this.clock.now();
    return rows.map((r) => toAbsenceView(r, now));
  }

  /** Ends an absence now (or drops one not yet begun); the row stays, marked cancelled. */
  async cancel(actor: AbsenceActor, officerId: string, absenceId: string): Promise<void> {
    if (!/^\d{1,18}$/.test(absenceId)) throw new NotFoundError('absence', absenceId);
    await this.ds.transaction(async (m) => {
      const officer = officerInSight(
        actor,
        await selectRow<{ id: string; unit_code: string }>(m, `SELECT id, unit_code FROM officers WHERE id = $1 FOR UPDATE`, [officerId]),
        officerId,
      );
      if (!mayManageAbsences(actor, officer)) {
        throw new AbsenceForbiddenError(`only the officer, a leader of unit '${officer.unit_code}' or an administrator cancels this officer's absences`);
      }
      const changed = await execute(m, `UPDATE officer_absences SET cancelled_at = $3 WHERE id = $1 AND officer_id = $2 AND cancelled_at IS NULL`, [
        absenceId,
        officer.id,
        this.clock.now(),
      ]);
      if (changed === 0) {
        // A DELETE sent again (a retry after a lost answer) finds it cancelled: done already, as DELETE
        // /v1/reorganisations/{id} answers; nothing is changed or recorded twice.
        const cancelled = await selectRow(m, `SELECT id FROM officer_absences WHERE id = $1 AND officer_id = $2 AND cancelled_at IS NOT NULL`, [
          absenceId,
          officer.id,
        ]);
        if (cancelled) return;
        throw new NotFoundError('absence', absenceId);
      }
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actor.id}`, action: 'absence_cancelled', data: { absenceId, officerId: officer.id } });
    });
  }
}
