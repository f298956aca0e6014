import { createHash } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { createRedisClient, RedisClient } from '@fr/queue';

/** A 429 that says when to come back; the error filter turns `retryAfterSeconds` into Retry-After. */
export class TooManyRequestsException extends HttpException {
  constructor(message: string, retryAfterSeconds: number, limiter: string) {
    super({ message, retryAfterSeconds, limiter }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Fixed windows: each key counts one hit and gets its window's expiry on the first. */
const HIT = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    ttl = tonumber(ARGV[i])
    redis.call('PEXPIRE', key, ttl)
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out`;
const REFUND = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('DECR', key) <= 0 then redis.call('DEL', key) end
end
return 0`;

interface Bucket {
  key: string;
  limit: number;
  windowMs: number;
  /** Says why, for the 429's message. */
  refusal: (retryAfter: number) => string;
}

export interface LoginTicket {
  /** The buckets that count failures only: given back when the password was right. */
  refundable: string[];
}

const per = (limit: number, windowSeconds: number) => (windowSeconds === 60 ? `at most ${limit} a minute` : `at most ${limit} in ${windowSeconds} s`);
/** Keys carry a digest, not the username or address itself: Redis is no place for personal data. */
const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);

/**
 * Rate limits kept in Redis, so every API instance counts against the same buckets (per-process
 * counters let each new instance allow the limit again). Counting needs Redis: when it is down the
 * request fails like any other that needs a dependency (503), rather than letting guesses through.
 */
@Injectable()
export class RequestLimits implements OnModuleInit, OnModuleDestroy {
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.redis = createRedisClient(config.redisUrl, 'producer', { lazyConnect: true });
    this.redis.on('error', () => undefined);
    this.prefix = `${config.queuePrefix}:limits`;
  }

  async onModuleInit(): Promise<void> {
    // Without the offline queue a command before the connection is ready fails: connect first.
    await this.redis.connect().catch(() => undefined);
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }

  /** Counts a login attempt for the canonical username from `ip`; throws 429 when a limit is reached. */
  async beginLogin(username: string, ip: string): Promise<LoginTicket> {
    const l = this.config.loginLimits;
    const windowMs = l.windowSeconds * 1000;
    const account = `${this.prefix}:login:account:${digest(username)}`;
    const address = `${this.prefix}:login:ip:${digest(ip)}`;
    const ticket = { refundable: [account, address] };
    await this.count([
      {
        key: `${this.prefix}:login:account-ip:${digest(`${username}|${ip}`)}`,
        limit: l.perAccountAndIp,
        windowMs,
        refusal: (s) => `too many login attempts for '${username}' from this address (${per(l.perAccountAndIp, l.windowSeconds)}); try again in ${s} s`,
      },
      {
        key: account,
        limit: l.perAccount,
        windowMs,
        refusal: (s) => `too many failed login attempts for '${username}' (${per(l.perAccount, l.windowSeconds)} from all addresses); try again in ${s} s`,
      },
      {
        key: address,
        limit: l.perIp,
        windowMs,
        refusal: (s) => `too many failed login attempts from this address (${per(l.perIp, l.windowSeconds)}); try again in ${s} s`,
      },
    ]).catch(async (e) => {
      // A refused attempt checked no password: it is no failure to count.
      await this.loginSucceeded(ticket);
      throw e;
    });
    return ticket;
  }

  /** A right password (or no password checked): the failure-only buckets give the attempt back. */
  async loginSucceeded(ticket: LoginTicket): Promise<void> {
    await this.redis.eval(REFUND, ticket.refundable.length, ...ticket.refundable);
  }

  /** Counts a tracking-code lookup by a channel; throws 429 when its limit is reached. */
  async countLookup(channel: string): Promise<void> {
    const l = this.config.lookupLimits;
    await this.count([
      {
        key: `${this.prefix}:lookup:channel:${channel}`,
        limit: l.perChannel,
        windowMs: l.windowSeconds * 1000,
        refusal: (s) => `too many tracking-code lookups for this channel (${per(l.perChannel, l.windowSeconds)}); try again in ${s} s`,
      },
    ]);
  }

  private async count(buckets: Bucket[]): Promise<void> {
    const reply = (await this.redis.eval(HIT, buckets.length, ...buckets.map((b) => b.key), ...buckets.map((b) => String(b.windowMs)))) as number[];
    const over = buckets
      .map((b, i) => ({ b, n: Number(reply[2 * i]), retryAfter: Math.max(1, Math.ceil(Number(reply[2 * i + 1]) / 1000)) }))
      .filter(({ b, n }) => n > b.limit);
    if (over.length === 0) return;
    const retryAfter = Math.max(...over.map((o) => o.retryAfter));
    throw new TooManyRequestsException(over[0].b.refusal(retryAfter), retryAfter, over[0].b.key.includes(':lookup:') ? 'lookup' : 'login');
  }
}
