export * from './audit-chain';
export * from './audit-chain-walker';
export * from './checkpoint-store';
export * from './verify-audit-trail.usecase';
export * from './write-audit-checkpoint.usecase';
export * from './audit.module';
