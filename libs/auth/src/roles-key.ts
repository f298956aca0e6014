/**
 * The metadata key of the roles that may call a route, read by RolesGuard. The decorator that sets it
 * (and writes the roles into the OpenAPI document) is the API's own, apps/api/src/common/roles.decorator.ts:
 * it needs @nestjs/swagger, which the worker, importing this library for the password functions, would
 * otherwise load for nothing (91 modules, 13 MB of its RSS).
 */
export const ROLES_KEY = 'fr:roles';
