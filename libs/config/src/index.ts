export * from './app-config';
export * from './config.module';
export * from './organisation';
export * from './logging';
export * from './retention';
export * from './request-context';
export * from './redis-url';
export * from './shutdown-deadline';
