import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerStorage } from '@nestjs/throttler';

export const LOGIN_RATE_LIMIT = Object.freeze({ limit: 10, ttlMs: 60_000 });
export const LOGIN_THROTTLER_STORAGE = Symbol('LOGIN_THROTTLER_STORAGE');

const usernameOf = (body: unknown): string => {
  const u = (body as { username?: unknown } | undefined)?.username;
  return typeof u === 'string' ? u.trim().toLowerCase().slice(0, 64) : '';
};

/**
 * Password guessing is limited per client address and username, so one user's typos cannot lock
 * out a whole office behind one NAT. It carries its own options and storage instead of
 * ThrottlerModule.forRoot, whose options are global and would apply to every throttled route.
 * Storage is in process memory: several API instances each allow the limit (use a shared
 * ThrottlerStorage, e.g. Redis, when scaling out). Behind a proxy, set Express `trust proxy`.
 */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  // Both parameters named: the parent's @Inject metadata (global options, global storage) is inherited otherwise.
  constructor(@Inject(LOGIN_THROTTLER_STORAGE) storage: ThrottlerStorage, @Inject(Reflector) reflector: Reflector) {
    super(
      {
        throttlers: [{ name: 'login', limit: LOGIN_RATE_LIMIT.limit, ttl: LOGIN_RATE_LIMIT.ttlMs }],
        errorMessage: (ctx: ExecutionContext, detail: ThrottlerLimitDetail) =>
          `too many login attempts for '${usernameOf(ctx.switchToHttp().getRequest().body)}' from this address ` +
          `(at most ${detail.limit} a minute); try again in ${detail.timeToBlockExpire} s`,
      },
      storage,
      reflector,
    );
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return `${normalizeIp(String(req.ip ?? ''))}|${usernameOf(req.body)}`;
  }
}
