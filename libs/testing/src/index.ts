export * from './test-engine';
export * from './auth-helpers';
export * from './statement-counter';
export * from './contract';
export * from './api-client';
export * from './webhook-receiver';
export * from './manual-clock';
export * from './seed-open-cases';
