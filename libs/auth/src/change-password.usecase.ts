import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ConflictError, nfc, ValidationError } from '@fr/domain';
import { selectRow, writeAuditEvent } from '@fr/persistence';
import { AccessTokens, OFFICER_ACCOUNT_COLUMNS, OfficerAccountRow, toOfficerAccount } from './access-tokens';
import { AuthenticatedOfficer } from './authenticated-officer';
import { checkPassword } from './password-policy';
import { hashPassword, verifyPassword } from './passwords';
import { RequestLimits } from './request-limits';

export interface ChangePasswordCommand {
  officer: AuthenticatedOfficer;
  currentPassword: string;
  newPassword: string;
  /** The client's address, for the login limits that count a wrong current password. */
  clientIp: string;
}

export interface ChangePasswordResult {
  /** A token of the new token_version: the caller stays logged in, every other token of theirs stops. */
  accessToken: string;
  expiresIn: number;
}

/**
 * An officer sets their own password, so that the administrator who created the account no longer
 * knows it and what is done under it is theirs. The current password is asked for, counted by the
 * login limits like a login (a stolen token must not become a way to guess it).
 */
@Injectable()
export class ChangePassword {
  constructor(
    private readonly ds: DataSource,
    private readonly tokens: AccessTokens,
    private readonly limits: RequestLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: ChangePasswordCommand): Promise<ChangePasswordResult> {
    const { officer } = cmd;
    // Judged before any guess is counted: a refused new password tells nothing about the current one.
    checkPassword(cmd.newPassword, officer.username, 'newPassword');
    if (nfc(cmd.newPassword) === nfc(cmd.currentPassword)) throw new ValidationError('newPassword must differ from currentPassword', ['newPassword']);

    const ticket = await this.limits.beginLogin(officer.username, cmd.clientIp);
    const row = await selectRow<{ password_hash: string | null }>(this.ds, `SELECT password_hash FROM officers WHERE id = $1`, [officer.id]).catch(
      async (e: unknown) => {
        // No password checked: no failure to count (see LogIn).
        await this.limits.loginSucceeded(ticket);
        throw e;
      },
    );
    const currentHash = row?.password_hash;
    // 403, not 401: the token is good, and clients read a 401 as a session that ended and log the officer out.
    // Left counted: a wrong current password is a failed login of the account.
    if (!currentHash || !(await verifyPassword(currentHash, cmd.currentPassword))) throw new ForbiddenException('currentPassword is wrong');
    await this.limits.loginSucceeded(ticket);

    const passwordHash = await hashPassword(cmd.newPassword);
    const updated = await this.ds.transaction(async (m) => {
      // Only over the hash just verified: a change made meanwhile (an administrator's PATCH) wins.
      const account = await selectRow<OfficerAccountRow>(
        m,
        `UPDATE officers SET password_hash = $3, token_version = token_version + 1, updated_at = now()
          WHERE id = $1 AND password_hash = $2 AND active RETURNING ${OFFICER_ACCOUNT_COLUMNS}`,
        [officer.id, currentHash, passwordHash],
      );
      if (!account) throw new ConflictError('the account changed meanwhile (its password was set or it was disabled); log in again');
      // The event PATCH /v1/officers/{id} writes for a password, the officer their own actor.
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${officer.id}`,
        action: 'officer_updated',
        data: { officerId: officer.id, username: account.username, changes: {}, passwordChanged: true, tokensRevoked: true },
      });
      return account;
    });
    const account = toOfficerAccount(updated);
    if (!account) throw new UnauthorizedException('the account of this access token has no valid role');

    const accessToken = await this.tokens.issue(account);
    return { accessToken, expiresIn: this.config.jwtTtlSeconds };
  }
}
