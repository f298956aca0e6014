import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, UnitFactsUpdater } from '@fr/audit';
import { AppConfig, AppConfigModule } from '@fr/config';
import { DatabaseModule } from '@fr/persistence';

/**
 * `node scripts/start.js rebuild-facts` (npm run rebuild-facts): the audit report's daily facts
 * recomputed from the raw data, e.g. after a change of the working calendar or of the SLA policy,
 * which the facts of past days were computed with. Safe while the engine runs.
 */
export async function rebuildFacts(config: AppConfig): Promise<number> {
  @Module({ imports: [AppConfigModule.forRoot(config), DatabaseModule.forRoot(), AuditModule] })
  class RebuildFactsModule {}

  const app = await NestFactory.createApplicationContext(RebuildFactsModule, { logger: ['error', 'warn', 'log'] });
  try {
    return await app.get(UnitFactsUpdater).rebuild();
  } finally {
    await app.close();
  }
}
