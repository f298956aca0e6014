import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, exitOnStartFailure, exitWhenShutdownStalls, loadConfig } from '@fr/config';
import { organisationSeed, reorganisationsSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { createApiApp } from './bootstrap';

async function main() {
  // A refused configuration is said by loadConfig, plainly (there is no log level to read yet).
  const config = loadConfig();
  try {
    await start(config);
  } catch (e) {
    exitOnStartFailure(config, 'the API', e);
  }
}

async function start(config: AppConfig) {
  if (config.migrateOnStart) await migrateDatabase(config, [organisationSeed(config), reorganisationsSeed(config)]);
  const app = await createApiApp(config);
  exitWhenShutdownStalls(config.shutdownTimeoutMs, 'the API');
  await app.listen(config.port);
  // Nest's own start line names no address: the operator of a fresh start reads here where to point a browser.
  new Logger('Api').log({ port: config.port }, `API listening on port ${config.port}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
