import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { OfficerRole } from '@fr/domain';
import { OfficerRequest } from './authenticated-officer';
import { ROLES_KEY } from './roles-key';

/** Runs after JwtAuthGuard: `@UseGuards(JwtAuthGuard, RolesGuard)`. A route without @Roles admits any officer. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<OfficerRole[] | undefined>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (!roles || roles.length === 0) return true;
    const req = ctx.switchToHttp().getRequest<OfficerRequest>();
    if (!req.officer) throw new UnauthorizedException('missing access token: send Authorization: Bearer <token> from POST /v1/auth/login');
    if (roles.includes(req.officer.role)) return true;
    const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
    throw new ForbiddenException(`role ${req.officer.role} may not ${req.method} ${route} (allowed: ${roles.join(', ')})`);
  }
}
