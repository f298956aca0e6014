export * from './calendar';
export * from './case-state-machine';
export * from './errors';
export * from './routing';
export * from './text';
export * from './tracking-code';
export * from './personal-data';
export * from './seeded-random';
