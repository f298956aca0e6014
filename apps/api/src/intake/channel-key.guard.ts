import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Request } from 'express';
import { acceptedChannelKeys, APP_CONFIG, AppConfig } from '@fr/config';
import { Catalogue } from '@fr/intake';

export interface ChannelRequest extends Request {
  channel: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Channels authenticate with X-Api-Key; the channel of a case comes from its key, never the body. */
@Injectable()
export class ChannelKeyGuard implements CanActivate {
  private keys: Promise<{ channel: string; digest: Buffer }[]> | null = null;
  private loadedAt = 0;

  constructor(
    private readonly catalogue: Catalogue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ChannelRequest>();
    // Node joins a header sent twice with ", ", which was then refused as an invalid key. 401, as every
    // other key problem: the operations that take a key all declare it.
    const sent = req.headersDistinct?.['x-api-key']?.length ?? 0;
    if (sent > 1) throw new UnauthorizedException(`X-Api-Key is sent ${sent} times; send it once`);
    const presented = req.header('x-api-key');
    if (!presented) throw new UnauthorizedException('missing X-Api-Key header: intake needs a channel API key');
    const found = await this.channelFor(presented);
    if (!found) throw new UnauthorizedException('invalid X-Api-Key');
    req.channel = found;
    return true;
  }

  /** The channel a key belongs to, or null; also for keys sent elsewhere than the header (Open311's api_key). */
  async channelFor(presented: string): Promise<string | null> {
    const d = digest(presented);
    // Compare every key in constant time, so timing tells nothing about which prefix matched.
    let found: string | null = null;
    for (const k of await this.channelKeys()) if (timingSafeEqual(k.digest, d)) found = k.channel;
    return found;
  }

  private channelKeys() {
    // Channels change rarely; re-read them every minute so a disabled channel stops soon.
    if (!this.keys || Date.now() - this.loadedAt > 60000) {
      this.loadedAt = Date.now();
      this.keys = this.catalogue
        .channels()
        .then((cs) => cs.flatMap((c) => acceptedChannelKeys(this.config, c.code).map((key) => ({ channel: c.code, digest: digest(key) }))));
      this.keys.catch(() => (this.keys = null));
    }
    return this.keys;
  }
}
