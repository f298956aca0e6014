import type { Server } from 'node:http';
import { ConflictException, Controller, Get, HttpCode, INestApplication, Module, NotFoundException, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import helmet from 'helmet';
import { ApiErrors } from '../../../apps/api/src/common/error.dto';
import { HttpErrorFilter } from '../../../apps/api/src/common/http-exception.filter';
import { buildOpenApiDocument } from '../../../apps/api/src/openapi';
import { checkedRequest, ContractChecker, ContractViolation } from './contract';

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

@Module({ controllers: [ThingsController] })
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
    sut = new ContractChecker(buildOpenApiDocument(app), { skipPrefixes: ['/open311/'] });
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

  it('leaves out paths that follow their own specification, and responses the application did not write', () => {
    const fromApp = { 'x-content-type-options': 'nosniff', 'content-type': 'text/xml' };
    expect(sut.problems({ method: 'GET', url: '/open311/v2/services.xml', status: 200, headers: fromApp, body: '<services/>' })).toEqual([]);
    expect(sut.problems({ method: 'GET', url: '/things/7', status: 431, headers: {}, body: {} })).toEqual([]);
  });
});
