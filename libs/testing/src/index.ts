export * from './test-engine';
export * from './auth-helpers';
