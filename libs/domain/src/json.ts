/**
 * A parsed JSON value (what JSON.parse gives back, what an OpenAPI document is made of), so that code
 * walking a document it did not declare narrows each step instead of passing `any` around.
 */
export type Json = string | number | boolean | null | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

export function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value if it is an object (not an array, not null). */
export function asObject(v: Json | undefined): JsonObject | undefined {
  return isJsonObject(v) ? v : undefined;
}

/** The value if it is an array. */
export function asArray(v: Json | undefined): Json[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** The value at a path of object keys, or undefined where a step is missing or not an object. */
export function jsonAt(v: Json | undefined, ...path: string[]): Json | undefined {
  let at = v;
  for (const key of path) at = asObject(at)?.[key];
  return at;
}

/** A value built of plain JSON (an OpenAPI document, a response body) seen as what it is. */
export function asJson(v: object): JsonObject {
  return v as JsonObject;
}
