import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';

/** The latest verified point of the audit chain, kept outside the database. */
export interface AuditCheckpoint {
  /** The event sealed at position `seq`. */
  lastId: string;
  /** Its position in the sealed chain (1-based); files written before sealing have none: it equals count. */
  seq?: string;
  /** Hex sha256 of the seal at `seq`. */
  hash: string;
  /** Events from the start of the trail up to and including lastId. */
  count: string;
  writtenAt: string;
  /**
   * The last event written before free text left the chain (migration 1766200000000-AuditTextsAside):
   * events after it chain no text in clear. Recorded outside the database so the boundary cannot be
   * moved quietly.
   */
  textsAsideAfterId?: string;
}

/** The checkpoint's position: the seal order numbers events 1, 2, 3 ..., so it is also the count. */
export function checkpointSeq(cp: AuditCheckpoint): bigint {
  return BigInt(cp.seq ?? cp.count);
}

/** One file per database (several deployments or test runs may share the directory). */
export function checkpointFile(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || 'default';
  return `audit-checkpoint.${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
}

/**
 * A file in FR_CHECKPOINT_DIR named after the database, replaced atomically (write, fsync, rename). Whoever can rewrite the
 * database should not be able to write here: mount it from other storage, or copy it off-site.
 */
@Injectable()
export class CheckpointStore {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get path(): string {
    return join(this.config.checkpointDir, checkpointFile(this.config.databaseUrl));
  }

  async read(): Promise<AuditCheckpoint | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const cp = JSON.parse(text) as Partial<AuditCheckpoint>;
    if (
      !cp ||
      !/^\d+$/.test(String(cp.lastId)) ||
      !/^[0-9a-f]{64}$/.test(String(cp.hash)) ||
      !/^\d+$/.test(String(cp.count)) ||
      (cp.seq !== undefined && !/^\d+$/.test(String(cp.seq)))
    ) {
      throw new Error(`${this.path} is not an audit checkpoint`);
    }
    return {
      lastId: String(cp.lastId),
      seq: String(cp.seq ?? cp.count),
      hash: String(cp.hash),
      count: String(cp.count),
      writtenAt: String(cp.writtenAt),
      ...(cp.textsAsideAfterId !== undefined ? { textsAsideAfterId: String(cp.textsAsideAfterId) } : {}),
    };
  }

  async write(cp: AuditCheckpoint): Promise<void> {
    await mkdir(this.config.checkpointDir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(JSON.stringify(cp, null, 2) + '\n', 'utf8');
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.path);
  }
}
