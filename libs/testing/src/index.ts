export * from './test-engine';
export * from './auth-helpers';
export * from './statement-counter';
export * from './webhook-receiver';
export * from './manual-clock';
