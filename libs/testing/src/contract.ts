import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { asArray, asJson, asObject, isJsonObject, Json, jsonAt, JsonObject } from '@fr/domain';

/** A response as a client saw it: enough to find its operation and check its status and body. */
export interface ObservedResponse {
  method: string;
  /** The request's path, with or without its query string. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or the text of another media type. */
  body: unknown;
  /** The raw text, when the client kept it; '' or undefined for an empty body. */
  text?: string;
}

/**
 * Paths that answer errors in a format of their own (Open311 GeoReport v2: `[{ code, description }]`,
 * XML on `.xml` paths), for the answers no operation declares: an unknown path, a method it does not take.
 */
export interface OwnErrorFormat {
  prefix: string;
  /** The name of the JSON error body's schema among the document's components. */
  schema: string;
  /** Paths ending so answer errors in XML, whose media type is checked and not its body. */
  xmlSuffix?: string;
}

export interface ContractOptions {
  ownErrorFormats?: readonly OwnErrorFormat[];
  /**
   * Every schema of the document was already checked against the meta-schema (validateSchemas) by a
   * checker of the same document: this one skips it, and with it compiling the meta-schema (see sharedContract).
   */
  schemasValidated?: boolean;
}

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal segments: a literal match wins over a parameter (/v1/units/coverage over /v1/units/{code}). */
  literals: number;
  responses: JsonObject;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Answered before routing, so for any path: the media-type check, the body parser. */
const BEFORE_ROUTING = new Set([400, 413, 415]);
const SCHEMAS = 'https://contract.invalid/openapi.json#/components/schemas/';
const XML = /^(text|application)\/([\w.+-]+\+)?xml$/;

/**
 * Checks responses against an OpenAPI document: the operation must exist, the status must be declared
 * for it, the media type too, and a JSON body must match the declared schema. Stricter than a client
 * has to be: every object must carry only the properties the document names, so a field the server
 * adds without documenting it fails here (the published schemas of responses stay open).
 *
 * A path may hold a parameter inside a segment (`/requests/{id}.json`). Bodies of another media type than
 * JSON (XML) are checked for their media type only.
 *
 * Not checked: responses the application did not write (Node's own 400/431 for a malformed request
 * line carry none of the headers the API sets on every answer) and the Swagger UI at /docs.
 */
export class ContractChecker {
  private readonly operations: Operation[];
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  /** The document's `webhooks`: each event's request body schema and headers. */
  private readonly webhooks = new Map<string, { body: JsonObject; headers: JsonObject[] }>();

  constructor(
    document: object,
    private readonly options: ContractOptions = {},
  ) {
    const doc = asJson(document);
    this.operations = Object.entries(asObject(doc.paths) ?? {})
      .flatMap(([template, item]) =>
        METHODS.filter((m) => jsonAt(item, m)).map((method) => {
          const segments = template.split('/').filter(Boolean);
          const source = segments
            .map((s) =>
              s
                .split(/\{[^/{}]+\}/)
                .map(escapeRegExp)
                .join('[^/]+'),
            )
            .join('/');
          return {
            method,
            template,
            pattern: new RegExp(`^/${source}/?$`),
            literals: segments.filter((s) => !s.includes('{')).length,
            responses: asObject(jsonAt(item, method, 'responses')) ?? {},
          };
        }),
      )
      .sort((a, b) => b.literals - a.literals);
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: !options.schemasValidated });
    addFormats(this.ajv);
    this.ajv.addFormat('password', true);
    this.ajv.addSchema({ $id: SCHEMAS.split('#')[0], components: { schemas: closed(jsonAt(doc, 'components', 'schemas') ?? {}) } });
    for (const [event, item] of Object.entries(asObject(doc.webhooks) ?? {})) {
      const body = asObject(jsonAt(item, 'post', 'requestBody', 'content', 'application/json', 'schema'));
      const headers = (asArray(jsonAt(item, 'post', 'parameters')) ?? []).map(asObject).filter((h): h is JsonObject => h !== undefined);
      if (body) this.webhooks.set(event, { body, headers });
    }
  }

  /**
   * Checks against the meta-schema every schema a body may be validated against (each response's JSON
   * schema, each webhook's body), as compiling one when a response first needs it does; throws naming the
   * first that breaks it. The components were checked when the checker was made.
   */
  validateSchemas(): void {
    const schemas = [
      ...this.operations.flatMap((o) => Object.values(o.responses).map((r) => asObject(jsonAt(r, 'content', 'application/json', 'schema')))),
      ...[...this.webhooks.values()].map((w) => w.body),
    ];
    // Throws on the first invalid one; the meta-schema is not $async, so there is no promise to wait for.
    for (const schema of schemas) if (schema) void this.ajv.validateSchema(closed(rebase(schema)), true);
  }

  /** What is wrong with a payload stored for a delivery (its body alone: the headers come with the attempt). */
  webhookPayloadProblems(payload: unknown): string[] {
    const headers = { 'webhook-id': `msg_${'0'.repeat(32)}`, 'webhook-timestamp': '1800000000', 'webhook-signature': 'v1,AAAA' };
    return this.webhookProblems({ headers, body: JSON.stringify(payload) });
  }

  /**
   * What is wrong with a call the engine made to a webhook receiver, against the document's `webhooks`:
   * the event must be described, the body match its schema (no undescribed field), the headers theirs.
   */
  webhookProblems(call: { headers: Record<string, string | string[] | undefined>; body: string }): string[] {
    let body: Json;
    try {
      body = JSON.parse(call.body) as Json;
    } catch {
      return [`the webhook call's body is not JSON: ${call.body.slice(0, 200)}`];
    }
    const event = String(jsonAt(body, 'event') ?? '');
    const described = this.webhooks.get(event);
    if (!described) return [`the webhook event '${event}' is not in the document's webhooks (${[...this.webhooks.keys()].join(', ')})`];
    const problems: string[] = [];
    for (const h of described.headers) {
      const name = String(h.name).toLowerCase();
      const value = call.headers[name];
      const pattern = jsonAt(h, 'schema', 'pattern');
      if (typeof value !== 'string') problems.push(`webhook '${event}': header ${name} is missing`);
      else if (typeof pattern === 'string' && !new RegExp(pattern).test(value))
        problems.push(`webhook '${event}': header ${name} '${value}' does not match ${pattern}`);
    }
    const bodyProblems = this.bodyProblems(described.body, { body } as ObservedResponse, `webhook '${event}'`, `webhook ${event}`);
    return [...problems, ...bodyProblems.map((p) => p.replace(/; body: .*$/s, `; body: ${call.body.slice(0, 300)}`))];
  }

  /** What is wrong with the response, or nothing. */
  problems(r: ObservedResponse): string[] {
    const path = r.url.replace(/^https?:\/\/[^/]+/, '').split('?')[0];
    if (!r.headers['x-content-type-options']) return []; // not written by the application
    if (path === '/docs' || path.startsWith('/docs/')) return [];
    const method = r.method.toLowerCase();
    const matching = this.operations.filter((o) => o.pattern.test(path));
    const op = matching.find((o) => o.method === method) ?? (method === 'head' ? matching.find((o) => o.method === 'get') : undefined);
    if (!op) {
      const own = this.options.ownErrorFormats?.find((f) => path.startsWith(f.prefix));
      const errorBody = (what: string): string[] => {
        if (own?.xmlSuffix && path.endsWith(own.xmlSuffix)) {
          const media = mediaOf(r);
          return XML.test(media) ? [] : [`${r.method} ${path} ${r.status} (${what}): Content-Type '${media}' is not XML`];
        }
        return this.bodyProblems({ $ref: `${SCHEMAS}${own?.schema ?? 'ErrorDto'}` }, r, `${r.method} ${path} (${what})`, `${own?.schema ?? 'ErrorDto'} error`);
      };
      // A documented path asked with another method: 405 (OPTIONS: 204) naming the documented methods in Allow,
      // or, a CORS preflight's answer, in Access-Control-Allow-Methods.
      if (matching.length && (r.status === 405 || (method === 'options' && r.status === 204))) {
        const preflight = method === 'options' && r.headers['access-control-allow-methods'] !== undefined;
        const header = preflight ? 'Access-Control-Allow-Methods' : 'Allow';
        const named = String(r.headers[header.toLowerCase()] ?? '');
        const allow = named.split(',').map((m) => m.trim().toLowerCase());
        const missing = [...new Set(matching.map((o) => o.method))].filter((m) => !allow.includes(m));
        if (missing.length) return [`${r.method} ${path} ${r.status}: ${header} '${named}' lacks ${missing.join(', ')}`];
        if (r.status === 204) return hasBody(r) ? [`${r.method} ${path} 204 has a body`] : [];
        return errorBody('method not allowed');
      }
      if (r.status === 404 || BEFORE_ROUTING.has(r.status)) return errorBody('no such operation');
      return [`${r.method} ${path} answered ${r.status}, but the document has no such operation`];
    }
    const where = `${op.method.toUpperCase()} ${op.template}`;
    const declared = asObject(op.responses[r.status] ?? op.responses[`${Math.floor(r.status / 100)}XX`] ?? op.responses.default);
    if (!declared) {
      return [`${where} answered ${r.status}, which the document does not declare (declared: ${Object.keys(op.responses).join(', ')}); body: ${preview(r)}`];
    }
    const content = asObject(declared.content);
    if (!content || method === 'head') {
      return hasBody(r) && method !== 'head' ? [`${where} ${r.status}: the document declares no body, the server sent ${preview(r)}`] : [];
    }
    const media = mediaOf(r);
    const key = content[media] ? media : /^application\/([\w.+-]+\+)?json$/.test(media) && content['application/json'] ? 'application/json' : null;
    if (!key) return [`${where} ${r.status}: Content-Type '${media}' is not declared (declared: ${Object.keys(content).join(', ')})`];
    if (key !== 'application/json') return [];
    return this.bodyProblems(asObject(jsonAt(content[key], 'schema')) ?? {}, r, `${where} ${r.status}`, `${where} ${r.status} ${key}`);
  }

  /** Throws a ContractViolation naming every problem. */
  check(r: ObservedResponse): void {
    const problems = this.problems(r);
    if (problems.length) throw new ContractViolation(`the response breaks the API contract (openapi/openapi.json):\n- ${problems.join('\n- ')}`);
  }

  private bodyProblems(schema: JsonObject, r: ObservedResponse, where: string, cacheKey = `${where} error`): string[] {
    let validate = this.validators.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile(closed(rebase(schema)));
      this.validators.set(cacheKey, validate);
    }
    if (validate(r.body)) return [];
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${e.params.additionalProperty}'` : ''}`,
    );
    return [`${where}: the body does not match the documented schema: ${[...new Set(errors)].slice(0, 8).join('; ')}; body: ${preview(r)}`];
  }
}

/**
 * A supertest client whose every response is checked against the contract: a response that breaks it
 * fails the request (the test's await rejects with a ContractViolation) and is kept in `violations`.
 */
export function checkedRequest(server: Parameters<typeof request>[0], checker: ContractChecker, violations: string[] = []): ReturnType<typeof request> {
  const agent = request(server);
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !METHODS.includes(property === 'del' ? 'delete' : property) || typeof value !== 'function') return value;
      return (url: string, ...rest: unknown[]) => {
        const test = (value as (...a: unknown[]) => request.Test).call(target, url, ...rest);
        const method = property === 'del' ? 'DELETE' : property.toUpperCase();
        return test.expect((res: request.Response) => {
          try {
            checker.check({ method, url, status: res.status, headers: res.headers, body: res.body, text: res.text });
          } catch (e) {
            violations.push((e as Error).message);
            throw e;
          }
        });
      };
    },
  });
}

/**
 * One checker of `build()`'s document per Jest run rather than per test file: building the API's document
 * (Swagger reading every controller) and compiling the meta-schema to check its schemas took about 0.6 s
 * of each file on the loaded 2-core machine. The first file to ask builds it, checks every schema against
 * the meta-schema and writes the document to `file` (the run's, next to its template list: the code does not
 * change during a run); the others read it and skip the meta-schema. Two files building at once both write
 * the same document. Without a file (a runner other than Jest's config), each call builds.
 */
export function sharedContract(file: string | undefined, build: () => object, options: Omit<ContractOptions, 'schemasValidated'> = {}): ContractChecker {
  if (file) {
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) return new ContractChecker(JSON.parse(text) as object, { ...options, schemasValidated: true });
  }
  // As JSON, as the other files read it (and as /docs/openapi.json serves it).
  const text = JSON.stringify(build());
  const checker = new ContractChecker(JSON.parse(text) as object, options);
  checker.validateSchemas();
  if (file) {
    // Whole or not at all: a file reading it meanwhile must not see half a document.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  }
  return checker;
}

function mediaOf(r: ObservedResponse): string {
  return String(r.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

function hasBody(r: ObservedResponse): boolean {
  if (typeof r.text === 'string') return r.text.length > 0;
  const length = Number(r.headers['content-length'] ?? 0);
  return length > 0;
}

function preview(r: ObservedResponse): string {
  const text = typeof r.text === 'string' && r.text ? r.text : (JSON.stringify(r.body) ?? '');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** References from an operation's schema point into the components registered under the SCHEMAS id. */
function rebase(schema: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS}`)) as JsonObject;
}

/** Objects (`type: object`) that name their properties get no others (see ContractChecker). */
function closed<T extends Json>(schema: T): T {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isJsonObject(v)) return v;
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === 'example' || k === 'examples' || k === 'enum' ? x : walk(x);
    // An object's own schema, not a rule over some of its fields (SchemaRules: `required` and `properties`
    // without a type, inside allOf), which closed would refuse the fields it does not name.
    const isObject = o.type === 'object' || (Array.isArray(o.type) && o.type.includes('object'));
    if (isObject && o.properties && typeof o.properties === 'object' && o.additionalProperties === undefined && !o.allOf) o.additionalProperties = false;
    return o;
  };
  // The walk only adds additionalProperties to objects: the value keeps its kind.
  return walk(schema) as T;
}
