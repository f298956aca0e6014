import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type pino from 'pino';
import { AuditModule, UnitFactsUpdater } from '@fr/audit';
import { AppConfig, AppConfigModule, nestLogger, rootLogger } from '@fr/config';
import { DatabaseModule } from '@fr/persistence';

/**
 * `node scripts/start.js rebuild-facts` (npm run rebuild-facts): the audit report's daily facts
 * recomputed from the raw data, e.g. after a change of the working calendar or of the SLA policy,
 * which the facts of past days were computed with. Safe while the engine runs.
 */
export async function rebuildFacts(config: AppConfig, root: pino.Logger = rootLogger(config)): Promise<number> {
  @Module({ imports: [AppConfigModule.forRoot(config), DatabaseModule.forRoot(), AuditModule] })
  class RebuildFactsModule {}

  // The engine's root logger from the first line, as the worker's: Nest's own logger wrote coloured text
  // that the log collector reading the engine's JSON lines could not parse.
  const app = await NestFactory.createApplicationContext(RebuildFactsModule, { logger: nestLogger(root), abortOnError: false });
  try {
    return await app.get(UnitFactsUpdater).rebuild();
  } finally {
    await app.close();
  }
}

/** The command: its outcome as one JSON line; a failure at fatal, then exit 1, as a process that cannot start. */
export async function rebuildFactsCommand(config: AppConfig): Promise<void> {
  const root = rootLogger(config);
  const started = performance.now();
  try {
    const cases = await rebuildFacts(config, root);
    root.info({ cases, durationMs: Math.round(performance.now() - started) }, 'daily facts rebuilt');
  } catch (e) {
    root.fatal({ err: e instanceof Error ? { message: e.message, type: e.name } : { message: String(e) } }, 'daily facts could not be rebuilt');
    process.exit(1);
  }
}
