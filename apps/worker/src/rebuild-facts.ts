import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, UnitFactsUpdater } from '@fr/audit';
import { AppConfigModule, loadConfig } from '@fr/config';
import { DatabaseModule } from '@fr/persistence';

/**
 * `node scripts/start.js rebuild-facts` (npm run rebuild-facts): the audit report's daily facts
 * recomputed from the raw data, e.g. after a change of the working calendar or of the SLA policy,
 * which the facts of past days were computed with. Safe while the engine runs.
 */
async function main() {
  @Module({ imports: [AppConfigModule.forRoot(loadConfig()), DatabaseModule.forRoot(), AuditModule] })
  class RebuildFactsModule {}

  const app = await NestFactory.createApplicationContext(RebuildFactsModule, { logger: ['error', 'warn', 'log'] });
  const t = Date.now();
  const n = await app.get(UnitFactsUpdater).rebuild();
  console.log(`daily facts rebuilt from ${n} cases in ${Date.now() - t} ms`);
  await app.close();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
