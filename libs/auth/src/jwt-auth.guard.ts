import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AccessTokens } from './access-tokens';
import { OfficerRequest } from './authenticated-officer';

/** Officers authenticate with `Authorization: Bearer <token>` from POST /v1/auth/login. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly tokens: AccessTokens) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<OfficerRequest>();
    req.officer = await this.tokens.authenticate(bearerToken(req.header('authorization')));
    return true;
  }
}

function bearerToken(header: string | undefined): string {
  if (!header) throw new UnauthorizedException('missing access token: send Authorization: Bearer <token> from POST /v1/auth/login');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedException("malformed Authorization header: expected 'Bearer <token>'");
  return m[1];
}
