import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JsonWebTokenError, JwtService, TokenExpiredError } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { DataSource } from 'typeorm';
import { isOfficerRole, isUuid } from '@fr/domain';
import { selectRow } from '@fr/persistence';
import { AuthenticatedOfficer } from './authenticated-officer';

/** What an access token carries (HS256): the officer, and the account's token_version when issued. */
export interface AccessTokenClaims {
  sub: string;
  role: string;
  unit: string;
  ver: number;
}

/** Set and checked by the library (AuthModule's sign and verify options), besides AccessTokenClaims. */
interface RegisteredClaims {
  iat?: unknown;
  exp?: unknown;
}

/** `iss` of every token; `aud` is the deployment's (AppConfig.jwtAudience). */
export const TOKEN_ISSUER = 'feedback-router';
/** How far ahead of this server's clock another API instance's may be when it issues a token. */
export const TOKEN_CLOCK_SKEW_SECONDS = 30;

export interface OfficerAccount extends AuthenticatedOfficer {
  active: boolean;
  tokenVersion: number;
}

/** An officer's row as authentication reads it (the directory owns the table). */
export interface OfficerAccountRow {
  id: string;
  username: string;
  full_name: string;
  role: string;
  unit_code: string;
  active: boolean;
  token_version: number;
}

export const OFFICER_ACCOUNT_COLUMNS = 'id, username, full_name, role, unit_code, active, token_version';

/**
 * Issues access tokens and turns a presented token into the officer behind it. Every check reads
 * the officer row (one primary-key lookup, no cache), so disabling an account or bumping its
 * token_version stops its tokens on the very next request, on every API instance.
 */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly jwt: JwtService,
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issue(officer: OfficerAccount): Promise<string> {
    const claims: AccessTokenClaims = { sub: officer.id, role: officer.role, unit: officer.unitCode, ver: officer.tokenVersion };
    return this.jwt.signAsync(claims);
  }

  async authenticate(token: string): Promise<AuthenticatedOfficer> {
    let claims: Partial<AccessTokenClaims> & RegisteredClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token);
    } catch (e) {
      if (e instanceof TokenExpiredError) {
        throw new UnauthorizedException(`access token expired at ${e.expiredAt.toISOString()}; log in again`);
      }
      if (e instanceof JsonWebTokenError && /^jwt (issuer|audience) invalid/.test(e.message)) {
        throw new UnauthorizedException('invalid access token: not issued for this deployment (iss, aud)');
      }
      throw new UnauthorizedException('invalid access token: bad signature or malformed token');
    }
    if (!isUuid(claims.sub) || !Number.isInteger(claims.ver)) {
      throw new UnauthorizedException('invalid access token: missing or malformed claims');
    }
    // The checks below refuse what only someone holding the secret could make (this code issues none
    // such): a token that never expires, one dated in the future so that maxAge, counted from iat, would
    // not end it, and one whose exp lies beyond the TTL.
    if (typeof claims.exp !== 'number') throw new UnauthorizedException('invalid access token: it has no expiry (exp)');
    if (typeof claims.iat !== 'number') throw new UnauthorizedException('invalid access token: it has no issue time (iat)');
    if (claims.iat > Date.now() / 1000 + TOKEN_CLOCK_SKEW_SECONDS) throw new UnauthorizedException('invalid access token: issued in the future (iat)');
    if (claims.exp - claims.iat > this.config.jwtTtlSeconds) {
      throw new UnauthorizedException(`invalid access token: its lifetime exceeds ${this.config.jwtTtlSeconds} s (exp - iat)`);
    }
    const account = await this.account(claims.sub);
    if (!account) throw new UnauthorizedException('the account of this access token no longer exists');
    if (!account.active) throw new UnauthorizedException('account is disabled');
    if (account.tokenVersion !== claims.ver) {
      throw new UnauthorizedException("access token was revoked (the account's password, role or unit changed); log in again");
    }
    return { id: account.id, username: account.username, fullName: account.fullName, role: account.role, unitCode: account.unitCode };
  }

  private async account(id: string): Promise<OfficerAccount | null> {
    const row = await selectRow<OfficerAccountRow>(this.ds, `SELECT ${OFFICER_ACCOUNT_COLUMNS} FROM officers WHERE id = $1`, [id]);
    return row ? toOfficerAccount(row) : null;
  }
}

/** The account as tokens name it; null for a row whose role is none of the officers' (never issued a token). */
export function toOfficerAccount(row: OfficerAccountRow): OfficerAccount | null {
  if (!isOfficerRole(row.role)) return null;
  return {
    id: row.id,
    username: row.username,
    fullName: row.full_name,
    role: row.role,
    unitCode: row.unit_code,
    active: row.active,
    tokenVersion: row.token_version,
  };
}
