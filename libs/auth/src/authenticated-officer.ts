import type { Request } from 'express';
import type { OfficerRole } from '@fr/domain';

/** The officer behind a request, as read from the database when the token was checked. */
export interface AuthenticatedOfficer {
  id: string;
  username: string;
  fullName: string;
  role: OfficerRole;
  unitCode: string;
}

/** A request that passed JwtAuthGuard. */
export interface OfficerRequest extends Request {
  officer?: AuthenticatedOfficer;
}
