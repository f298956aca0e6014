import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { AuthenticatedOfficer, OfficerRequest } from './authenticated-officer';

/** The caller of a route guarded by JwtAuthGuard. */
export const CurrentOfficer = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedOfficer => {
  const officer = ctx.switchToHttp().getRequest<OfficerRequest>().officer;
  // Only reachable when a route forgot JwtAuthGuard: refuse rather than run without a caller.
  if (!officer) throw new UnauthorizedException('missing access token: send Authorization: Bearer <token> from POST /v1/auth/login');
  return officer;
});
