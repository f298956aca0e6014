export * from './sla-policy';
export * from './sla.service';
export * from './sla.module';
