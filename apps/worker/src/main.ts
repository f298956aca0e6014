import 'reflect-metadata';
import { AppConfig, exitOnStartFailure, exitWhenShutdownStalls, loadConfig } from '@fr/config';
import { organisationSeed, reorganisationsSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { createWorkerApp } from './bootstrap';

async function main() {
  // A refused configuration is said by loadConfig, plainly (there is no log level to read yet).
  const config = loadConfig();
  try {
    await start(config);
  } catch (e) {
    exitOnStartFailure(config, 'the worker', e);
  }
}

async function start(config: AppConfig) {
  if (config.migrateOnStart) await migrateDatabase(config, [organisationSeed(config), reorganisationsSeed(config)]);
  await createWorkerApp(config);
  exitWhenShutdownStalls(config.shutdownTimeoutMs, 'the worker');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
