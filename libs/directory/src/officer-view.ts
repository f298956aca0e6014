import { isOfficerRole, OfficerRole } from '@fr/domain';

/** An officer account as the directory shows it; the password hash never leaves the database. */
export interface OfficerView {
  id: string;
  username: string;
  fullName: string;
  role: OfficerRole;
  unitCode: string;
  active: boolean;
}

export const OFFICER_COLUMNS = 'id, username, full_name, role, unit_code, active';

export interface OfficerRow {
  id: string;
  username: string;
  full_name: string;
  role: string;
  unit_code: string;
  active: boolean;
}

export function toOfficerView(row: OfficerRow): OfficerView {
  if (!isOfficerRole(row.role)) throw new Error(`officer ${row.id} has unknown role '${row.role}'`);
  return { id: row.id, username: row.username, fullName: row.full_name, role: row.role, unitCode: row.unit_code, active: row.active };
}

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,64}$/;
