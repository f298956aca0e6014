import { SetMetadata } from '@nestjs/common';
import type { OfficerRole } from '@fr/domain';

export const ROLES_KEY = 'fr:roles';

/** The roles that may call a route (method level overrides class level); checked by RolesGuard. */
export const Roles = (...roles: OfficerRole[]) => SetMetadata(ROLES_KEY, roles);
