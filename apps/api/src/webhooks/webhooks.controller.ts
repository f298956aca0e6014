import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { NotFoundError } from '@fr/domain';
import { WEBHOOK_EVENTS, Webhooks } from '@fr/notifications';
import { ApiErrors } from '../common/error.dto';

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];

export class RegisterWebhookDto {
  @ApiProperty({ type: String, format: 'uri', maxLength: 2000, example: 'https://ops.hbt.gov.vn/hooks/feedback' }) @IsString() @MaxLength(2000) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10) @IsIn(WEBHOOK_EVENTS, { each: true, message: `events must be among ${WEBHOOK_EVENTS.join(', ')}` })
  events: string[];
  @ApiProperty({ minLength: 16, maxLength: 200, description: 'the key of the HMAC-SHA256 signature in X-Signature' })
  @IsString() @MinLength(16, { message: 'secret must be at least 16 characters' }) @MaxLength(200) secret: string;
}

export class SetWebhookStateDto {
  @ApiProperty({ description: 'false stops deliveries to the subscription; true resumes them' }) @IsBoolean() active: boolean;
}

export class ChannelWebhookDto {
  @ApiProperty({ type: String, format: 'uri', maxLength: 2000, nullable: true, description: "where the channel's status changes are delivered; null removes the webhook" })
  @ValidateIf((o) => o.url !== null) @IsString() @MaxLength(2000) url: string | null;
  @ApiPropertyOptional({ minLength: 16, maxLength: 200, description: 'required with a url: the key deliveries are signed with' }) @OptionalField() @IsString() @MinLength(16, { message: 'secret must be at least 16 characters' }) @MaxLength(200) secret?: string;
}

export class WebhookDeliveryCountsDto {
  @ApiProperty({ type: 'integer' }) delivered: number;
  @ApiProperty({ type: 'integer' }) pending: number;
  @ApiProperty({ type: 'integer' }) failed: number;
  @ApiProperty({ type: String, nullable: true, description: 'the last error of a delivery to this subscription' }) lastError: string | null;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uri' }) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true }) events: string[];
  @ApiProperty() active: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: WebhookDeliveryCountsDto }) deliveries: WebhookDeliveryCountsDto;
}

export class WebhookDeliveryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the event delivered (one delivery per event and subscription)' }) eventKey: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: string | null;
}

const webhookId = ApiParam({ name: 'id', format: 'uuid', description: 'a webhook subscription id' });

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('webhook') });

@ApiTags('notifications')
@ApiBearerAuth()
@ApiErrors(403)
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('ADMIN')
@Controller('v1')
export class WebhooksController {
  constructor(private readonly webhooks: Webhooks) {}

  @Post('webhooks')
  @ApiOperation({ operationId: 'registerWebhook', summary: 'Subscribe a URL to events; deliveries are signed (X-Signature: sha256=<hex HMAC of the body>)' })
  @ApiCreatedResponse({ type: WebhookDto })
  @ApiErrors({ 422: 'the URL is not deliverable (not http(s), or a loopback, private or link-local address)' })
  register(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: RegisterWebhookDto): Promise<WebhookDto> {
    return this.webhooks.register(officer.id, dto);
  }

  @Get('webhooks')
  @ApiOperation({ operationId: 'listWebhooks', summary: 'Subscriptions with their delivery counts and the last error' })
  @ApiOkResponse({ type: [WebhookDto] })
  list(): Promise<WebhookDto[]> {
    return this.webhooks.list();
  }

  @Get('webhooks/:id/deliveries')
  @ApiOperation({ operationId: 'listWebhookDeliveries', summary: "A subscription's latest 200 deliveries, newest first" })
  @webhookId
  @ApiQuery({ name: 'status', required: false, enum: DELIVERY_STATUSES })
  @ApiOkResponse({ type: [WebhookDeliveryDto] })
  @ApiErrors({ 404: 'no such webhook' })
  deliveries(@Param('id', uuid) id: string, @Query('status') status?: string): Promise<WebhookDeliveryDto[]> {
    return this.webhooks.deliveries(id, status);
  }

  @Put('webhooks/:id/state')
  @HttpCode(204)
  @ApiOperation({ operationId: 'setWebhookState', summary: 'Pause or resume a subscription' })
  @webhookId
  @ApiNoContentResponse({ description: 'done' })
  @ApiErrors({ 404: 'no such webhook' })
  async setState(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id', uuid) id: string, @Body() dto: SetWebhookStateDto) {
    await this.webhooks.setActive(officer.id, id, dto.active);
  }

  @Put('channels/:code/webhook')
  @HttpCode(204)
  @ApiOperation({ operationId: 'setChannelWebhook', summary: "A channel's status webhook: changes a citizen should see are delivered there" })
  @ApiParam({ name: 'code', example: 'ihanoi', description: 'a channel code' })
  @ApiNoContentResponse({ description: 'done' })
  @ApiErrors({ 404: 'no such channel' }, { 422: 'the URL is not deliverable, or a url came without a secret' })
  async channelWebhook(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: ChannelWebhookDto) {
    await this.webhooks.setChannelWebhook(officer.id, code, { url: dto.url, secret: dto.secret });
  }
}
