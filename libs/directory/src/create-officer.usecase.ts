import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { DataSource } from 'typeorm';
import { checkPassword, hashPassword } from '@fr/auth';
import { canonicalUsername, ConflictError, isOfficerRole, nfc, OFFICER_ROLES, OfficerRole, UnprocessableFieldError, ValidationError } from '@fr/domain';
import { selectRow, writeAuditEvent } from '@fr/persistence';
import { checkRoleUnit } from './role-unit';
import { OFFICER_COLUMNS, officerEmail, OfficerRow, OfficerView, toOfficerView, USERNAME_PATTERN } from './officer-view';

export interface CreateOfficerCommand {
  /** The administrator creating the account. */
  actorId: string;
  username: string;
  password: string;
  fullName: string;
  role: OfficerRole;
  unitCode: string;
  /** Where notices are e-mailed; none: the in-app inbox only. */
  email?: string;
}

export function isUniqueViolation(e: unknown, constraint: string): boolean {
  const err = e as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = err.driverError?.code ?? err.code;
  return code === '23505' && (err.driverError?.constraint ?? err.constraint) === constraint;
}

/** The office creates officers' accounts (tài khoản quản trị) and grants their role in one unit. */
@Injectable()
export class CreateOfficer {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: CreateOfficerCommand): Promise<OfficerView> {
    const username = canonicalUsername(cmd.username);
    if (!USERNAME_PATTERN.test(username)) {
      throw new ValidationError('username must be 3 to 64 unaccented Latin letters (a-z, A-Z), digits, dots, dashes or underscores', ['username']);
    }
    if (!isOfficerRole(cmd.role)) throw new ValidationError(`role must be one of ${OFFICER_ROLES.join(', ')}`, ['role']);
    checkPassword(cmd.password, username);
    const fullName = nfc(cmd.fullName).trim();
    if (!fullName) throw new ValidationError('fullName must not be blank', ['fullName']);
    const email = cmd.email === undefined ? null : officerEmail(cmd.email);
    const passwordHash = await hashPassword(cmd.password);

    try {
      return await this.ds.transaction(async (m) => {
        const unit = await selectRow<{ code: string; active: boolean }>(m, `SELECT code, active FROM units WHERE code = $1`, [cmd.unitCode]);
        if (!unit) throw new UnprocessableFieldError('unitCode', `unit '${cmd.unitCode}' does not exist; GET /v1/units lists the units`);
        if (!unit.active) throw new UnprocessableFieldError('unitCode', `unit '${cmd.unitCode}' is no longer active`);
        await checkRoleUnit(m, this.config.hotlineUnits, cmd.role, cmd.unitCode);
        // A scheduled reorganisation makes this account for a new unit's focal point: taken now, the plan
        // would stay unresolved at its date ("username … is already an officer's").
        const reserved = await selectRow<{ id: string; name: string }>(
          m,
          `SELECT r.id::text AS id, r.plan->>'name' AS name FROM reorganisations r, jsonb_array_elements(r.plan->'newUnits') u
            WHERE r.status = 'scheduled' AND $1 IN (lower(u->'handler'->>'username'), lower(u->'leader'->>'username')) LIMIT 1`,
          [username],
        );
        if (reserved) {
          throw new ConflictError(
            `username '${username}' is named for a new unit's focal point by scheduled reorganisation ${reserved.id} ('${reserved.name}'), which makes the account at its date; choose another username`,
          );
        }
        const row = await selectRow<OfficerRow>(
          m,
          `INSERT INTO officers (username, full_name, role, unit_code, password_hash, email) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING ${OFFICER_COLUMNS}`,
          [username, fullName, cmd.role, cmd.unitCode, passwordHash, email],
        );
        if (!row) throw new Error('INSERT INTO officers returned no row');
        const officer = toOfficerView(row);
        await writeAuditEvent(m, {
          caseId: null,
          actor: `officer:${cmd.actorId}`,
          action: 'officer_created',
          // Whether it has an e-mail address, not the address: the trail cannot forget what it holds.
          data: { officerId: officer.id, username, fullName, role: officer.role, unitCode: officer.unitCode, emailSet: email !== null },
        });
        return officer;
      });
    } catch (e) {
      if (isUniqueViolation(e, 'officers_username_uq')) throw new ConflictError(`username '${username}' is already taken`);
      throw e;
    }
  }
}
