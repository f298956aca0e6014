export * from './queues';
export * from './redis-connection';
export * from './outbox-relay.service';
export * from './queue.module';
export * from './batch-while-busy';
export * from './outbox-announcer';
export * from './job-health';
