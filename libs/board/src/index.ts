export * from './targets';
export * from './compliance-config';
export * from './get-board.query';
export * from './unit-figures';
export * from './notices';
export * from './raise-compliance-alerts.usecase';
export * from './board.module';
