import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { canonicalUsername, isOfficerRole } from '@fr/domain';
import { execute, selectRow } from '@fr/persistence';
import { AccessTokens, OFFICER_ACCOUNT_COLUMNS, OfficerAccountRow } from './access-tokens';
import { AuthenticatedOfficer } from './authenticated-officer';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords';
import { RequestLimits } from './request-limits';

export interface LogInCommand {
  username: string;
  password: string;
  /** The client's address, for the per-address limits. */
  clientIp: string;
}

export interface LogInResult {
  accessToken: string;
  /** Seconds until the token expires. */
  expiresIn: number;
  officer: AuthenticatedOfficer;
}

export const INVALID_CREDENTIALS = 'invalid username or password';

/**
 * Exchanges a username and password for an access token. Unknown users and accounts without a
 * password (seeded officers the office has not activated yet) cost one argon2 verification too and
 * get the same answer as a wrong password, so neither the message nor the timing tells which
 * usernames exist.
 */
@Injectable()
export class LogIn {
  constructor(
    private readonly ds: DataSource,
    private readonly tokens: AccessTokens,
    private readonly limits: RequestLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: LogInCommand): Promise<LogInResult> {
    const username = canonicalUsername(cmd.username);
    const ticket = await this.limits.beginLogin(username, cmd.clientIp);
    // Compared exactly: the folding is canonicalUsername's alone (see there).
    const row = await selectRow<OfficerAccountRow & { password_hash: string | null }>(
      this.ds,
      `SELECT ${OFFICER_ACCOUNT_COLUMNS}, password_hash FROM officers WHERE lower(username) = $1`,
      [username],
    ).catch(async (e: unknown) => {
      // No password checked (the database away): no failure to count, or retries during an outage lock the officer out.
      await this.limits.loginSucceeded(ticket);
      throw e;
    });
    const verified = row?.password_hash ? await verifyPassword(row.password_hash, cmd.password) : await verifyAgainstDummy(cmd.password);
    if (!verified || !row || !isOfficerRole(row.role)) throw new UnauthorizedException(INVALID_CREDENTIALS);
    // Said only to someone who knows the password, so it reveals nothing to a guesser.
    if (!row.active) throw new UnauthorizedException('account is disabled; ask an administrator');
    await this.limits.loggedIn(ticket);
    // The directive counts a focal point's admin account as in use from its first log-in.
    await execute(this.ds, `UPDATE officers SET first_login_at = now() WHERE id = $1 AND first_login_at IS NULL`, [row.id]);
    // A hash made from a decomposed password matches only that spelling: hashed again in NFC, either
    // spelling logs in from now on. Unless the password changed meanwhile.
    if (verified === 'raw' && row.password_hash) {
      await execute(this.ds, `UPDATE officers SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [
        row.id,
        row.password_hash,
        await hashPassword(cmd.password),
      ]);
    }

    const officer: AuthenticatedOfficer = {
      id: row.id,
      username: row.username,
      fullName: row.full_name,
      role: row.role,
      unitCode: row.unit_code,
    };
    const accessToken = await this.tokens.issue({ ...officer, active: true, tokenVersion: row.token_version });
    return { accessToken, expiresIn: this.config.jwtTtlSeconds, officer };
  }
}
