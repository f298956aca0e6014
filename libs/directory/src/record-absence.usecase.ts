import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConflictError, UnprocessableError, ValidationError } from '@fr/domain';
import { absenceCoveredBy, selectRow, selectRows, writeAuditEvent } from '@fr/persistence';
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

export interface RecordAbsenceCommand {
  actor: AbsenceActor;
  officerId: string;
  from: Date;
  to: Date;
  coverId: string;
}

interface OfficerRow {
  id: string;
  username: string;
  role: string;
  unit_code: string;
  active: boolean;
}

/**
 * Records that an officer will be away from `from` to `to` and who covers: while it lasts, routing,
 * escalations and the cover's queue treat the cover as the officer. The cover must be able to do
 * the officer's work: an active officer of the same unit with the same role.
 */
const MAX_ABSENCE_DAYS = 366;

@Injectable()
export class RecordAbsence {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  execute(cmd: RecordAbsenceCommand): Promise<AbsenceView> {
    if (!(cmd.from < cmd.to)) throw new ValidationError('to must be later than from', ['to']);
    // Long leave (maternity: six months) fits; a mistyped year does not, and would hand the officer's cases on for decades.
    if (cmd.to.getTime() - cmd.from.getTime() > MAX_ABSENCE_DAYS * 86_400_000) {
      throw new ValidationError(
        `an absence lasts at most ${MAX_ABSENCE_DAYS} days (from ${cmd.from.toISOString()} to ${cmd.to.toISOString()}); record a longer one in parts`,
        ['to'],
      );
    }
    const now = this.clock.now();
    if (cmd.to <= now) throw new UnprocessableError('to: the absence would already be over');
    const officerId = cmd.officerId.toLowerCase();
    const coverId = cmd.coverId.toLowerCase();
    return this.ds.transaction(async (m) => {
      // The officer's row is the lock under which their absences are checked for overlap, the cover's
      // row the one under which the cover is checked to be present. Both are taken at once, in id
      // order: two officers made each other's cover at the same time deadlocked (a 500) when each
      // request locked its own officer first.
      const locked = await selectRows<OfficerRow>(
        m,
        `SELECT id, username, role, unit_code, active FROM officers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
        [[officerId, coverId]],
      );
      const officer = officerInSight(
        cmd.actor,
        locked.find((o) => o.id === officerId),
        cmd.officerId,
      );
      if (!mayManageAbsences(cmd.actor, officer)) {
        throw new AbsenceForbiddenError(`only the officer, a leader of unit '${officer.unit_code}' or an administrator records this officer's absences`);
      }
      // An ended unit takes no cases: an absence there would cover nothing, and its officers now work
      // (if at all) under another unit's code, where their absences belong.
      const unit = await selectRow<{ active: boolean }>(m, `SELECT active FROM units WHERE code = $1`, [officer.unit_code]);
      if (unit && !unit.active) throw new UnprocessableError(`unit '${officer.unit_code}' of officer '${officer.username}' is no longer active`);
      if (coverId === officerId) throw new UnprocessableError('coverId: an officer cannot cover their own absence');
      const cover = locked.find((o) => o.id === coverId);
      if (!cover) throw new UnprocessableError(`coverId: no officer has id '${cmd.coverId}'`);
      if (!cover.active) throw new UnprocessableError(`coverId: officer '${cover.username}' is disabled`);
      if (cover.unit_code !== officer.unit_code) {
        throw new UnprocessableError(`coverId: officer '${cover.username}' belongs to unit '${cover.unit_code}', not '${officer.unit_code}'`);
      }
      if (cover.role !== officer.role) {
        throw new UnprocessableError(`coverId: officer '${cover.username}' has role ${cover.role}; covering a ${officer.role} takes role ${officer.role}`);
      }
      const overlapping = (who: string) =>
        selectRow<{ id: string }>(
          m,
          `SELECT id::text AS id FROM officer_absences WHERE officer_id = $1 AND cancelled_at IS NULL AND starts_at < $3 AND ends_at > $2 LIMIT 1`,
          [who, cmd.from, cmd.to],
        );
      const own = await overlapping(officerId);
      if (own) throw new ConflictError(`officer '${officer.username}' already has absence ${own.id} in this period; cancel it first`);
      if (await overlapping(coverId)) throw new UnprocessableError(`coverId: officer '${cover.username}' is away during this period`);
      // The other way round from the cover's check above: an officer who covers someone in this period
      // cannot be away then, or the colleague's work would go to someone absent. (Both officers' rows
      // are locked by whichever request names them, so the two checks cannot pass side by side.)
      const covering = await absenceCoveredBy(m, officerId, cmd.from, cmd.to);
      if (covering) {
        throw new ConflictError(
          `officer '${officer.username}' covers the absence of '${covering.username}' in this period (absence ${covering.id}); cancel that absence and record it with another cover first`,
        );
      }

      const inserted = await selectRow<{ id: string }>(
        m,
        `INSERT INTO officer_absences (officer_id, cover_id, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
        [officerId, coverId, cmd.from, cmd.to, cmd.actor.id],
      );
      if (!inserted) throw new Error('INSERT INTO officer_absences returned no row');
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${cmd.actor.id}`,
        action: 'absence_recorded',
        data: { absenceId: inserted.id, officerId, coverId, from: cmd.from.toISOString(), to: cmd.to.toISOString() },
      });
      const row = await selectRow<AbsenceRow>(m, `SELECT ${ABSENCE_COLUMNS} FROM officer_absences a JOIN officers co ON co.id = a.cover_id WHERE a.id = $1`, [
        inserted.id,
      ]);
      return toAbsenceView(row!, now);
    });
  }
}
