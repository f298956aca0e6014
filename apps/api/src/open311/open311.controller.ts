import {
  applyDecorators,
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { SubmitFeedback, UnknownCodeError } from '@fr/intake';
import {
  GEOREPORT_CHANGESET,
  GEOREPORT_SPECIFICATION,
  GeoReportCreated,
  GeoReportRequests,
  GeoReportServices,
  MAX_REQUESTS_PER_QUERY,
  parseRequestFilter,
} from '@fr/open311';
import { Clock } from '@fr/sla';
import { TYPED_TRACKING_CODE_PATTERN } from '@fr/domain';
import { markPrivate } from '../common/cache-control.middleware';
import { dayOrInstantSchema } from '../common/text.decorators';
import { TakesQuery } from '../common/known-query.interceptor';
import { publicBaseUrl } from '../common/public-url';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { GEOREPORT_PATH } from './georeport-errors';
import {
  GeoReportCreatedDto,
  GeoReportDiscoveryDto,
  GeoReportPostDto,
  GeoReportRequestDto,
  GeoReportServiceDefinitionDto,
  GeoReportServiceDto,
  GeoReportTokenDto,
} from './georeport.dto';
import { readGeoReportSubmission } from './service-request.form';
import { toXml, XML_CONTENT_TYPE } from './xml';

/** The errors a route gives itself and what each means there; the document gives them GeoReport's error body (openapi.ts). */
type Errors = Readonly<Record<number, string>>;

function JsonAnswer(type: unknown, errors: Errors, status = 200) {
  return applyDecorators(
    ApiProduces('application/json'),
    ApiResponse({ status, type: type as never }),
    ...Object.entries(errors).map(([s, description]) => ApiResponse({ status: Number(s), description })),
  );
}

/** The same answer as XML (elements named as the JSON fields; lists wrapped in their plural). */
function XmlAnswer(root: string, errors: Errors, status = 200) {
  return applyDecorators(
    Header('Content-Type', XML_CONTENT_TYPE),
    ApiProduces('text/xml'),
    ApiResponse({ status, content: { 'text/xml': { schema: { type: 'string' } } }, description: `<${root}> as in the .json form` }),
    ...Object.entries(errors).map(([s, description]) => ApiResponse({ status: Number(s), description })),
  );
}

const UNKNOWN_SERVICE = { 404: 'no such service_code' };
const UNKNOWN_REQUEST = { 404: 'no such service_request_id' };
const UNKNOWN_TOKEN = { 404: 'no such token' };
const POST_ERRORS = {
  400: 'a field is missing, wrong or unknown (the description names it), or an attribute[ward_code] that is not an area',
  403: 'api_key (or X-Api-Key) is missing or is not a channel key',
  404: 'service_code is not a known service',
};

// A comma list (style form, explode false), as the specification writes its lists.
const commaList = (items: SchemaObject, maxItems: number) =>
  ({ style: 'form', explode: false, schema: { type: 'array', items, minItems: 1, maxItems } }) as const;
const IGNORED = { required: false, schema: { type: 'string' } } as const;

const REQUEST_QUERY = applyDecorators(
  ApiQuery({
    name: 'service_request_id',
    required: false,
    ...commaList({ type: 'string', pattern: TYPED_TRACKING_CODE_PATTERN }, 100),
    description: 'comma-separated ids (at most 100); overrides every other parameter',
  }),
  ApiQuery({
    name: 'service_code',
    required: false,
    // Blank items are dropped: a list of nothing else is refused.
    ...commaList({ type: 'string', pattern: '\\S' }, 50),
    description: 'comma-separated service codes (at most 50); one that is not a service is refused (400)',
  }),
  ApiQuery({
    name: 'start_date',
    required: false,
    schema: dayOrInstantSchema(),
    description: 'W3C date-time, or a date (YYYY-MM-DD: from the start of that day in Asia/Ho_Chi_Minh); not after end_date, and at most 90 days before it',
  }),
  ApiQuery({
    name: 'end_date',
    required: false,
    schema: dayOrInstantSchema(),
    description: 'W3C date-time, or a date (YYYY-MM-DD: through the end of that day in Asia/Ho_Chi_Minh); without dates, the last 90 days',
  }),
  ApiQuery({
    name: 'status',
    required: false,
    ...commaList({ type: 'string', enum: ['open', 'closed'] }, 2),
    description: 'open, closed, or both comma-separated',
  }),
  ApiQuery({ name: 'jurisdiction_id', ...IGNORED, description: 'accepted and ignored: one jurisdiction' }),
  ApiQuery({ name: 'api_key', ...IGNORED, description: 'accepted and ignored: reads are public' }),
);
/**
 * GeoReport's optional `jurisdiction_id`, on every read; one jurisdiction here, so it is accepted and ignored.
 * So is `api_key`, as GET requests takes it: clients configured with a key send it with every call
 * (FixMyStreet's Open311 client can), and a 400 on reading a request by its id or token broke them. Reads
 * are public, so the key is not checked; its presence makes the answer private (privateWhenCredentialed).
 */
const JURISDICTION = applyDecorators(
  ApiQuery({ name: 'jurisdiction_id', ...IGNORED, description: 'accepted and ignored: one jurisdiction' }),
  ApiQuery({ name: 'api_key', ...IGNORED, description: 'accepted and ignored: reads are public' }),
  TakesQuery('jurisdiction_id', 'api_key'),
);
const POST_BODY = applyDecorators(ApiConsumes('application/x-www-form-urlencoded', 'application/json'), ApiBody({ type: GeoReportPostDto }));

/**
 * Open311 GeoReport v2: every resource in .json and .xml. Reads need no key (the specification's
 * GETs are public, so they show nothing personal); a POST names its channel with `api_key` and goes
 * through intake's SubmitFeedback like any other submission. Errors leave in GeoReport's format
 * (the error filter renders every error under /open311 so, routing and parsing errors included).
 */
@ApiTags('open311')
@Controller(GEOREPORT_PATH.slice(1))
export class Open311Controller {
  constructor(
    private readonly services: GeoReportServices,
    private readonly requests: GeoReportRequests,
    private readonly submitFeedback: SubmitFeedback,
    private readonly channelKeys: ChannelKeyGuard,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('discovery.json')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportDiscovery',
    description:
      'Where the GeoReport v2 endpoint is, its changeset, formats and how to obtain an api_key. Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'GeoReport v2 service discovery',
  })
  @JsonAnswer(GeoReportDiscoveryDto, {})
  discoveryJson(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.discovery(req, res);
  }

  @Get('discovery.xml')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportDiscoveryXml',
    description: 'The discovery document as XML (`<discovery>`). Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'GeoReport v2 service discovery (XML)',
  })
  @XmlAnswer('discovery', {})
  discoveryXml(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return toXml('discovery', this.discovery(req, res));
  }

  @Get('services.json')
  @JURISDICTION
  @ApiOperation({
    operationId: 'listGeoReportServices',
    description:
      'Every category a request may name as service_code (`complaint_denunciation`, refused at intake, is not offered); each has metadata: its definition lists the attributes. Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'The services: the categories a request may name as service_code',
  })
  @JsonAnswer([GeoReportServiceDto], {})
  servicesJson() {
    return this.services.list();
  }

  @Get('services.xml')
  @JURISDICTION
  @ApiOperation({
    operationId: 'listGeoReportServicesXml',
    description: 'The services as XML (`<services><service>...`). Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'The services (XML)',
  })
  @XmlAnswer('services', {})
  async servicesXml() {
    return toXml('services', await this.services.list());
  }

  @Get('services/:service_code.json')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportServiceDefinition',
    description:
      'The attributes a request of the service may carry: `ward_code` (a list of the areas), `external_id` (your own id) and `title`. Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: "A service's definition: the attributes a request may carry",
  })
  @ApiParam({ name: 'service_code', example: 'sanitation', schema: { type: 'string' } })
  @JsonAnswer(GeoReportServiceDefinitionDto, UNKNOWN_SERVICE)
  definitionJson(@Param('service_code') code: string) {
    return this.services.definition(code);
  }

  @Get('services/:service_code.xml')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportServiceDefinitionXml',
    description: 'The service definition as XML (`<service_definition>`). Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: "A service's definition (XML)",
  })
  @ApiParam({ name: 'service_code', example: 'sanitation', schema: { type: 'string' } })
  @XmlAnswer('service_definition', UNKNOWN_SERVICE)
  async definitionXml(@Param('service_code') code: string) {
    return toXml('service_definition', await this.services.definition(code));
  }

  @Post('requests.json')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    operationId: 'createGeoReportRequest',
    description:
      "Form-encoded as the specification says (JSON with the same names is taken too, the attributes as `attribute[code]` fields or an `attribute` object). `api_key` (or `X-Api-Key`) is a channel's key: the request becomes that channel's case, created by the same intake as `POST /v1/feedback` and held to the same rules. `lat`+`long`, `address_string` or `attribute[ward_code]` is required; `address_id` is not supported. Errors are GeoReport's `[{ code, description }]`: bad input 400, a missing or unknown key 403, an unknown service_code 404.",
    summary: 'Submit a service request (a feedback case); the same attribute[external_id] again answers 200 with the same request',
  })
  @POST_BODY
  @JsonAnswer([GeoReportCreatedDto], POST_ERRORS, 201)
  @ApiResponse({ status: 200, type: [GeoReportCreatedDto], description: 'already received (same api_key and attribute[external_id])' })
  async createJson(@Req() req: Request, @Body() body: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    return [await this.create(req, body, res)];
  }

  @Post('requests.xml')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    operationId: 'createGeoReportRequestXml',
    description: 'As the .json POST, answered in XML (`<service_requests><request>...`), errors as `<errors><error>...`.',
    summary: 'Submit a service request (XML answer)',
  })
  @POST_BODY
  @XmlAnswer('service_requests', POST_ERRORS, 201)
  @ApiResponse({
    status: 200,
    content: { 'text/xml': { schema: { type: 'string' } } },
    description: 'already received (same api_key and attribute[external_id])',
  })
  async createXml(@Req() req: Request, @Body() body: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    return toXml('service_requests', [await this.create(req, body, res)]);
  }

  @Get('requests.json')
  @ApiOperation({
    operationId: 'listGeoReportRequests',
    description:
      'Filtered by service_request_id (which overrides the rest), service_code, status and start_date/end_date (at most 90 days apart; the last 90 days by default). No name, phone, e-mail or description: reads are public. Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: `Service requests, newest first (at most ${MAX_REQUESTS_PER_QUERY}); no personal data`,
  })
  @REQUEST_QUERY
  @JsonAnswer([GeoReportRequestDto], {})
  requestsJson(@Query() query: Record<string, unknown>) {
    return this.requests.list(parseRequestFilter(query, this.clock.now()));
  }

  @Get('requests.xml')
  @ApiOperation({
    operationId: 'listGeoReportRequestsXml',
    description:
      'The service requests as XML (`<service_requests><request>...`). Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'Service requests (XML)',
  })
  @REQUEST_QUERY
  @XmlAnswer('service_requests', {})
  async requestsXml(@Query() query: Record<string, unknown>) {
    return toXml('service_requests', await this.requests.list(parseRequestFilter(query, this.clock.now())));
  }

  @Get('requests/:service_request_id.json')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportRequest',
    description: 'The request of that tracking code, as a list of one. Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'One service request (a list of one, as the specification answers)',
  })
  @ApiParam({ name: 'service_request_id', example: '7KM3Q-9X2AB', schema: { type: 'string' } })
  @JsonAnswer([GeoReportRequestDto], UNKNOWN_REQUEST)
  async requestJson(@Param('service_request_id') id: string) {
    return [await this.requests.get(id)];
  }

  @Get('requests/:service_request_id.xml')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportRequestXml',
    description: 'The request as XML (`<service_requests><request>...`). Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).',
    summary: 'One service request (XML)',
  })
  @ApiParam({ name: 'service_request_id', example: '7KM3Q-9X2AB', schema: { type: 'string' } })
  @XmlAnswer('service_requests', UNKNOWN_REQUEST)
  async requestXml(@Param('service_request_id') id: string) {
    return toXml('service_requests', [await this.requests.get(id)]);
  }

  @Get('tokens/:token.json')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportToken',
    description:
      "A POST's token (the case id) resolved to its service_request_id. Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).",
    summary: 'The service_request_id of a token a POST answered with',
  })
  @ApiParam({ name: 'token', schema: { type: 'string', format: 'uuid' } })
  @JsonAnswer([GeoReportTokenDto], UNKNOWN_TOKEN)
  async tokenJson(@Param('token') token: string) {
    return [await this.requests.token(token)];
  }

  @Get('tokens/:token.xml')
  @JURISDICTION
  @ApiOperation({
    operationId: 'getGeoReportTokenXml',
    description:
      "The token's request as XML (`<service_requests><request>...`). Public: no key needed (`api_key` and `jurisdiction_id` are taken and ignored).",
    summary: 'The service_request_id of a token (XML)',
  })
  @ApiParam({ name: 'token', schema: { type: 'string', format: 'uuid' } })
  @XmlAnswer('service_requests', UNKNOWN_TOKEN)
  async tokenXml(@Param('token') token: string) {
    return toXml('service_requests', [await this.requests.token(token)]);
  }

  private discovery(req: Request, res: Response) {
    return {
      changeset: GEOREPORT_CHANGESET,
      contact: "Văn phòng HĐND và UBND (the People's Council and Committee office)",
      key_service: 'api_key is the API key of your intake channel, issued by the office with the channel',
      endpoints: [
        {
          specification: GEOREPORT_SPECIFICATION,
          // The configured address when there is one: a Host header is the caller's to write.
          url: `${publicBaseUrl(this.config.publicUrl, req, res)}${GEOREPORT_PATH}`,
          changeset: GEOREPORT_CHANGESET,
          type: this.config.production ? 'production' : 'test',
          formats: ['application/json', 'text/xml'],
        },
      ],
    };
  }

  private async create(req: Request, body: Record<string, unknown>, res: Response): Promise<GeoReportCreated> {
    // Not a request's fields at all (a JSON list or text): nothing about it to keep from a caller without a key.
    if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      throw new BadRequestException('the body must be a form, or a JSON object, of the request fields');
    }
    if (body?.api_key !== undefined) markPrivate(res);
    // The key first: nothing about the request is said to a caller that is not a channel.
    // Given twice (api_key=K&api_key=K, or a JSON list) is a malformed request, as any field twice is,
    // not a missing key.
    if (body?.api_key !== undefined && typeof body.api_key !== 'string') {
      throw new BadRequestException('api_key is given more than once (or not as text); give it once');
    }
    if (body?.api_key === undefined && (req.headersDistinct?.['x-api-key']?.length ?? 0) > 1) {
      throw new BadRequestException('X-Api-Key is sent more than once; send it once (or api_key in the body)');
    }
    const presented = typeof body?.api_key === 'string' && body.api_key ? body.api_key : req.header('x-api-key');
    if (!presented) {
      // A key in the POST's query string is not read (URLs are logged by every proxy on the way): say where it goes.
      const inQuery = req.query && Object.keys(req.query).some((k) => k.toLowerCase() === 'api_key');
      throw new ForbiddenException(
        inQuery
          ? 'api_key is required in the request body (or the X-Api-Key header), not in the query string: URLs are logged on their way'
          : 'api_key is required: the API key of your channel',
      );
    }
    const channel = await this.channelKeys.channelFor(presented);
    if (!channel) throw new ForbiddenException('api_key is not valid');
    const command = await readGeoReportSubmission(body);
    const result = await this.submitFeedback.execute({ ...command, channel }).catch((e: unknown) => {
      // Intake names its own fields; a GeoReport client sent service_code and attribute[ward_code].
      if (e instanceof UnknownCodeError && e.fields.includes('category')) {
        throw new NotFoundException(`service_code '${command.category}' is not a known service; GET ${GEOREPORT_PATH}/services.json lists them`);
      }
      if (e instanceof UnknownCodeError && e.fields.includes('location.wardCode')) {
        throw new BadRequestException(
          `attribute[ward_code] '${command.location.wardCode ?? ''}' is not a known area; GET ${GEOREPORT_PATH}/services/${command.category}.json lists them`,
        );
      }
      throw e;
    });
    res.status(result.created ? HttpStatus.CREATED : HttpStatus.OK);
    return { service_request_id: result.trackingCode, token: result.id, service_notice: null, account_id: null };
  }
}
