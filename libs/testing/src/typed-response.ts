import type { components, operations } from '../../../openapi/schema';

// engine.http() and apiClient() check every response against the API's OpenAPI document, so reading a
// body as that document's schema is what the contract check already guarantees at run time; the types
// come from openapi/schema.d.ts (`npm run openapi`), the JSON a client receives (dates are strings).

/** A named schema of the OpenAPI document, e.g. ApiSchema<'CaseDetailDto'>. */
export type ApiSchema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The JSON body an operation (by operationId) answers with a status, for bodies without a named schema. */
export type ApiBody<Op extends keyof operations, Status extends keyof operations[Op]['responses']> = operations[Op]['responses'][Status] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;

/** The body of every error answer (the exception filter's one shape). */
export type ApiError = ApiSchema<'ErrorDto'>;

/** A response's body read as the error answer, e.g. `expect(errorOf(res).message).toMatch(...)`. */
export function errorOf(res: { body: unknown }): ApiError {
  return res.body as ApiError;
}
