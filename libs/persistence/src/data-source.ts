// For the TypeORM CLI: `npx typeorm -d dist/libs/persistence/src/data-source.js migration:show`.
import { DataSource } from 'typeorm';
import { loadConfig } from '@fr/config';
import { dataSourceOptions } from './data-source-options';

// The CLI migrates, so it logs in as the owner role.
const config = loadConfig();
export default new DataSource(dataSourceOptions({ ...config, databaseUrl: config.databaseOwnerUrl }));
