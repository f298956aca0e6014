import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError, UnprocessableError } from '@fr/domain';
import { followUnitDesignation } from '@fr/cases';
import { execute, selectRow, writeAuditEvent } from '@fr/persistence';
import { selectUnits, UnitView } from './unit-view';

export interface DesignateUnitOfficersCommand {
  actorId: string;
  unitCode: string;
  /** null clears the designation. */
  handlerId: string | null;
  leaderId: string | null;
}

export interface DesignateUnitOfficersResult {
  unit: UnitView;
  /** Open cases of the unit that moved to the new designees. */
  movedCases: number;
}

const ROLE_OF = { handler: 'HANDLER', leader: 'LEADER' } as const;

/**
 * Names a unit's designated handler and leader (công chức / lãnh đạo đầu mối). In one transaction
 * the unit's open cases move to them (libs/cases: followUnitDesignation), so no open case is left
 * with a handler the unit no longer designates.
 */
@Injectable()
export class DesignateUnitOfficers {
  constructor(private readonly ds: DataSource) {}

  execute(input: DesignateUnitOfficersCommand): Promise<DesignateUnitOfficersResult> {
    // PostgreSQL prints uuids in lower case; compare and record them the same way.
    const cmd = { ...input, handlerId: input.handlerId?.toLowerCase() ?? null, leaderId: input.leaderId?.toLowerCase() ?? null };
    return this.ds.transaction(async (m) => {
      // NO KEY UPDATE: only non-key columns change, and rows that reference the unit (an escalation
      // fired meanwhile, holding its cases) need not wait for this, nor this for them.
      const unit = await selectRow<{ code: string; active: boolean; handler_id: string | null; leader_id: string | null }>(
        m,
        `SELECT code, active, handler_id, leader_id FROM units WHERE code = $1 FOR NO KEY UPDATE`,
        [cmd.unitCode],
      );
      if (!unit) throw new NotFoundError('unit', cmd.unitCode);
      if (!unit.active) throw new UnprocessableError(`unit '${cmd.unitCode}' is no longer active`);
      await this.checkDesignee(m, cmd.unitCode, 'handler', cmd.handlerId);
      await this.checkDesignee(m, cmd.unitCode, 'leader', cmd.leaderId);

      const designationChanged = unit.handler_id !== cmd.handlerId || unit.leader_id !== cmd.leaderId;
      if (designationChanged) {
        await execute(m, `UPDATE units SET handler_id = $2, leader_id = $3, updated_at = now() WHERE code = $1`, [cmd.unitCode, cmd.handlerId, cmd.leaderId]);
      }
      const actor = `officer:${cmd.actorId}`;
      const moved = await followUnitDesignation(m, { unitCode: cmd.unitCode, handlerId: cmd.handlerId, leaderId: cmd.leaderId, actor });
      if (designationChanged || moved > 0) {
        await writeAuditEvent(m, {
          caseId: null,
          actor,
          action: 'designation_changed',
          data: {
            unitCode: cmd.unitCode,
            fromHandlerId: unit.handler_id,
            toHandlerId: cmd.handlerId,
            fromLeaderId: unit.leader_id,
            toLeaderId: cmd.leaderId,
            movedCases: moved,
          },
        });
      }
      const [view] = await selectUnits(m, cmd.unitCode);
      return { unit: view, movedCases: moved };
    });
  }

  private async checkDesignee(m: EntityManager, unitCode: string, as: 'handler' | 'leader', id: string | null): Promise<void> {
    if (id === null) return;
    // FOR SHARE: an officer cannot be disabled or moved while being designated (UpdateOfficer locks the row).
    const o = await selectRow<{ username: string; role: string; unit_code: string; active: boolean }>(
      m,
      `SELECT username, role, unit_code, active FROM officers WHERE id = $1 FOR SHARE`,
      [id],
    );
    const field = `${as}Id`;
    if (!o) throw new UnprocessableError(`${field}: no officer has id '${id}'`);
    if (o.unit_code !== unitCode) throw new UnprocessableError(`${field}: officer '${o.username}' belongs to unit '${o.unit_code}', not '${unitCode}'`);
    if (o.role !== ROLE_OF[as]) {
      throw new UnprocessableError(`${field}: officer '${o.username}' has role ${o.role}; a unit's designated ${as} must have role ${ROLE_OF[as]}`);
    }
    if (!o.active) throw new UnprocessableError(`${field}: officer '${o.username}' is disabled`);
  }
}
