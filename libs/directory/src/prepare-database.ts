import { AppConfig } from '@fr/config';
import { migrateDatabase } from '@fr/persistence';
import { loadOrganisationOnFirstStart } from './load-organisation';

/** What every process does before it serves: migrate, and load config/ on the very first start. */
export function prepareDatabase(config: AppConfig): Promise<string[]> {
  return migrateDatabase(config, (ds) => loadOrganisationOnFirstStart(ds, config).then(() => undefined));
}
