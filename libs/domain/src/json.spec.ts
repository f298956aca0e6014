import { asArray, asObject, isJsonObject, Json, jsonAt } from './json';

describe(jsonAt.name, () => {
  const doc: Json = { paths: { '/v1/x': { get: { responses: { 200: { description: 'OK' } } } } }, list: [{ a: 1 }], none: null };

  it('follows object keys, and gives undefined where a step is missing, null, an array or a scalar', () => {
    expect(jsonAt(doc, 'paths', '/v1/x', 'get', 'responses', '200', 'description')).toBe('OK');
    expect(jsonAt(doc)).toBe(doc);
    expect(jsonAt(doc, 'paths', '/v1/y', 'get')).toBeUndefined();
    expect(jsonAt(doc, 'none', 'a')).toBeUndefined();
    expect(jsonAt(doc, 'list', '0')).toBeUndefined();
    expect(jsonAt(doc, 'paths', '/v1/x', 'get', 'responses', '200', 'description', 'length')).toBeUndefined();
    expect(jsonAt(undefined, 'a')).toBeUndefined();
  });
});

describe(isJsonObject.name, () => {
  it('is true for an object only: not null, an array or a scalar', () => {
    const objects: Json[] = [{}, { a: [] }];
    const others: (Json | undefined)[] = [null, [], 'x', 0, false, undefined];
    expect(objects.map((v) => isJsonObject(v))).toEqual([true, true]);
    expect(others.map((v) => isJsonObject(v))).toEqual([false, false, false, false, false, false]);
    expect(asObject([])).toBeUndefined();
    expect(asArray({})).toBeUndefined();
    expect(asArray([1])).toEqual([1]);
  });
});
