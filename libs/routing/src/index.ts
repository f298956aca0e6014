export * from './route-case.usecase';
export * from './routing-reconciler.service';
export * from './routing.module';
