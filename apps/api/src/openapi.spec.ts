import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { loadConfig } from '@fr/config';
import { asArray, asJson, asObject, isJsonObject, Json, jsonAt, JsonObject } from '@fr/domain';
import { createApiDocument } from './bootstrap';
import { finishDocument } from './openapi';
import { OFFICER_ACTION_SPECS, OFFICER_ACTIONS, OfficerAction } from './cases/case-actions';
import { IDEMPOTENCY_KEY_PATTERN } from './cases/idempotency-key';

const ROOT = join(__dirname, '../../..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('the OpenAPI document', () => {
  let doc: JsonObject;
  const operations = () =>
    Object.entries(asObject(doc.paths) ?? {}).flatMap(([path, item]) =>
      METHODS.filter((m) => jsonAt(item, m)).map((method) => ({
        path,
        method,
        op: asObject(jsonAt(item, method)) ?? {},
        name: `${method.toUpperCase()} ${path}`,
      })),
    );
  const schemaProperty = (schema: string, property: string) => jsonAt(doc, 'components', 'schemas', schema, 'properties', property);

  beforeAll(async () => {
    doc = JSON.parse(JSON.stringify(await createApiDocument(loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' })))) as JsonObject;
  }, 60_000);

  it('is what openapi/openapi.json holds (npm run openapi writes it from the code)', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'openapi/openapi.json'), 'utf8'))).toEqual(doc);
  });

  it('gives the client types openapi/schema.d.ts holds (openapi-typescript)', () => {
    const generated = execFileSync(process.execPath, [join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), join(ROOT, 'openapi/openapi.json')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(generated).toBe(readFileSync(join(ROOT, 'openapi/schema.d.ts'), 'utf8'));
  }, 30_000);

  it('names every operation for a client generator: a unique camelCase verb phrase', () => {
    const ids = operations().map((o) => o.op.operationId as string);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  // A validating proxy or a generated client takes what the document says: a limit only the API knew let
  // through what the API then refused (a unit code of 41 characters, a tracking code of 21).
  it("documents every length limit the validation holds a field or an array's items to", () => {
    // class-validator's registry of every decorated class (its own storage: the document's classes are loaded above).
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<{ name: string; prototype: object }, { name?: string; propertyName: string; constraints: unknown[]; each: boolean }[]>;
    };
    const undocumented: string[] = [];
    for (const [target, rules] of storage.validationMetadatas) {
      for (const rule of rules.filter((r) => r.name === 'maxLength')) {
        const doc = Reflect.getMetadata('swagger/apiModelProperties', target.prototype, rule.propertyName) as
          | { maxLength?: number; items?: { maxLength?: number } }
          | undefined;
        const documented = rule.each ? doc?.items?.maxLength : doc?.maxLength;
        if (documented !== rule.constraints[0])
          undocumented.push(`${target.name}.${rule.propertyName}${rule.each ? '[]' : ''}: ${String(rule.constraints[0])}, documented ${String(documented)}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it('documents every bound, list size and pattern the validation holds a field to', () => {
    // As the length limits above: class-validator's rules and the swagger metadata of the same property.
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<{ name: string; prototype: object }, { name?: string; propertyName: string; constraints: unknown[]; each: boolean }[]>;
    };
    const keyword: Record<string, (c: unknown[]) => [string, unknown]> = {
      arrayMaxSize: (c) => ['maxItems', c[0]],
      arrayMinSize: (c) => ['minItems', c[0]],
      min: (c) => ['minimum', c[0]],
      max: (c) => ['maximum', c[0]],
      matches: (c) => ['pattern', (c[0] as RegExp).source],
    };
    const undocumented: string[] = [];
    for (const [target, rules] of storage.validationMetadatas) {
      for (const rule of rules) {
        const say = rule.name ? keyword[rule.name] : undefined;
        if (!say || (rule.each && rule.name !== 'matches')) continue;
        const [name, value] = say(rule.constraints);
        const meta = Reflect.getMetadata('swagger/apiModelProperties', target.prototype, rule.propertyName) as Record<string, unknown> | undefined;
        const documented = rule.each ? (meta?.items as Record<string, unknown> | undefined)?.[name] : meta?.[name];
        if (meta && documented !== value) undocumented.push(`${target.name}.${rule.propertyName}: ${name} ${String(value)}, documented ${String(documented)}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  // Spectral's recommended ruleset warns of an operation without one (operation-description); a summary alone
  // does not say what a client must know beyond the name.
  it('describes every operation beyond its summary', () => {
    expect(
      operations()
        .filter((o) => typeof o.op.description !== 'string' || o.op.description.trim() === '')
        .map((o) => o.name),
    ).toEqual([]);
  });

  it("declares a typed success body for every operation, and its errors with the one error schema (GeoReport's under /open311)", () => {
    const problems: string[] = [];
    for (const { name, op } of operations()) {
      const responses = asObject(op.responses) ?? {};
      const success = Object.entries(responses).filter(([s]) => s.startsWith('2'));
      if (!success.length) problems.push(`${name}: no success response`);
      for (const [status, r] of success) {
        const schemas = Object.values(asObject(jsonAt(r, 'content')) ?? {}).map((m) => asObject(jsonAt(m, 'schema')));
        if (status !== '204' && !schemas.some((s) => s?.$ref || s?.type || s?.oneOf)) problems.push(`${name} ${status}: no schema`);
      }
      // 304 (a conditional GET's answer) has no body.
      for (const [status, r] of Object.entries(responses).filter(([s]) => !s.startsWith('2') && s !== '304')) {
        const content = asObject(jsonAt(r, 'content')) ?? {};
        const geoReport = name.includes(' /open311/');
        const expected = !geoReport
          ? { 'application/json': { schema: { $ref: '#/components/schemas/ErrorDto' } } }
          : name.endsWith('.xml')
            ? { 'text/xml': { schema: { type: 'string', description: '<errors><error><code/><description/></error></errors>' } } }
            : { 'application/json': { schema: { $ref: '#/components/schemas/GeoReportErrors' } } };
        if (JSON.stringify(content) !== JSON.stringify(expected)) problems.push(`${name} ${status}: not ${geoReport ? "GeoReport's errors" : 'ErrorDto'}`);
      }
      if (!responses['503']) problems.push(`${name}: no 503`);
      if (!responses['429'] && !/^GET \/(health|metrics)$/.test(name)) problems.push(`${name}: no 429`);
      if (name.startsWith('GET ') && (!responses['304'] || jsonAt(responses['304'], 'content') !== undefined)) problems.push(`${name}: no bodiless 304`);
    }
    expect(problems).toEqual([]);
  });

  it('asks for a channel key or a bearer token everywhere but the log-in, the health check, the board page shell and Open311', () => {
    const open = operations().filter((o) => asArray(o.op.security)?.length === 0 && !o.path.startsWith('/open311/'));
    expect(open.map((o) => o.op.operationId).sort()).toEqual(['checkHealth', 'getBoardPage', 'logIn']);
    // GeoReport's reads are public; its POST takes the key as the form's api_key (or X-Api-Key), which no scheme says.
    const geoReport = operations().filter((o) => o.path.startsWith('/open311/'));
    expect(geoReport.filter((o) => asArray(o.op.security)?.length !== 0).map((o) => o.name)).toEqual([]);
    expect(geoReport.filter((o) => o.method === 'post').map((o) => [o.path, Object.keys(asObject(jsonAt(o.op, 'responses')) ?? {}).includes('403')])).toEqual([
      ['/open311/v2/requests.json', true],
      ['/open311/v2/requests.xml', true],
    ]);
    for (const { op } of operations()) {
      if (asArray(op.security)?.length) expect(jsonAt(op, 'responses', '401')).toBeDefined();
    }
    // `metrics`: the deployment's FR_METRICS_TOKEN, for GET /metrics only.
    expect(Object.keys(asObject(jsonAt(doc, 'components', 'securitySchemes')) ?? {})).toEqual(['channel', 'bearer', 'metrics']);
    expect(
      operations()
        .filter((o) => asArray(o.op.security)?.some((s) => isJsonObject(s) && 'metrics' in s))
        .map((o) => o.path),
    ).toEqual(['/metrics']);
    const channelPaths = (p: string) => p.startsWith('/v1/feedback') || ['/v1/categories', '/v1/areas', '/v1/public/notices'].includes(p);
    expect(
      operations()
        .filter((o) => channelPaths(o.path))
        .map((o) => o.op.security),
    ).toEqual(Array(8).fill([{ channel: [] }]));
  });

  it("says who may call every officer's operation: the roles of @Roles (x-roles and the description), or any officer", () => {
    const officers = operations().filter(({ op }) => asArray(op.security)?.some((s) => isJsonObject(s) && 'bearer' in s));
    expect(officers.length).toBeGreaterThan(40);
    for (const { name, op } of officers)
      expect({ name, says: /Roles: [A-Z, ]+\.|Roles: any officer\./.test(String(op.description)) }).toEqual({ name, says: true });
    const createOfficer = operations().find((o) => o.name === 'POST /v1/officers')!.op;
    expect(createOfficer['x-roles']).toEqual(['ADMIN']);
    expect(String(createOfficer.description)).toContain('Roles: ADMIN.');
    expect(jsonAt(createOfficer, 'responses', '403', 'description')).toBe("the caller's role is not ADMIN, or may not do this");
    // Each operation's own: the controllers' shared 403 is not rewritten for all of them by one.
    expect(jsonAt(operations().find((o) => o.name === 'GET /v1/officers')!.op, 'responses', '403', 'description')).toBe(
      "the caller's role is not ADMIN, SUPERVISOR or AUDITOR, or may not do this",
    );
  });

  it('says every request body refuses unknown fields, at every depth', () => {
    const open: string[] = [];
    const seen = new Set<string>();
    const visit = (s: Json | undefined, where: string): void => {
      if (Array.isArray(s)) return s.forEach((v) => visit(v, where));
      if (!isJsonObject(s)) return;
      if (s.$ref) {
        const name = String(s.$ref).split('/').pop()!;
        if (seen.has(name)) return;
        seen.add(name);
        return visit(jsonAt(doc, 'components', 'schemas', name), name);
      }
      if (s.properties && s.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(s)) {
        if (k === 'example' || typeof v !== 'object') continue;
        // A class's rules (SchemaRules) constrain some of its fields inside allOf: partial by design, not objects of their own.
        if (k === 'allOf' && Array.isArray(v)) v.filter((x) => isJsonObject(x) && x.$ref).forEach((x) => visit(x, where));
        else visit(v, where);
      }
    };
    for (const { name, op } of operations())
      for (const media of Object.values(asObject(jsonAt(op, 'requestBody', 'content')) ?? {})) visit(jsonAt(media, 'schema'), name);
    expect(seen).toEqual(expect.objectContaining({ size: expect.any(Number) as number }));
    expect(open).toEqual([]);
    expect([...seen]).toEqual(
      expect.arrayContaining(['SubmitFeedbackDto', 'LocationDto', 'AttachmentDto', 'TransferCaseBody', 'DesignationDto', 'CalendarInputDto', 'DayOffDto']),
    );
  });

  // One route serves them, but one body with every field optional let a validating proxy pass a transfer
  // without its unit, and gave a generated client one method that took any field.
  it('makes each case action an operation of its own, with the fields that action takes and needs', () => {
    const actions = operations().filter((o) => o.path.startsWith('/v1/cases/{id}/'));
    expect(actions.map((o) => o.path.replace('/v1/cases/{id}/', '')).sort()).toEqual([...OFFICER_ACTIONS].sort());
    expect(operations().filter((o) => o.path.includes('{action}'))).toEqual([]);
    for (const { path, op } of actions) {
      const action = path.replace('/v1/cases/{id}/', '') as OfficerAction;
      const spec = OFFICER_ACTION_SPECS[action];
      const schema = asObject(
        jsonAt(
          doc,
          'components',
          'schemas',
          String(jsonAt(op, 'requestBody', 'content', 'application/json', 'schema', '$ref'))
            .split('/')
            .pop()!,
        ),
      );
      expect({ action, operationId: op.operationId, fields: Object.keys(asObject(schema?.properties) ?? {}), required: schema?.required }).toEqual({
        action,
        operationId: spec.operationId,
        fields: ['expectedVersion', ...spec.fields],
        required: [...(action === 'note' ? [] : ['expectedVersion']), ...spec.required],
      });
      expect((asArray(op.parameters) ?? []).map((p) => jsonAt(p, 'name'))).toEqual(['id', 'Idempotency-Key']);
      // Each action may be retried with the key its first request carried (cloned from the route's decorators).
      expect((asArray(op.parameters) ?? []).find((p) => jsonAt(p, 'name') === 'Idempotency-Key')).toMatchObject({
        in: 'header',
        required: false,
        schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
      });
      expect(jsonAt(op, 'responses', '200', 'headers', 'Idempotent-Replayed')).toMatchObject({ schema: { enum: ['true'] } });
      expect(String(jsonAt(op, 'responses', '422', 'description'))).toContain('Idempotency-Key was used in the last 24 hours for another request');
      // The draft's answer to a retry sent before the first request completed: 409, sent again after Retry-After.
      expect(String(jsonAt(op, 'responses', '409', 'description'))).toContain('a request with this Idempotency-Key is still under way');
      expect(jsonAt(op, 'responses', '409', 'headers', 'Retry-After')).toMatchObject({ schema: { type: 'integer' } });
      expect(String(op.description)).toContain('the case as it is now');
    }
    const transfer = operations().find((o) => o.name === 'POST /v1/cases/{id}/transfer')!.op;
    expect(schemaProperty('TransferCaseBody', 'unitCode')).toMatchObject({ type: 'string', maxLength: 40, description: 'the unit' });
    expect(schemaProperty('TransferCaseBody', 'reason')).toMatchObject({ type: 'string', maxLength: 2000 });
    expect(schemaProperty('AssignCaseBody', 'reason')).toMatchObject({ type: ['string', 'null'] });
    expect(jsonAt(doc, 'components', 'schemas', 'TransferCaseBody', 'additionalProperties')).toBe(false);
    expect(String(transfer.description)).toContain('The case goes from `assigned` to `assigned`, from `in_progress` to `assigned`.');
    // The roles of the route that the action's rule allows: only a leader grants more time.
    const extend = operations().find((o) => o.name === 'POST /v1/cases/{id}/extend')!.op;
    expect(extend['x-roles']).toEqual(['LEADER']);
    expect(String(extend.description)).toContain('Roles: LEADER.');
    expect(jsonAt(doc, 'components', 'schemas', 'CaseActionDto')).toBeUndefined();
  });

  it('writes null one way, as OpenAPI 3.1 does (no nullable beside allOf)', () => {
    const text = JSON.stringify(doc);
    expect(doc.openapi).toBe('3.1.0');
    expect(text).not.toContain('"nullable"');
    expect(schemaProperty('UnitDto', 'handler')).toMatchObject({ anyOf: [{ $ref: '#/components/schemas/DesigneeDto' }, { type: 'null' }] });
    expect(schemaProperty('DesignationDto', 'handlerId')).toMatchObject({ type: ['string', 'null'], format: 'uuid' });
    expect(schemaProperty('ChannelWebhookDto', 'url')).toMatchObject({ type: ['string', 'null'] });
    // A request body's optional fields take null as left out (OptionalField), and say so.
    expect(schemaProperty('SubmitFeedbackDto', 'title')).toMatchObject({ type: ['string', 'null'] });
    expect(schemaProperty('LocationDto', 'lat')).toMatchObject({ type: ['number', 'null'] });
    expect(schemaProperty('SubmitFeedbackDto', 'category')).toMatchObject({ type: 'string' });
  });

  // Spectral's OAS ruleset (array-items) calls an array schema without items an error, and linters and
  // generators built on it stop there; a class's rules only count a list the field's own schema types.
  it('gives every array schema its items, the rules of a class under allOf too', () => {
    const bare: string[] = [];
    const visit = (s: Json | undefined, where: string): void => {
      if (Array.isArray(s)) return s.forEach((v, i) => visit(v, `${where}[${i}]`));
      if (!isJsonObject(s)) return;
      const types = asArray(s.type) ?? [s.type];
      if (types.includes('array') && s.items === undefined && s.prefixItems === undefined) bare.push(where);
      for (const [k, v] of Object.entries(s)) if (k !== 'example' && k !== 'examples' && typeof v === 'object') visit(v, `${where}.${k}`);
    };
    visit(doc.components, 'components');
    visit(doc.paths, 'paths');
    visit(doc.webhooks, 'webhooks');
    expect(bare).toEqual([]);
  });
});

describe(finishDocument.name, () => {
  const base = (paths: JsonObject, schemas: JsonObject = {}) =>
    ({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths, components: { schemas } }) as never;

  it('drops the schemas no operation uses', () => {
    const ref = (name: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } });
    const doc = finishDocument(
      base(
        { '/v1/x': { get: { responses: { 200: { description: '', ...ref('X') } } } } },
        {
          Unused: { type: 'object' },
          X: { type: 'object', properties: { y: { $ref: '#/components/schemas/Y' } } },
          Y: { type: 'object' },
          ErrorDto: { type: 'object' },
        },
      ),
    );
    // The webhooks' payloads stay: the document's `webhooks` use them.
    expect(Object.keys(doc.components!.schemas!).sort()).toEqual([
      'CaseStatusWebhook',
      'ComplianceWebhook',
      'ErrorDto',
      'EscalationWebhook',
      'NoticeWebhook',
      'PrivacyRequestWebhook',
      'X',
      'Y',
    ]);
  });

  it("describes the paths of GeoReport v2 with the specification's error body, XML on .xml paths, and a POST's fields without null", () => {
    const ok = (content: JsonObject) => ({ 200: { description: '', content } });
    const post = { $ref: '#/components/schemas/Post' };
    const doc = asJson(
      finishDocument(
        base(
          {
            '/open311/v2/services.json': {
              get: { responses: { ...ok({ 'application/json': { schema: { type: 'array' } } }), 404: { description: 'no such' } } },
            },
            '/open311/v2/services.xml': { get: { responses: ok({ 'text/xml': { schema: { type: 'string' } } }) } },
            '/open311/v2/requests.json': {
              post: {
                requestBody: { content: { 'application/x-www-form-urlencoded': { schema: post } } },
                responses: ok({ 'application/json': { schema: { type: 'array' } } }),
              },
            },
          },
          {
            Post: { type: 'object', properties: { service_code: { type: 'string' }, lat: { type: 'string' } }, required: ['service_code'] },
            GeoReportErrorDto: { type: 'object', properties: { code: { type: 'number' }, description: { type: 'string' } } },
            ErrorDto: { type: 'object' },
          },
        ),
      ),
    );
    const errors = { 'application/json': { schema: { $ref: '#/components/schemas/GeoReportErrors' } } };
    expect(jsonAt(doc, 'paths', '/open311/v2/services.json', 'get', 'responses', '404', 'content')).toEqual(errors);
    expect(jsonAt(doc, 'paths', '/open311/v2/services.json', 'get', 'responses', '503', 'content')).toEqual(errors);
    expect(jsonAt(doc, 'paths', '/open311/v2/services.xml', 'get', 'responses', '503', 'content')).toEqual({
      'text/xml': { schema: { type: 'string', description: '<errors><error><code/><description/></error></errors>' } },
    });
    expect(jsonAt(doc, 'components', 'schemas', 'GeoReportErrors')).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/GeoReportErrorDto' } });
    expect(jsonAt(doc, 'components', 'schemas', 'Post', 'properties', 'lat')).toEqual({ type: 'string' });
    expect(jsonAt(doc, 'components', 'schemas', 'Post', 'additionalProperties')).toBe(false);
  });

  it('turns nullable into a null type or an anyOf with null', () => {
    const doc = finishDocument(
      base(
        { '/v1/a': { get: { responses: { 200: { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } } } } } },
        {
          A: {
            type: 'object',
            properties: {
              ref: { nullable: true, description: 'd', type: 'object', allOf: [{ $ref: '#/components/schemas/B' }] },
              text: { type: 'string', nullable: true },
              state: { type: 'string', enum: ['a', 'b'], nullable: true },
              nullable: { type: 'boolean' },
            },
          },
        },
      ),
    );
    expect(jsonAt(asJson(doc), 'components', 'schemas', 'A', 'properties')).toEqual({
      ref: { description: 'd', anyOf: [{ $ref: '#/components/schemas/B' }, { type: 'null' }] },
      text: { type: ['string', 'null'] },
      state: { type: ['string', 'null'], enum: ['a', 'b', null] },
      nullable: { type: 'boolean' },
    });
  });

  it('adds what every operation can answer: 400 and 413 always (a body may be sent anyway), 415 but to a GET, 401 with credentials, 429 but on the health check and metrics, 503 always; security [] without', () => {
    const doc = finishDocument(
      base({
        '/v1/y': {
          post: { security: [{ bearer: [] }], requestBody: { content: {} }, responses: { 201: { description: '' } } },
          get: { responses: { 200: { description: 'fine' } } },
        },
        '/health': { get: { responses: { 200: { description: 'up' } } } },
      }),
    );
    const y = jsonAt(asJson(doc), 'paths', '/v1/y');
    expect(Object.keys(asObject(jsonAt(y, 'post', 'responses')) ?? {})).toEqual(['201', '400', '401', '413', '415', '429', '503']);
    expect(jsonAt(y, 'post', 'responses', '201', 'description')).toBe('Created');
    expect(Object.keys(asObject(jsonAt(y, 'get', 'responses')) ?? {})).toEqual(['200', '304', '400', '413', '429', '503']);
    expect(jsonAt(y, 'get')).toMatchObject({
      security: [],
      responses: {
        200: { description: 'fine' },
        429: { headers: { 'Retry-After': expect.any(Object) as object } },
        503: { headers: { 'Retry-After': expect.any(Object) as object } },
      },
    });
    // Never refused: operations' eyes stay open under load.
    expect(Object.keys(asObject(jsonAt(asJson(doc), 'paths', '/health', 'get', 'responses')) ?? {})).toEqual(['200', '304', '400', '413', '503']);
  });
});
