import 'reflect-metadata';
import { loadConfig } from '@fr/config';
import { prepareDatabase } from '@fr/directory';
import { createWorkerApp } from './bootstrap';

async function main() {
  const config = loadConfig();
  await prepareDatabase(config);
  await createWorkerApp(config);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
