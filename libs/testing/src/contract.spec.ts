import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictException, Controller, Get, Header, HttpCode, INestApplication, Module, NotFoundException, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiResponse } from '@nestjs/swagger';
import helmet from 'helmet';
import { ApiErrors } from '../../../apps/api/src/common/error.dto';
import { HttpErrorFilter } from '../../../apps/api/src/common/http-exception.filter';
import { buildOpenApiDocument, OWN_ERROR_FORMATS } from '../../../apps/api/src/openapi';
import { checkedRequest, ContractChecker, ContractViolation, sharedContract } from './contract';

class ThingDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['new', 'old'] }) state: string;
  @ApiProperty({ type: String, nullable: true }) note: string | null;
}

/** A controller that breaks its own documentation on request. */
@Controller('things')
class ThingsController {
  @Get(':id')
  @ApiOperation({ operationId: 'getThing', summary: 'a thing' })
  @ApiOkResponse({ type: ThingDto })
  @ApiErrors(404)
  get(@Param('id') id: string): unknown {
    switch (id) {
      case 'missing':
        throw new NotFoundException(`thing '${id}' not found`);
      case 'conflicting':
        throw new ConflictException('409 is not declared for this operation');
      case 'chatty':
        return { id, state: 'new', note: null, internalScore: 7 };
      case 'lost':
        return { id, state: 'misplaced', note: null };
      case 'incomplete':
        return { id, state: 'new' };
      default:
        return { id, state: 'new', note: null };
    }
  }

  @Post(':id/touch')
  @HttpCode(204)
  @ApiOperation({ operationId: 'touchThing', summary: 'touch a thing' })
  @ApiNoContentResponse({ description: 'done' })
  touch(): void {}
}

/**
 * Paths of a specification of its own (GeoReport v2's): a parameter inside a segment, a format per path,
 * errors as `[{ code, description }]` (XML on `.xml` paths), which the document gives them.
 */
@Controller('open311/v2')
class FormatsController {
  @Get('things/:id.json')
  @ApiOperation({ operationId: 'getThingJson', summary: 'a thing in JSON' })
  @ApiOkResponse({ type: ThingDto })
  @ApiResponse({ status: 404, description: 'no such thing' })
  json(@Param('id') id: string): unknown {
    if (id === 'missing') throw new NotFoundException(`thing '${id}' not found`);
    return id === 'chatty' ? { id, state: 'new', note: null, internalScore: 7 } : { id, state: 'new', note: null };
  }

  @Get('things/:id.xml')
  @Header('Content-Type', 'text/xml; charset=utf-8')
  @ApiOperation({ operationId: 'getThingXml', summary: 'a thing in XML' })
  @ApiProduces('text/xml')
  @ApiOkResponse({ content: { 'text/xml': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 404, description: 'no such thing' })
  xml(@Param('id') id: string): string {
    if (id === 'missing') throw new NotFoundException(`thing '${id}' not found`);
    return `<thing><id>${id}</id></thing>`;
  }
}

@Module({ controllers: [ThingsController, FormatsController] })
class ThingsModule {}

describe(ContractChecker.name, () => {
  let app: INestApplication;
  let sut: ContractChecker;
  const violations: string[] = [];
  const http = () => checkedRequest(app.getHttpServer() as Server, sut, violations);

  beforeAll(async () => {
    app = await NestFactory.create(ThingsModule, { logger: false });
    app.use(helmet());
    app.useGlobalFilters(new HttpErrorFilter());
    await app.init();
    sut = new ContractChecker(buildOpenApiDocument(app), { ownErrorFormats: OWN_ERROR_FORMATS });
  });
  afterAll(() => app?.close());
  beforeEach(() => violations.splice(0));

  it('passes a declared status with a body that matches, and a declared error', async () => {
    expect((await http().get('/things/7')).body).toEqual({ id: '7', state: 'new', note: null });
    expect((await http().get('/things/missing')).status).toBe(404);
    expect((await http().post('/things/7/touch')).status).toBe(204);
    expect(violations).toEqual([]);
  });

  it('fails a request whose status the operation does not declare, and keeps the violation', async () => {
    const failure = await http()
      .get('/things/conflicting')
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(failure).toBeInstanceOf(ContractViolation);
    expect(String(failure)).toContain('GET /things/{id} answered 409, which the document does not declare (declared: 200, 304, 400, 404, 413, 429, 503)');
    expect(violations).toHaveLength(1);
  });

  it.each([
    ['an undocumented property', 'chatty', /must NOT have additional properties 'internalScore'/],
    ['a value outside the enum', 'lost', /\/state must be equal to one of the allowed values/],
    ['a missing required property', 'incomplete', /must have required property 'note'/],
  ])('fails a body with %s', async (_what, id, problem) => {
    await expect(http().get(`/things/${id}`)).rejects.toThrow(problem);
  });

  it('fails a body where the document declares none', () => {
    // Node drops the body of a real 204, so the response is made up here.
    const headers = { 'x-content-type-options': 'nosniff', 'content-type': 'application/json' };
    expect(sut.problems({ method: 'POST', url: '/things/7/touch', status: 204, headers, body: { touched: true }, text: '{"touched":true}' })).toEqual([
      'POST /things/{id}/touch 204: the document declares no body, the server sent {"touched":true}',
    ]);
  });

  it("accepts the router's 404 for a path the document does not have, with the error body", async () => {
    const res = await http().get('/no/such/path');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('fails any other answer from an undocumented operation, and an error body of another shape', () => {
    const fromApp = { 'x-content-type-options': 'nosniff', 'content-type': 'application/json; charset=utf-8' };
    expect(sut.problems({ method: 'DELETE', url: '/things/7', status: 200, headers: fromApp, body: {} })).toEqual([
      'DELETE /things/7 answered 200, but the document has no such operation',
    ]);
    expect(sut.problems({ method: 'GET', url: '/things/missing', status: 404, headers: fromApp, body: { status: 404, reason: 'gone' } })[0]).toMatch(
      /must have required property 'statusCode'/,
    );
  });

  it('leaves out responses the application did not write', () => {
    expect(sut.problems({ method: 'GET', url: '/things/7', status: 431, headers: {}, body: {} })).toEqual([]);
  });

  describe('paths of a specification of its own (GeoReport v2)', () => {
    const json = { 'x-content-type-options': 'nosniff', 'content-type': 'application/json; charset=utf-8' };
    const xml = { 'x-content-type-options': 'nosniff', 'content-type': 'text/xml; charset=utf-8' };

    it('finds the operation of a path with a parameter inside a segment, and checks its body', async () => {
      expect((await http().get('/open311/v2/things/7.json')).body).toEqual({ id: '7', state: 'new', note: null });
      await expect(http().get('/open311/v2/things/chatty.json')).rejects.toThrow(
        /GET \/open311\/v2\/things\/\{id\}\.json 200: the body does not match the documented schema: .*additional properties 'internalScore'/,
      );
      expect(sut.problems({ method: 'GET', url: '/open311/v2/things/7.csv', status: 200, headers: json, body: {} })).toEqual([
        'GET /open311/v2/things/7.csv answered 200, but the document has no such operation',
      ]);
    });

    it("passes the errors in the specification's format, [{ code, description }], and fails ErrorDto there", async () => {
      const res = await http().get('/open311/v2/things/missing.json').expect(404);
      expect(res.body).toEqual([{ code: 404, description: "thing 'missing' not found" }]);
      const errorDto = { statusCode: 404, error: 'Not Found', message: 'gone' };
      expect(sut.problems({ method: 'GET', url: '/open311/v2/things/missing.json', status: 404, headers: json, body: errorDto })[0]).toMatch(
        /GET \/open311\/v2\/things\/\{id\}\.json 404: the body does not match the documented schema: \(body\) must be array/,
      );
    });

    it('checks an XML answer for its media type only, errors included', async () => {
      expect((await http().get('/open311/v2/things/7.xml').expect(200)).text).toContain('<thing>');
      expect((await http().get('/open311/v2/things/missing.xml').expect(404)).text).toContain('<errors><error><code>404</code>');
      expect(sut.problems({ method: 'GET', url: '/open311/v2/things/7.xml', status: 200, headers: json, body: { id: '7' } })).toEqual([
        "GET /open311/v2/things/{id}.xml 200: Content-Type 'application/json' is not declared (declared: text/xml)",
      ]);
    });

    it("holds answers no operation declares (an unknown path, before routing) to the specification's error format", async () => {
      expect((await http().get('/open311/v2/nothing.json').expect(404)).body).toEqual([expect.objectContaining({ code: 404 })]);
      expect((await http().get('/open311/v2/nothing.xml').expect(404)).text).toContain('<errors>');
      const errorDto = { statusCode: 404, error: 'Not Found', message: 'gone' };
      expect(sut.problems({ method: 'GET', url: '/open311/v2/nothing.json', status: 404, headers: json, body: errorDto })[0]).toMatch(
        /GET \/open311\/v2\/nothing\.json \(no such operation\): the body does not match the documented schema: \(body\) must be array/,
      );
      expect(sut.problems({ method: 'GET', url: '/open311/v2/nothing.xml', status: 404, headers: json, body: [{ code: 404, description: 'x' }] })).toEqual([
        "GET /open311/v2/nothing.xml 404 (no such operation): Content-Type 'application/json' is not XML",
      ]);
      expect(sut.problems({ method: 'GET', url: '/open311/v2/nothing.xml', status: 413, headers: xml, body: '<errors/>' })).toEqual([]);
      // A CORS preflight names the methods in Access-Control-Allow-Methods, not in Allow.
      const preflight = (methods: string) => ({ 'x-content-type-options': 'nosniff', 'access-control-allow-methods': methods });
      expect(sut.problems({ method: 'OPTIONS', url: '/open311/v2/things/7.json', status: 204, headers: preflight('GET, HEAD, POST'), body: {} })).toEqual([]);
      expect(sut.problems({ method: 'OPTIONS', url: '/open311/v2/things/7.json', status: 204, headers: preflight('POST'), body: {} })).toEqual([
        "OPTIONS /open311/v2/things/7.json 204: Access-Control-Allow-Methods 'POST' lacks get",
      ]);
      // Elsewhere the API's own error body stays the rule.
      expect(sut.problems({ method: 'GET', url: '/no/such/path', status: 404, headers: json, body: [{ code: 404, description: 'x' }] })[0]).toMatch(
        /\(no such operation\): the body does not match the documented schema/,
      );
    });
  });

  describe("a Jest run's one checker (sharedContract)", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'fr_contract_'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const body = { 'x-content-type-options': 'nosniff', 'content-type': 'application/json' };
    const chatty = { method: 'GET', url: '/things/chatty', status: 200, headers: body, body: { id: 'chatty', state: 'new', note: null, internalScore: 7 } };

    it("builds the document once, and a later file's checker finds what the first one finds", () => {
      const file = join(dir, 'run.openapi.json');
      const build = jest.fn(() => buildOpenApiDocument(app));
      const first = sharedContract(file, build, { ownErrorFormats: OWN_ERROR_FORMATS });
      expect(existsSync(file)).toBe(true);
      const later = sharedContract(file, build, { ownErrorFormats: OWN_ERROR_FORMATS });
      expect(build).toHaveBeenCalledTimes(1);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(app))));
      for (const checker of [first, later]) {
        expect(checker.problems(chatty)).toEqual(sut.problems(chatty));
        expect(checker.problems(chatty)[0]).toMatch(/additional properties 'internalScore'/);
        expect(checker.problems({ ...chatty, url: '/open311/v2/nothing.json', status: 404, body: { statusCode: 404 } })[0]).toMatch(/must be array/);
      }
    });

    it('checks every response schema against the meta-schema when it builds, as compiling it when first used did', () => {
      const doc = JSON.parse(JSON.stringify(buildOpenApiDocument(app))) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
      doc.paths['/things/{id}'].get.responses['200'] = { description: 'a thing', content: { 'application/json': { schema: { type: 'thing' } } } };
      expect(() => sharedContract(join(dir, 'broken.openapi.json'), () => doc)).toThrow(/schema is invalid/);
      expect(existsSync(join(dir, 'broken.openapi.json'))).toBe(false);
      expect(() => new ContractChecker(doc).check({ ...chatty, url: '/things/7', body: {} })).toThrow(/schema is invalid/);
    });

    it('builds every time without a file', () => {
      const build = jest.fn(() => buildOpenApiDocument(app));
      sharedContract(undefined, build);
      sharedContract(undefined, build);
      expect(build).toHaveBeenCalledTimes(2);
    });
  });
});
