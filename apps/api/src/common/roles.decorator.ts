import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ROLES_KEY } from '@fr/auth';
import type { OfficerRole } from '@fr/domain';

/** The OpenAPI extension that names an operation's roles; the document also writes them into its description. */
export const ROLES_EXTENSION = 'x-roles';

/**
 * The roles that may call a route (method level overrides class level); checked by RolesGuard, and
 * written into the OpenAPI document (`x-roles`), so that the document says who may call it.
 */
export const Roles = (...roles: OfficerRole[]) => applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension(ROLES_EXTENSION, roles));
