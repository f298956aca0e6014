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
import { markPrivate } from '../common/cache-control.middleware';
import { TakesQuery } from '../common/known-query.interceptor';
import { publicBaseUrl } from '../common/public-url';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { GEOREPORT_PATH } from './georeport-errors';
import {
  GeoReportCreatedDto,
  GeoReportDiscoveryDto,
  GeoReportErrorDto,
  GeoReportPostDto,
  GeoReportRequestDto,
  GeoReportServiceDefinitionDto,
  GeoReportServiceDto,
  GeoReportTokenDto,
} from './georeport.dto';
import { readGeoReportSubmission } from './service-request.form';
import { toXml, XML_CONTENT_TYPE } from './xml';

type Errors = readonly number[];

/** A .json route: its answer's schema and the errors it may give, in GeoReport's error format. */
function JsonAnswer(type: unknown, errors: Errors, status = 200) {
  return applyDecorators(
    ApiProduces('application/json'),
    ApiResponse({ status, type: type as never }),
    ...errors.map((s) => ApiResponse({ status: s, type: [GeoReportErrorDto], description: 'GeoReport errors: [{ code, description }]' })),
  );
}

/** The same answer as XML (elements named as the JSON fields; lists wrapped in their plural). */
function XmlAnswer(root: string, errors: Errors, status = 200) {
  const xml = (description: string) => ({ content: { 'text/xml': { schema: { type: 'string' as const } } }, description });
  return applyDecorators(
    Header('Content-Type', XML_CONTENT_TYPE),
    ApiProduces('text/xml'),
    ApiResponse({ status, ...xml(`<${root}> as in the .json form`) }),
    ...errors.map((s) => ApiResponse({ status: s, ...xml('<errors><error><code/><description/></error></errors>') })),
  );
}

const REQUEST_QUERY = applyDecorators(
  ApiQuery({ name: 'service_request_id', required: false, description: 'comma-separated ids; overrides every other parameter' }),
  ApiQuery({ name: 'service_code', required: false, description: 'comma-separated service codes' }),
  ApiQuery({
    name: 'start_date',
    required: false,
    description: 'W3C date-time, or a date (YYYY-MM-DD: from the start of that day in Asia/Ho_Chi_Minh); at most 90 days before end_date',
  }),
  ApiQuery({
    name: 'end_date',
    required: false,
    description: 'W3C date-time, or a date (YYYY-MM-DD: through the end of that day in Asia/Ho_Chi_Minh); without dates, the last 90 days',
  }),
  ApiQuery({ name: 'status', required: false, description: 'open, closed, or both comma-separated' }),
  ApiQuery({ name: 'jurisdiction_id', required: false, description: 'accepted and ignored: one jurisdiction' }),
  ApiQuery({ name: 'api_key', required: false, description: 'accepted and ignored: reads are public' }),
);
/**
 * GeoReport's optional `jurisdiction_id`, on every read; one jurisdiction here, so it is accepted and ignored.
 * So is `api_key`, as GET requests takes it: clients configured with a key send it with every call
 * (FixMyStreet's Open311 client can), and a 400 on reading a request by its id or token broke them. Reads
 * are public, so the key is not checked; its presence makes the answer private (privateWhenCredentialed).
 */
const JURISDICTION = applyDecorators(
  ApiQuery({ name: 'jurisdiction_id', required: false, description: 'accepted and ignored: one jurisdiction' }),
  ApiQuery({ name: 'api_key', required: false, description: 'accepted and ignored: reads are public' }),
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
  @ApiOperation({ summary: 'GeoReport v2 service discovery' })
  @JsonAnswer(GeoReportDiscoveryDto, [400])
  discoveryJson(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.discovery(req, res);
  }

  @Get('discovery.xml')
  @JURISDICTION
  @ApiOperation({ summary: 'GeoReport v2 service discovery (XML)' })
  @XmlAnswer('discovery', [400])
  discoveryXml(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return toXml('discovery', this.discovery(req, res));
  }

  @Get('services.json')
  @JURISDICTION
  @ApiOperation({ summary: 'The services: the categories a request may name as service_code' })
  @JsonAnswer([GeoReportServiceDto], [])
  servicesJson() {
    return this.services.list();
  }

  @Get('services.xml')
  @JURISDICTION
  @ApiOperation({ summary: 'The services (XML)' })
  @XmlAnswer('services', [])
  async servicesXml() {
    return toXml('services', await this.services.list());
  }

  @Get('services/:service_code.json')
  @JURISDICTION
  @ApiOperation({ summary: "A service's definition: the attributes a request may carry" })
  @ApiParam({ name: 'service_code', example: 'sanitation' })
  @JsonAnswer(GeoReportServiceDefinitionDto, [404])
  definitionJson(@Param('service_code') code: string) {
    return this.services.definition(code);
  }

  @Get('services/:service_code.xml')
  @JURISDICTION
  @ApiOperation({ summary: "A service's definition (XML)" })
  @ApiParam({ name: 'service_code', example: 'sanitation' })
  @XmlAnswer('service_definition', [404])
  async definitionXml(@Param('service_code') code: string) {
    return toXml('service_definition', await this.services.definition(code));
  }

  @Post('requests.json')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Submit a service request (a feedback case); the same attribute[external_id] again answers 200 with the same request' })
  @POST_BODY
  @JsonAnswer([GeoReportCreatedDto], [400, 403, 404, 413, 415], 201)
  @ApiResponse({ status: 200, type: [GeoReportCreatedDto], description: 'already received (same api_key and attribute[external_id])' })
  async createJson(@Req() req: Request, @Body() body: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    return [await this.create(req, body, res)];
  }

  @Post('requests.xml')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Submit a service request (XML answer)' })
  @POST_BODY
  @XmlAnswer('service_requests', [400, 403, 404, 413, 415], 201)
  @ApiResponse({
    status: 200,
    content: { 'text/xml': { schema: { type: 'string' } } },
    description: 'already received (same api_key and attribute[external_id])',
  })
  async createXml(@Req() req: Request, @Body() body: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    return toXml('service_requests', [await this.create(req, body, res)]);
  }

  @Get('requests.json')
  @ApiOperation({ summary: `Service requests, newest first (at most ${MAX_REQUESTS_PER_QUERY}); no personal data` })
  @REQUEST_QUERY
  @JsonAnswer([GeoReportRequestDto], [400])
  requestsJson(@Query() query: Record<string, unknown>) {
    return this.requests.list(parseRequestFilter(query, this.clock.now()));
  }

  @Get('requests.xml')
  @ApiOperation({ summary: 'Service requests (XML)' })
  @REQUEST_QUERY
  @XmlAnswer('service_requests', [400])
  async requestsXml(@Query() query: Record<string, unknown>) {
    return toXml('service_requests', await this.requests.list(parseRequestFilter(query, this.clock.now())));
  }

  @Get('requests/:service_request_id.json')
  @JURISDICTION
  @ApiOperation({ summary: 'One service request (a list of one, as the specification answers)' })
  @ApiParam({ name: 'service_request_id', example: '7KM3Q-9X2AB' })
  @JsonAnswer([GeoReportRequestDto], [404])
  async requestJson(@Param('service_request_id') id: string) {
    return [await this.requests.get(id)];
  }

  @Get('requests/:service_request_id.xml')
  @JURISDICTION
  @ApiOperation({ summary: 'One service request (XML)' })
  @ApiParam({ name: 'service_request_id', example: '7KM3Q-9X2AB' })
  @XmlAnswer('service_requests', [404])
  async requestXml(@Param('service_request_id') id: string) {
    return toXml('service_requests', [await this.requests.get(id)]);
  }

  @Get('tokens/:token.json')
  @JURISDICTION
  @ApiOperation({ summary: 'The service_request_id of a token a POST answered with' })
  @ApiParam({ name: 'token', format: 'uuid' })
  @JsonAnswer([GeoReportTokenDto], [404])
  async tokenJson(@Param('token') token: string) {
    return [await this.requests.token(token)];
  }

  @Get('tokens/:token.xml')
  @JURISDICTION
  @ApiOperation({ summary: 'The service_request_id of a token (XML)' })
  @ApiParam({ name: 'token', format: 'uuid' })
  @XmlAnswer('service_requests', [404])
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
