// What other rooms may use of the API (`@fr/api`): its bootstrap, for the test engine and the bench.
export { createApiApp } from './bootstrap';
export { buildOpenApiDocument, OWN_ERROR_FORMATS } from './openapi';
