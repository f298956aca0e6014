import 'reflect-metadata';
import { exitWhenShutdownStalls, loadConfig } from '@fr/config';
import { organisationSeed, reorganisationsSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { createApiApp } from './bootstrap';

async function main() {
  const config = loadConfig();
  if (config.migrateOnStart) await migrateDatabase(config, [organisationSeed(config), reorganisationsSeed(config)]);
  const app = await createApiApp(config);
  exitWhenShutdownStalls(config.shutdownTimeoutMs);
  await app.listen(config.port);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
