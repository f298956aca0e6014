import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { DataSource, EntityManager } from 'typeorm';
import { checkPassword, hashPassword } from '@fr/auth';
import {
  ConflictError,
  isOfficerRole,
  nfc,
  NotFoundError,
  OFFICER_ROLES,
  OfficerRole,
  UnprocessableError,
  UnprocessableFieldError,
  ValidationError,
} from '@fr/domain';
import { handOverHeldCases } from '@fr/cases';
import {
  absenceCoveredBy,
  activeOfficersWithRole,
  ADVISORY_LOCK,
  coversAt,
  execute,
  selectRow,
  selectRows,
  writeAuditEvent,
  writeNotifications,
} from '@fr/persistence';
import { Clock } from '@fr/sla';
import { checkRoleUnit } from './role-unit';
import { OFFICER_COLUMNS, officerEmail, OfficerRow, OfficerView, toOfficerView } from './officer-view';

export interface UpdateOfficerCommand {
  actorId: string;
  officerId: string;
  fullName?: string;
  role?: OfficerRole;
  unitCode?: string;
  password?: string;
  active?: boolean;
  /** A new address; null removes it (notices then reach the in-app inbox only). */
  email?: string | null;
}

type Change = { from: unknown; to: unknown };

/**
 * Changes an officer's account. Disabling it, or changing its role, unit or password, bumps its
 * token_version: tokens issued before stop working on their next request.
 */
@Injectable()
export class UpdateOfficer {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async execute(cmd: UpdateOfficerCommand): Promise<OfficerView> {
    const { fullName, role, unitCode, password, active } = cmd;
    if ([fullName, role, unitCode, password, active, cmd.email].every((v) => v === undefined)) {
      throw new ValidationError('nothing to update: send at least one of fullName, role, unitCode, password, active, email', [
        'fullName',
        'role',
        'unitCode',
        'password',
        'active',
        'email',
      ]);
    }
    const email = cmd.email === undefined || cmd.email === null ? cmd.email : officerEmail(cmd.email);
    if (role !== undefined && !isOfficerRole(role)) throw new ValidationError(`role must be one of ${OFFICER_ROLES.join(', ')}`, ['role']);
    const name = fullName === undefined ? undefined : nfc(fullName).trim();
    if (name === '') throw new ValidationError('fullName must not be blank', ['fullName']);
    const passwordHash = password === undefined ? null : await this.checkedHash(cmd.officerId, password);

    return this.ds.transaction(async (m) => {
      const row = await selectRow<OfficerRow>(m, `SELECT ${OFFICER_COLUMNS} FROM officers WHERE id = $1 FOR UPDATE`, [cmd.officerId]);
      if (!row) throw new NotFoundError('officer', cmd.officerId);
      const before = toOfficerView(row);

      const changes: Record<string, Change> = {};
      if (name !== undefined && name !== before.fullName) changes.fullName = { from: before.fullName, to: name };
      if (role !== undefined && role !== before.role) changes.role = { from: before.role, to: role };
      if (unitCode !== undefined && unitCode !== before.unitCode) changes.unitCode = { from: before.unitCode, to: unitCode };
      if (active !== undefined && active !== before.active) changes.active = { from: before.active, to: active };
      const emailChanged = email !== undefined && email !== before.email;

      if (changes.unitCode) {
        const unit = await selectRow<{ active: boolean }>(m, `SELECT active FROM units WHERE code = $1`, [unitCode]);
        if (!unit) throw new UnprocessableFieldError('unitCode', `unit '${unitCode}' does not exist; GET /v1/units lists the units`);
        if (!unit.active) throw new UnprocessableFieldError('unitCode', `unit '${unitCode}' is no longer active`);
      }
      if (changes.role || changes.unitCode) await checkRoleUnit(m, this.config.hotlineUnits, role ?? before.role, unitCode ?? before.unitCode);
      if (cmd.actorId === before.id && (active === false || changes.role)) {
        throw new UnprocessableError('administrators may not disable their own account or change their own role');
      }
      if (before.role === 'ADMIN' && before.active && ((changes.active && active === false) || changes.role)) await this.refuseIfLastAdmin(m, before.id);
      // Disabling a designee is allowed (an officer leaves, falls ill): their unit is then handled as
      // below. Changing a designee's role or unit would leave the unit a designee who no longer qualifies.
      if (changes.role || changes.unitCode) {
        await this.refuseIfDesignated(m, before);
        await this.refuseIfCovering(m, before);
      }

      if (Object.keys(changes).length === 0 && passwordHash === null && !emailChanged) return before;

      const revoke = active === false || !!changes.role || !!changes.unitCode || passwordHash !== null;
      const updated = await selectRow<OfficerRow>(
        m,
        `UPDATE officers SET full_name = $2, role = $3, unit_code = $4, active = $5,
                password_hash = COALESCE($6, password_hash),
                token_version = token_version + $7, email = $8, updated_at = now()
          WHERE id = $1 RETURNING ${OFFICER_COLUMNS}`,
        [
          before.id,
          name ?? before.fullName,
          role ?? before.role,
          unitCode ?? before.unitCode,
          active ?? before.active,
          passwordHash,
          revoke ? 1 : 0,
          email === undefined ? before.email : email,
        ],
      );
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${cmd.actorId}`,
        action: 'officer_updated',
        // That the address changed, not the address, as for the password: the trail cannot forget what it holds.
        data: { officerId: before.id, username: before.username, changes, passwordChanged: passwordHash !== null, emailChanged, tokensRevoked: revoke },
      });
      if (!updated) throw new Error(`officer ${before.id} vanished while locked`);
      if (changes.active && active === false) await this.designeeLeft(m, before, cmd.actorId);
      // One who can no longer work the unit's cases (disabled, moved, or given a role that handles none)
      // hands over those they hold there.
      if ((changes.active && active === false) || changes.unitCode || changes.role) {
        await handOverHeldCases(m, before.id, before.unitCode, `officer:${cmd.actorId}`);
      }
      return toOfficerView(updated);
    });
  }

  /**
   * Checked against the officer's username, which never changes: read before the transaction, so
   * that the row is not held locked while argon2 hashes.
   */
  private async checkedHash(officerId: string, password: string): Promise<string> {
    const officer = await selectRow<{ username: string }>(this.ds, `SELECT username FROM officers WHERE id = $1`, [officerId]);
    if (!officer) throw new NotFoundError('officer', officerId);
    checkPassword(password, officer.username);
    return hashPassword(password);
  }

  /**
   * A designee disabled while someone covers their absence: the cover goes on taking the unit's cases
   * until the absence ends. Without cover, routing sends the unit's new cases to triage (a disabled
   * designee is no designee) and the office's supervisors are told now, not at the next breach.
   */
  private async designeeLeft(m: EntityManager, officer: OfficerView, actorId: string): Promise<void> {
    const units = await selectRows<{ code: string; name: string; as: 'handler' | 'leader' }>(
      m,
      `SELECT code, name, CASE WHEN handler_id = $1 THEN 'handler' ELSE 'leader' END AS as
         FROM units WHERE active AND (handler_id = $1 OR leader_id = $1) ORDER BY code`,
      [officer.id],
    );
    if (units.length === 0) return;
    const covered = (await coversAt(m, [officer.id], this.clock.now())).has(officer.id);
    let notified = 0;
    if (!covered) {
      const supervisors = await activeOfficersWithRole(m, ['SUPERVISOR']);
      for (const u of units) {
        const what = u.as === 'handler' ? 'công chức đầu mối' : 'lãnh đạo đầu mối';
        const title = `${u.name}: không còn ${what}`.slice(0, 200);
        const body =
          u.as === 'handler'
            ? `Tài khoản ${what} của ${u.name} (${u.code}) đã bị vô hiệu hóa, không có người thay thế: phản ánh mới của đơn vị chuyển về phân loại (triage) cho đến khi cử người khác.`
            : `Tài khoản ${what} của ${u.name} (${u.code}) đã bị vô hiệu hóa, không có người thay thế: cần cử lãnh đạo đầu mối khác.`;
        const written = await writeNotifications(
          m,
          { kind: 'coverage' },
          supervisors.map((officerId) => ({ officerId, kind: 'coverage.lost', title, body })),
        );
        notified += written.length;
      }
    }
    await writeAuditEvent(m, {
      caseId: null,
      actor: `officer:${actorId}`,
      action: 'designee_disabled',
      data: { officerId: officer.id, units: units.map((u) => ({ unitCode: u.code, as: u.as })), covered, supervisorsNotified: notified },
    });
  }

  /**
   * Someone must be able to administer the engine: the last active administrator cannot be disabled or
   * given another role (only SQL could bring one back). Serialised by a lock, then counted: two
   * administrators disabling each other at once both saw the other still active and left none.
   */
  private async refuseIfLastAdmin(m: EntityManager, officerId: string): Promise<void> {
    await execute(m, `SELECT pg_advisory_xact_lock($1)`, [ADVISORY_LOCK.administrators]);
    const others = await selectRow<{ n: number }>(m, `SELECT count(*)::int AS n FROM officers WHERE role = 'ADMIN' AND active AND id <> $1`, [officerId]);
    if (!others?.n) throw new UnprocessableError('at least one active administrator must remain: enable or appoint another administrator first');
  }

  /**
   * A cover must be of the absent officer's unit and role while the absence lasts (RecordAbsence):
   * moved or given another role, they would be named for cases they could not see. Routing would skip
   * them (coversAt), leaving the absent officer without cover; refused here so that it is a choice.
   */
  private async refuseIfCovering(m: EntityManager, officer: OfficerView): Promise<void> {
    const covering = await absenceCoveredBy(m, officer.id, this.clock.now(), null);
    if (covering) {
      throw new ConflictError(
        `officer '${officer.username}' covers the absence of '${covering.username}' until ${new Date(covering.ends_at).toISOString()} (absence ${covering.id}); cancel that absence and record it with another cover first`,
      );
    }
  }

  /**
   * A unit's designated handler and leader must stay active officers of that unit with that role. Only
   * a unit that still exists holds its designees: an ended unit's designation is closed and cannot be
   * changed, so it does not hold its last designees in place.
   */
  private async refuseIfDesignated(m: EntityManager, officer: OfficerView): Promise<void> {
    const units = await selectRows<{ code: string; as: string }>(
      m,
      `SELECT code, CASE WHEN handler_id = $1 THEN 'handler' ELSE 'leader' END AS as
         FROM units WHERE active AND (handler_id = $1 OR leader_id = $1) ORDER BY code`,
      [officer.id],
    );
    if (units.length) {
      const { code, as } = units[0];
      throw new ConflictError(
        `officer '${officer.username}' is the designated ${as} of unit '${code}'; designate someone else first (PUT /v1/units/${code}/designation)`,
      );
    }
  }
}
