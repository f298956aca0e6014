export * from './test-engine';
