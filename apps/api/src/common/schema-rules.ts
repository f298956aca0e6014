import type { JsonObject } from '@fr/domain';

const RULES = new Map<string, JsonObject[]>();

/**
 * What a body's validation checks of one field against another (lat with lng, a correction's fields with
 * its kind), said in the class's schema in the OpenAPI document as JSON Schema 2020-12 keywords (`anyOf`,
 * `if`/`then`, `dependentRequired`), so that a validating proxy refuses what the API refuses. Property
 * decorators cannot say it; openapi.ts adds the rules to the schema named after the class, each in `allOf`.
 * Written in OpenAPI 3.1's own forms (`type: [..., 'null']`): a field sent as null counts as left out.
 */
export function SchemaRules(...rules: JsonObject[]): ClassDecorator {
  return (target) => {
    RULES.set(target.name, [...(RULES.get(target.name) ?? []), ...rules]);
  };
}

/** Every class's rules, by the name of its schema. */
export function schemaRules(): ReadonlyMap<string, readonly JsonObject[]> {
  return RULES;
}

/** A field present and not null (null counts as left out). */
export const given = (field: string): JsonObject => ({ required: [field], properties: { [field]: { not: { type: 'null' } } } });

/** A field left out or null. */
export const notGiven = (field: string): JsonObject => ({ properties: { [field]: { type: 'null' } } });
