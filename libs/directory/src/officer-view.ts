import { isOfficerRole, nfc, OfficerRole, ValidationError } from '@fr/domain';

/** An officer account as the directory shows it; the password hash never leaves the database. */
export interface OfficerView {
  id: string;
  username: string;
  fullName: string;
  role: OfficerRole;
  unitCode: string;
  active: boolean;
  /** Where the engine e-mails the officer's notices (FR_SMTP_URL); null: the in-app inbox only. */
  email: string | null;
}

export const OFFICER_COLUMNS = 'id, username, full_name, role, unit_code, active, email';

export interface OfficerRow {
  id: string;
  username: string;
  full_name: string;
  role: string;
  unit_code: string;
  active: boolean;
  email: string | null;
}

export function toOfficerView(row: OfficerRow): OfficerView {
  if (!isOfficerRole(row.role)) throw new Error(`officer ${row.id} has unknown role '${row.role}'`);
  return { id: row.id, username: row.username, fullName: row.full_name, role: row.role, unitCode: row.unit_code, active: row.active, email: row.email };
}

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,64}$/;

/**
 * An officer's e-mail address as stored: NFC, trimmed, at most 254 characters (RFC 5321's path), one
 * '@' with something on both sides and a dot in the domain, no spaces or control characters. The API
 * checks the shape first (IsEmail); this holds for every other caller.
 */
export function officerEmail(raw: string): string {
  const email = nfc(raw).trim();
  if (email.length > 254 || !/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u.test(email)) {
    throw new ValidationError('email must be an e-mail address such as ten.can.bo@hbt.gov.vn (at most 254 characters)', ['email']);
  }
  return email;
}
