import { ROLES_EXTENSION } from './common/roles.decorator';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ActionRule, asArray, asJson, asObject, CASE_TRANSITIONS, isJsonObject, Json, jsonAt, JsonObject } from '@fr/domain';
import { OFFICER_ACTION_SPECS, OFFICER_ACTIONS } from './cases/case-actions';
import { DependencyCheckDto, ERROR_MEANINGS, ErrorDto, ErrorStatus } from './common/error.dto';
import { WEBHOOK_SCHEMAS, webhooksSection } from './openapi-webhooks';
import { schemaRules } from './common/schema-rules';
import { NEVER_REFUSED } from './common/requests-in-flight.middleware';
import { GEOREPORT_PATH } from './open311/georeport-errors';
import { GeoReportErrorDto } from './open311/georeport.dto';
import { textPattern } from './common/text.decorators';
import { ATTRIBUTE } from '@fr/open311';

/** GeoReport v2's error body, `[{ code, description }]`, among the document's schemas. */
export const GEOREPORT_ERRORS = 'GeoReportErrors';
const GEOREPORT_PREFIX = `${GEOREPORT_PATH}/`;

/**
 * Paths whose every error, an unknown path's included, has a body of its own specification's rather than
 * ErrorDto (GeoReport v2: JSON, or XML on `.xml` paths): what a checker of answers no operation declares
 * must know.
 */
export const OWN_ERROR_FORMATS: readonly { prefix: string; schema: string; xmlSuffix?: string }[] = [
  { prefix: GEOREPORT_PREFIX, schema: GEOREPORT_ERRORS, xmlSuffix: '.xml' },
];

export const CHANNEL_KEY_SCHEME = 'channel';
export const BEARER_SCHEME = 'bearer';
export const METRICS_SCHEME = 'metrics';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The contract channels and officers' tools code against (served at /docs and /docs/openapi.json,
 * committed as openapi/openapi.json). The controllers' decorators describe each operation; what the
 * global middleware, pipes and filter answer for every operation is added here, in one place.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('feedback-router')
    .setDescription(
      "Routes citizens' feedback to the responsible government unit and keeps it on time. Channels send feedback with their API key " +
        '(`X-Api-Key`); officers log in at `POST /v1/auth/login` and send `Authorization: Bearer <accessToken>`. Every error has the ' +
        "body `{ statusCode, error, message }` (ErrorDto), but under `/open311` (GeoReport v2), where errors are the specification's `[{ code, description }]` " +
        '(XML on `.xml` paths), with `errors: [{ field, problems }]` for fields that are wrong and `state` ' +
        'for a case whose state does not allow the action. Every operation may answer 503 with Retry-After while PostgreSQL or ' +
        'Redis is unavailable, or while the server is working on as many requests as it takes at once; and 429 with Retry-After ' +
        'while the caller (its channel key, or without credentials its address) has as many in flight as one caller may. ' +
        'Every text, in any body, query or path parameter, is refused (400, naming where) when it holds NUL, ' +
        'a lone surrogate, a bidirectional control (U+202A-U+202E, U+2066-U+2069), a C1 control (U+0080-U+009F) or a noncharacter; ' +
        'so is a body nested deeper than 16 levels, an object of more than 100 fields or a list of more than 1,000 items. A field ' +
        'sent as null is taken as left out, unless its description gives null a meaning.',
    )
    .setVersion('0.1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'the server that serves this document')
    .addApiKey({ type: 'apiKey', name: 'X-Api-Key', in: 'header', description: "a channel's API key: the channel of a case comes from it" }, CHANNEL_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an access token from POST /v1/auth/login' }, BEARER_SCHEME)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: "the deployment's FR_METRICS_TOKEN (Prometheus' bearer_token)" },
      METRICS_SCHEME,
    )
    .build();
  const doc = SwaggerModule.createDocument(app, config, { extraModels: [ErrorDto, DependencyCheckDto, GeoReportErrorDto] });
  return finishDocument(doc);
}

/** Everything the decorators cannot say (exported for its test). */
export function finishDocument(doc: OpenAPIObject): OpenAPIObject {
  const json = asJson(doc);
  describeGeoReport(json);
  dropUnusedSchemas(json);
  splitCaseActions(json);
  for (const [path, item] of Object.entries(asObject(json.paths) ?? {})) {
    for (const method of METHODS) {
      const op = asObject(jsonAt(item, method));
      if (op) {
        addCommonResponses(op, method, path);
        describeRoles(op);
      }
    }
  }
  closeRequestSchemas(json);
  const done = toOpenApi31(json);
  addSchemaRules(done);
  // Written in 3.1's own forms already (type arrays, const): added after the conversion.
  (done as OpenAPIObject & { webhooks?: JsonObject }).webhooks = webhooksSection();
  done.tags = documentTags(done);
  done.components = { ...done.components, schemas: { ...done.components?.schemas, ...(WEBHOOK_SCHEMAS as Record<string, SchemaObject>) } };
  return done;
}

/**
 * What each group of operations is about, for the document's top-level `tags` (left empty, linters
 * counted 72 operations with a tag the document does not define). Every tag an operation uses is listed.
 */
const TAG_DESCRIPTIONS: Record<string, string> = {
  intake: "Channels send citizens' feedback and follow it (X-Api-Key)",
  auth: "Officers' logins, tokens and passwords",
  cases: "Handlers' queues and the actions of the case state machine",
  hotline: 'The 1022 hotline: calls entered for citizens, cases found by the caller',
  officers: "Officers' accounts and absences (who covers)",
  units: 'Units, their designated handler and leader, the coverage report',
  reorganisations: 'Units that merge, split and succeed each other: plans, dry runs, cancellation',
  escalations: 'Escalation ladders fired by deadlines',
  notifications: "Officers' in-app notices and webhooks",
  notices: 'Notices posted to units and areas',
  audits: "Home Affairs' audits: the trail's verification, unit reports, samples, reviews, exports",
  compliance: "The directive's targets and the board",
  privacy: "Citizens' requests about their data, and who read it",
  calendars: 'The working calendar: holidays and make-up days',
  operations: 'Health and metrics',
  webhooks: 'The calls the engine makes to receivers (Standard Webhooks)',
  open311: "Open311 GeoReport v2 (the specification's paths, fields and errors): services and requests in .json and .xml, a channel's POST with its api_key",
};

function documentTags(doc: OpenAPIObject): { name: string; description?: string }[] {
  const used = new Set<string>();
  const collect = (items: object | undefined) => {
    for (const item of Object.values(items ?? {}) as Record<string, { tags?: string[] }>[]) {
      for (const method of METHODS) for (const tag of item[method]?.tags ?? []) used.add(tag);
    }
  };
  collect(doc.paths);
  collect((doc as OpenAPIObject & { webhooks?: object }).webhooks);
  return [...used].sort().map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name }));
}

/** Schemas no operation uses (the error bodies are added to every operation later) are not published. */
function dropUnusedSchemas(doc: JsonObject): void {
  const schemas = asObject(jsonAt(doc, 'components', 'schemas')) ?? {};
  const used = new Set<string>(['ErrorDto', GEOREPORT_ERRORS]);
  const visit = (v: Json | undefined): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/')) {
        const name = x.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else if (k !== 'example' && k !== 'examples') visit(x);
    }
  };
  visit(doc.paths);
  visit(schemas.ErrorDto);
  visit(schemas[GEOREPORT_ERRORS]);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

function errorResponse(status: ErrorStatus, path: string): JsonObject {
  const geoReport = path.startsWith(GEOREPORT_PREFIX);
  return {
    description: geoReport ? GEOREPORT_ERROR_MEANINGS[status] : ERROR_MEANINGS[status],
    content: geoReport ? geoReportErrorContent(path) : { 'application/json': { schema: { $ref: '#/components/schemas/ErrorDto' } } },
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } } } }
      : {}),
  };
}

const GEOREPORT_ERROR_MEANINGS: Record<ErrorStatus, string> = {
  ...ERROR_MEANINGS,
  400: 'the request is malformed (a parameter, a field, the body): the description says what is wrong and names it',
  403: 'api_key (or X-Api-Key) is missing or is not a channel key',
  415: 'the body is neither a form (application/x-www-form-urlencoded) nor JSON, or not UTF-8',
};

/** GeoReport's errors: `[{ code, description }]`, or `<errors><error><code/><description/></error></errors>` on a `.xml` path. */
function geoReportErrorContent(path: string): JsonObject {
  return path.endsWith('.xml')
    ? { 'text/xml': { schema: { type: 'string', description: '<errors><error><code/><description/></error></errors>' } } }
    : { 'application/json': { schema: { $ref: `#/components/schemas/${GEOREPORT_ERRORS}` } } };
}

/**
 * Open311 GeoReport v2 follows its own specification: errors as a list of { code, description } (the
 * errors the controller declares get that body here, by the path's format), and a POST's fields as the
 * specification names them, where null is not a value (a form has none; the controller refuses it in JSON).
 */
function describeGeoReport(doc: JsonObject): void {
  const paths = Object.entries(asObject(doc.paths) ?? {}).filter(([path]) => path.startsWith(GEOREPORT_PREFIX));
  const schemas = asObject(jsonAt(doc, 'components', 'schemas'));
  if (!paths.length || !schemas) return;
  schemas[GEOREPORT_ERRORS] = {
    type: 'array',
    description: "GeoReport v2's errors (one here), `code` the HTTP status",
    items: { $ref: '#/components/schemas/GeoReportErrorDto' },
  };
  const noNull = new Set<string>();
  for (const [path, item] of paths) {
    for (const method of METHODS) {
      const op = asObject(jsonAt(item, method));
      if (!op) continue;
      for (const [status, r] of Object.entries(asObject(op.responses) ?? {})) {
        const response = asObject(r);
        if (response && Number(status) >= 400 && !response.content) response.content = geoReportErrorContent(path);
      }
      for (const media of Object.values(asObject(jsonAt(op, 'requestBody', 'content')) ?? {})) {
        const ref = jsonAt(media, 'schema', '$ref');
        if (typeof ref === 'string') noNull.add(ref.replace('#/components/schemas/', ''));
      }
    }
  }
  // closeRequestSchemas makes an optional field nullable unless it says otherwise: these do, at any depth;
  // and each field takes what intake takes of the field it becomes.
  const visit = (name: string): void => {
    holdToIntake(schemas, name);
    for (const p of Object.values(asObject(jsonAt(schemas, name, 'properties')) ?? {})) {
      const property = asObject(p);
      if (!property) continue;
      property.nullable ??= false;
      const ref = property.$ref ?? jsonAt(asArray(property.allOf)?.[0], '$ref');
      if (typeof ref === 'string') visit(ref.replace('#/components/schemas/', ''));
    }
  };
  noNull.forEach(visit);
}

/**
 * A GeoReport POST is read into intake's command and held to intake's rules (readGeoReportSubmission): each
 * field takes what the intake field it becomes takes (its pattern, length, format), or, when optional, a
 * text that shows nothing, which counts as left out.
 */
const INTAKE_FIELD_OF: Record<string, readonly [schema: string, property: string]> = {
  service_code: ['SubmitFeedbackDto', 'category'],
  description: ['SubmitFeedbackDto', 'description'],
  address_string: ['LocationDto', 'address'],
  email: ['CitizenDto', 'email'],
  phone: ['CitizenDto', 'phone'],
  first_name: ['CitizenDto', 'name'],
  last_name: ['CitizenDto', 'name'],
  media_url: ['AttachmentDto', 'url'],
  [ATTRIBUTE.wardCode]: ['LocationDto', 'wardCode'],
  [ATTRIBUTE.externalId]: ['SubmitFeedbackDto', 'externalId'],
  [ATTRIBUTE.title]: ['SubmitFeedbackDto', 'title'],
};
const INTAKE_RULES = ['pattern', 'minLength', 'maxLength', 'format'];

function holdToIntake(schemas: JsonObject, name: string): void {
  const schema = asObject(schemas[name]);
  const required = new Set(asArray(schema?.required) ?? []);
  for (const [field, p] of Object.entries(asObject(schema?.properties) ?? {})) {
    const property = asObject(p);
    const source = INTAKE_FIELD_OF[/^attribute\[(.+)\]$/.exec(field)?.[1] ?? field];
    const intake = source && asObject(jsonAt(schemas, source[0], 'properties', source[1]));
    if (!property || !intake) continue;
    const rules: JsonObject = {};
    // The field's own bounds win (GeoReport's description: 4000 characters, counted as stored).
    for (const k of INTAKE_RULES) if (intake[k] !== undefined && property[k] === undefined) rules[k] = intake[k];
    if (required.has(field)) Object.assign(property, rules);
    else property.anyOf = [{ not: { pattern: textPattern(['notBlank']) }, description: 'shows nothing: left out' }, rules];
  }
}

/**
 * What every operation can answer whatever its controller does: the media-type check (415), the body
 * parser (400 malformed JSON or UTF-8, 413 too large), the input pipe on every parameter (400), a
 * query parameter a GET does not take (400, KnownQueryInterceptor), the guards (401), one caller's share
 * of the requests in flight (429, but on the paths never refused), the outage mapping (503) and, on a
 * GET, the conditional answer (304). `security: []` says an operation needs no credentials. The body parser and the media-type check read any body sent, so an operation that
 * takes none answers 400 and 413 too (a GET as well), and 415 unless it is a GET, which ignores a body
 * of another type: a validating proxy refused those answers as undeclared.
 */
function addCommonResponses(op: JsonObject, method: string, path: string): void {
  let responses = asObject(op.responses);
  if (!responses) op.responses = responses = {};
  for (const [status, r] of Object.entries(responses)) {
    const response = asObject(r);
    if (response && !response.description) response.description = SUCCESS[status] ?? 'OK';
  }
  const add = (status: ErrorStatus): void => {
    responses[status] ??= errorResponse(status, path);
  };
  add(400);
  add(413);
  if (op.requestBody || method !== 'get') add(415);
  if (asArray(op.security)?.length) add(401);
  else op.security = [];
  if (!NEVER_REFUSED.test(path)) add(429);
  add(503);
  // Express answers a GET whose If-None-Match matches the response's ETag with 304 and no body.
  if (method === 'get') responses['304'] ??= { description: 'Not Modified: the ETag sent in If-None-Match still matches' };
}

/**
 * Who may call an operation, in words a reader of its description sees (the `x-roles` extension says it
 * for tools): the roles of `@Roles`; an officer's operation without them is open to every role, its own
 * rules (the case's unit, the action) aside.
 */
function describeRoles(op: JsonObject): void {
  const roles = asArray(op[ROLES_EXTENSION]);
  const officers = asArray(op.security)?.some((s) => isJsonObject(s) && BEARER_SCHEME in s);
  if (!roles && !officers) return;
  const who = roles ? `Roles: ${roles.join(', ')}.` : 'Roles: any officer.';
  op.description = typeof op.description === 'string' && op.description ? `${op.description}\n\n${who}` : who;
  const responses = asObject(op.responses);
  const forbidden = asObject(responses?.['403']);
  // A copy: the decorators share one response object among a controller's operations.
  if (responses && forbidden && roles)
    responses['403'] = { ...forbidden, description: `the caller's role is not ${orList(roles.map(String))}, or may not do this` };
}

/**
 * The validation pipe refuses unknown fields in every body (forbidNonWhitelisted), at any depth: the
 * schemas a request body uses say so, and that their optional fields take null as left out. Response schemas stay open, so that a field added later does
 * not break a client.
 */
function closeRequestSchemas(doc: JsonObject): void {
  const schemas = asObject(jsonAt(doc, 'components', 'schemas')) ?? {};
  const seen = new Set<string>();
  const visit = (s: Json | undefined): void => {
    if (Array.isArray(s)) return s.forEach(visit);
    if (!isJsonObject(s)) return;
    const o = s;
    if (typeof o.$ref === 'string') {
      const name = o.$ref.replace('#/components/schemas/', '');
      if (!seen.has(name) && schemas[name]) {
        seen.add(name);
        visit(schemas[name]);
      }
    }
    if (o.properties && o.additionalProperties === undefined) o.additionalProperties = false;
    // An optional field sent as null is taken as left out (OptionalField; a field where null means
    // something, a designation cleared, says so itself): a validating proxy refused those bodies.
    const required = new Set(asArray(o.required) ?? []);
    for (const [name, p] of Object.entries(asObject(o.properties) ?? {})) {
      if (!required.has(name) && isJsonObject(p) && p.nullable === undefined) p.nullable = true;
    }
    for (const [k, v] of Object.entries(o)) if (k !== '$ref' && k !== 'example' && k !== 'examples') visit(v);
  };
  for (const item of Object.values(asObject(doc.paths) ?? {})) {
    for (const method of METHODS) {
      const content = asObject(jsonAt(item, method, 'requestBody', 'content'));
      for (const media of Object.values(content ?? {})) visit(jsonAt(media, 'schema'));
    }
  }
}

/** The rules of one field against another that the DTO classes declare (SchemaRules), in their schemas. */
function addSchemaRules(doc: OpenAPIObject): void {
  const schemas = doc.components?.schemas ?? {};
  for (const [name, rules] of schemaRules()) {
    const schema = schemas[name] as SchemaObject | undefined;
    // A class of no operation has no schema here.
    if (schema) schema.allOf = [...(schema.allOf ?? []), ...rules.map((r) => r as SchemaObject)];
  }
}

const SUCCESS: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content' };

const ANNOTATIONS = new Set(['description', 'title', 'example', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);

/**
 * OpenAPI 3.1 (JSON Schema 2020-12): `nullable` beside `allOf` or a `$ref` is ambiguous in 3.0 and
 * validators read it differently; here null is a type like any other, written one way everywhere.
 */
function toOpenApi31(doc: JsonObject): OpenAPIObject {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isJsonObject(v)) return v;
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === 'example' || k === 'examples' ? x : walk(x);
    // 3.0's `minimum: 0, exclusiveMinimum: true` is 3.1's `exclusiveMinimum: 0`.
    if (o.exclusiveMinimum === true && typeof o.minimum === 'number') {
      o.exclusiveMinimum = o.minimum;
      delete o.minimum;
    }
    if (typeof o.nullable !== 'boolean') return o;
    const nullable = o.nullable;
    delete o.nullable;
    if (!nullable) return o;
    const composed = ['allOf', 'anyOf', 'oneOf', '$ref'].some((k) => k in o);
    if (typeof o.type === 'string' && !composed) {
      o.type = [o.type, 'null'];
      if (Array.isArray(o.enum)) o.enum = [...o.enum, null];
      return o;
    }
    // A nullable reference: { anyOf: [{ $ref }, { type: 'null' }] }, annotations outside.
    const outer: JsonObject = {};
    const inner: JsonObject = {};
    for (const [k, x] of Object.entries(o)) (ANNOTATIONS.has(k) ? outer : inner)[k] = x;
    if (inner.type === 'object' && composed) delete inner.type;
    const allOf = inner.allOf;
    const only = Object.keys(inner).length === 1 && Array.isArray(allOf) && allOf.length === 1 ? allOf[0] : inner;
    return { ...outer, anyOf: [only, { type: 'null' }] };
  };
  // The walk keeps the document's shape; 3.1 only changes how null is written.
  return { ...(walk(doc) as unknown as OpenAPIObject), openapi: '3.1.0' };
}

const CASE_ACTION_PATH = '/v1/cases/{id}/{action}';

/**
 * The one route of the case actions becomes an operation for each (`/v1/cases/{id}/transfer`, ...), with
 * the body that action takes: one body for all of them, every field optional, let a validating proxy pass
 * a transfer without `unitCode` and gave a generated client one method taking any field. Each operation's
 * states and roles come from CASE_TRANSITIONS (the roles of @Roles that the rule allows), its fields from
 * OFFICER_ACTION_SPECS, which the controller checks bodies by.
 */
function splitCaseActions(doc: JsonObject): void {
  const paths = asObject(doc.paths);
  const schemas = asObject(jsonAt(doc, 'components', 'schemas'));
  const generic = asObject(jsonAt(paths, CASE_ACTION_PATH, 'post'));
  const body = asObject(jsonAt(schemas, 'CaseActionDto'));
  const properties = asObject(body?.properties);
  // A document of other operations only (finishDocument's tests) has nothing to split.
  if (!paths || !schemas || !generic || !properties) return;
  const routeRoles = (asArray(generic[ROLES_EXTENSION]) ?? []).map(String);
  const perAction: JsonObject = {};
  for (const action of OFFICER_ACTIONS) {
    const spec = OFFICER_ACTION_SPECS[action];
    const rule = CASE_TRANSITIONS[action];
    const schemaName = `${spec.operationId[0].toUpperCase()}${spec.operationId.slice(1)}Body`;
    schemas[schemaName] = {
      type: 'object',
      properties: Object.fromEntries(['expectedVersion', ...spec.fields].map((f) => [f, actionField(properties[f], f, action)])),
      required: [...(action === 'note' ? [] : ['expectedVersion']), ...spec.required],
    };
    const op = JSON.parse(JSON.stringify(generic)) as JsonObject;
    op.operationId = spec.operationId;
    op.summary = spec.summary;
    op.description = `${spec.description}\n\n${statesOf(rule.from)}\n\n${String(generic.description)}`;
    op[ROLES_EXTENSION] = routeRoles.filter((r) => (rule.roles as readonly string[]).includes(r));
    op.parameters = (asArray(op.parameters) ?? []).filter((p) => jsonAt(p, 'name') !== 'action');
    op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } } };
    const notFound = asObject(jsonAt(op, 'responses', '404'));
    if (notFound) notFound.description = "no such case in the caller's scope";
    perAction[CASE_ACTION_PATH.replace('{action}', action)] = { post: op };
  }
  // In the place of the one route, so the document keeps the controllers' order.
  doc.paths = Object.fromEntries(Object.entries(paths).flatMap(([path, item]) => (path === CASE_ACTION_PATH ? Object.entries(perAction) : [[path, item]])));
  delete schemas.CaseActionDto;
}

/** A field of one action's body: the list of actions its description began with is that action now. */
function actionField(schema: Json | undefined, field: string, action: string): Json {
  const copy = { ...(asObject(schema) ?? {}) };
  if (field === 'expectedVersion')
    copy.description =
      action === 'note'
        ? 'optional for a note, which moves no version: if given, a case changed since is refused with 409'
        : 'the version of the case the caller last read (a stale one is refused with 409)';
  else if (typeof copy.description === 'string') {
    const rest = copy.description.replace(/^[a-z-]+(, [a-z-]+)*(: |$)/, '');
    if (rest) copy.description = rest;
    else delete copy.description;
  }
  return copy;
}

function statesOf(from: ActionRule['from']): string {
  const moves = Object.entries(from);
  if (moves.every(([a, b]) => a === b)) return `Taken while the case is ${orList(moves.map(([a]) => `\`${a}\``))}; its state stays. In another state: 409.`;
  return `The case goes ${moves.map(([a, b]) => `from \`${a}\` to \`${b}\``).join(', ')}. In another state: 409.`;
}

/** "ADMIN", "ADMIN or SUPERVISOR", "ADMIN, SUPERVISOR or AUDITOR". */
function orList(items: readonly string[]): string {
  return items.length < 3 ? items.join(' or ') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
