export * from './entities';
export * from './migrations';
export * from './data-source-options';
export * from './write-helpers';
export * from './outbox-signal';
export * from './database-bootstrap';
export * from './database.module';
export * from './advisory-locks';
