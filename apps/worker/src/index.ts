// What other rooms may use of the worker (`@fr/worker`): its bootstrap, for the test engine.
export { createWorkerApp } from './bootstrap';
