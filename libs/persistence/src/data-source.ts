// For the TypeORM CLI: `npx typeorm -d dist/libs/persistence/src/data-source.js migration:show`.
import { DataSource } from 'typeorm';
import { loadConfig } from '@fr/config';
import { dataSourceOptions } from './data-source-options';

export default new DataSource(dataSourceOptions(loadConfig()));
