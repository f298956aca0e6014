export * from './actor';
export * from './act-on-case.usecase';
export * from './case-queries';
export * from './citizen-actions.usecase';
export * from './auto-close.service';
export * from './follow-designation';
export * from './cases.module';
export * from './case-gauges';
