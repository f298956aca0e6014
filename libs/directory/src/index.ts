export * from './load-organisation';
export * from './prepare-database';
