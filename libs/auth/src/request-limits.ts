import { createHash } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
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
  /**
   * The buckets the attempt was counted in, before its password was checked (so that guesses sent at once
   * are all counted): given back unless the password turned out wrong. Every login limit counts failures only.
   */
  refundable: string[];
  /** Marks the address as one the account logged in from (see beginLogin). */
  known: string;
}

/**
 * How long an address the account logged in from stays exempt from the account's own bucket. A month:
 * an officer's office and home addresses are seen at least that often.
 */
export const KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000;

const per = (limit: number, windowSeconds: number) => (windowSeconds === 60 ? `at most ${limit} a minute` : `at most ${limit} in ${windowSeconds} s`);
/** Keys carry a digest, not the username or address itself: Redis is no place for personal data. */
const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);

/**
 * Buckets one process keeps while Redis cannot count. Full of live ones, it forgets the oldest tenth:
 * refusing new ones instead let one address cycling usernames fill the map and have every login and
 * lookup of the process refused; forgetting old counts loosens the limits only while under such a flood.
 */
export const LOCAL_BUCKETS_MAX = 100_000;

/**
 * The same fixed windows, in this process's memory. Each API instance then allows the limit by itself
 * (so N instances allow N times it) and a restart forgets the counts: looser than Redis, still a limit.
 */
export class LocalBuckets {
  private readonly buckets = new Map<string, { n: number; expiresAt: number }>();

  /** For each key, its count with this hit and the milliseconds left in its window. */
  hit(keys: readonly string[], windowsMs: readonly number[], now = Date.now()): number[] {
    if (this.buckets.size + keys.length > LOCAL_BUCKETS_MAX) this.makeRoom(now);
    const out: number[] = [];
    keys.forEach((key, i) => {
      let b = this.buckets.get(key);
      if (!b || b.expiresAt <= now) {
        b = { n: 0, expiresAt: now + windowsMs[i] };
        this.buckets.set(key, b);
      }
      b.n++;
      out.push(b.n, b.expiresAt - now);
    });
    return out;
  }

  refund(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      const b = this.buckets.get(key);
      if (b && (--b.n <= 0 || b.expiresAt <= now)) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Ended buckets go; if live ones still fill nine tenths of the room, the oldest (Map order) go too. */
  private makeRoom(now: number): void {
    for (const [key, b] of this.buckets) if (b.expiresAt <= now) this.buckets.delete(key);
    const keep = Math.floor(LOCAL_BUCKETS_MAX * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= keep) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * Rate limits kept in Redis, so every API instance counts against the same buckets (per-process
 * counters let each new instance allow the limit again). While Redis cannot count, each process counts
 * in its own memory (LocalBuckets): intake and the database work through a Redis outage, and a 503 on
 * every login and tracking-code lookup kept officers out and citizens from their cases' status for no
 * reason of theirs, where a per-process limit still stops guessing.
 */
@Injectable()
export class RequestLimits implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RequestLimits.name);
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly local = new LocalBuckets();
  private counting: 'redis' | 'local' = 'redis';

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

  /**
   * Counts a login attempt for the canonical username from `ip`; throws 429 when a limit is reached.
   * The attempt is counted at once and given back by loginSucceeded: only failures count against the
   * limits. Successes counted per account and address refused the eleventh right password a minute, an
   * officer behind a ward office's shared address or a hotline script that logs in often locked out.
   * The account's own bucket (failures from every address) stops guessing spread over many addresses,
   * but anyone can fill it: twenty wrong passwords a minute kept the only administrator out, right
   * password and all. An address the account logged in from before is not held to it (OWASP's "device
   * cookie" rule, by address); the limits of that address, and of the account from it, still hold.
   */
  async beginLogin(username: string, ip: string): Promise<LoginTicket> {
    const l = this.config.loginLimits;
    const windowMs = l.windowSeconds * 1000;
    const account = `${this.prefix}:login:account:${digest(username)}`;
    const address = `${this.prefix}:login:ip:${digest(ip)}`;
    const accountIp = digest(`${username}|${ip}`);
    const accountIpKey = `${this.prefix}:login:account-ip:${accountIp}`;
    const knownKey = `${this.prefix}:login:known:${accountIp}`;
    // Unknown while Redis is away: the account's bucket then holds, the stricter choice.
    const known = (await this.redis.exists(knownKey).catch(() => 0)) === 1;
    // Only what was counted is given back: a right password from a known address refunding the account's
    // bucket would take back a failure someone else made, one more guess for each real login.
    const ticket = { refundable: known ? [accountIpKey, address] : [accountIpKey, account, address], known: knownKey };
    await this.count([
      {
        key: accountIpKey,
        limit: l.perAccountAndIp,
        windowMs,
        refusal: (s) => `too many failed login attempts for '${username}' from this address (${per(l.perAccountAndIp, l.windowSeconds)}); try again in ${s} s`,
      },
      ...(known
        ? []
        : [
            {
              key: account,
              limit: l.perAccount,
              windowMs,
              refusal: (s: number) =>
                `too many failed login attempts for '${username}' (${per(l.perAccount, l.windowSeconds)} from all addresses); try again in ${s} s`,
            },
          ]),
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

  /** A right password (or no password checked): every bucket gives the attempt back. */
  async loginSucceeded(ticket: LoginTicket): Promise<void> {
    this.local.refund(ticket.refundable);
    await this.redis.eval(REFUND, ticket.refundable.length, ...ticket.refundable).catch(() => undefined);
  }

  /** A right password on an active account: its address is known to it from now on (beginLogin). */
  async loggedIn(ticket: LoginTicket): Promise<void> {
    await this.loginSucceeded(ticket);
    // Not remembered while Redis is away: the next login from there counts against the account too.
    await this.redis.set(ticket.known, '1', 'PX', KNOWN_ADDRESS_MS).catch(() => undefined);
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

  /**
   * Counts a data-subject request by a channel; throws 429 when its limit is reached. An access request
   * answers with the name and e-mail held for a phone number: without a limit, one misused key swept
   * 800 numbers in 6 s.
   */
  async countPrivacyRequest(channel: string): Promise<void> {
    const l = this.config.lookupLimits;
    await this.count([
      {
        key: `${this.prefix}:lookup:privacy:${channel}`,
        limit: l.privacyPerChannel,
        windowMs: l.windowSeconds * 1000,
        refusal: (s) => `too many data-subject requests for this channel (${per(l.privacyPerChannel, l.windowSeconds)}); try again in ${s} s`,
      },
      // A day's cap as well: the window's limit alone still let a key ask for 43,000 numbers a day.
      {
        key: `${this.prefix}:lookup:privacy-day:${channel}`,
        limit: l.privacyPerChannelDay,
        windowMs: 86_400_000,
        refusal: (s) => `too many data-subject requests for this channel today (at most ${l.privacyPerChannelDay} a day); try again in ${s} s`,
      },
    ]);
  }

  private async count(buckets: Bucket[]): Promise<void> {
    const keys = buckets.map((b) => b.key);
    const windows = buckets.map((b) => b.windowMs);
    const reply = await (this.redis.eval(HIT, buckets.length, ...keys, ...windows.map(String)) as Promise<number[]>).then(
      (r) => {
        if (this.counting === 'local') this.logger.log('Redis counts the request limits again');
        this.counting = 'redis';
        return r;
      },
      (e: Error) => {
        if (this.counting === 'redis') this.logger.warn(`Redis cannot count the request limits (${e.message}); this process counts them until it can`);
        this.counting = 'local';
        return this.local.hit(keys, windows);
      },
    );
    const over = buckets
      .map((b, i) => ({ b, n: Number(reply[2 * i]), retryAfter: Math.max(1, Math.ceil(Number(reply[2 * i + 1]) / 1000)) }))
      .filter(({ b, n }) => n > b.limit);
    if (over.length === 0) return;
    const retryAfter = Math.max(...over.map((o) => o.retryAfter));
    throw new TooManyRequestsException(over[0].b.refusal(retryAfter), retryAfter, over[0].b.key.includes(':lookup:') ? 'lookup' : 'login');
  }
}
