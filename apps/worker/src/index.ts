// What other rooms may use of the worker (`@fr/worker`): its bootstrap, for the test engine, and where its metrics are served.
export { createWorkerApp } from './bootstrap';
export { WorkerMetricsServer } from './metrics-server';
