import { domainToASCII } from 'node:url';
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
 * An officer's e-mail address as stored and as the relay gets it: NFC, trimmed, at most 254 characters
 * (RFC 5321's path), a plain local part (letters, digits and . ! # $ % & ' * + / = ? ^ _ ` { | } ~ -:
 * no quotes, which nodemailer rewrote into another mailbox, no invisible characters), and a domain of
 * labels, an internationalised one stored in its ASCII form (hà-nội.vn as xn--h-ni-0na4517b.vn), since
 * relays without SMTPUTF8 refuse raw UTF-8. The API checks the shape first (IsEmail).
 */
export function officerEmail(raw: string): string {
  const email = nfc(raw).trim();
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = at > 0 ? domainToASCII(email.slice(at + 1).toLowerCase()) : '';
  const address = `${local}@${domain}`;
  if (
    at <= 0 ||
    !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local) ||
    !/^(?=.{1,253}$)([a-z0-9](-*[a-z0-9])*\.)+[a-z][a-z0-9-]*[a-z0-9]$/.test(domain) ||
    address.length > 254
  ) {
    throw new ValidationError('email must be an e-mail address such as ten.can.bo@hbt.gov.vn (at most 254 characters)', ['email']);
  }
  return address;
}
