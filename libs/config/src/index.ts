export * from './app-config';
export * from './config.module';
export * from './organisation';
export * from './logging';
export { holdsContact, holdsPlainName } from './contact-in-value';
export * from './retention';
export * from './request-context';
export * from './redis-url';
export * from './shutdown-deadline';
