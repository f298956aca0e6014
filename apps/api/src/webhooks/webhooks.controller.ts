import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Max, Min, ValidateIf } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { CODE_PARAM_SCHEMA, MaxLength, NotBlank, SERIAL_ID_PARAM_SCHEMA } from '../common/text.decorators';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { NotFoundError, ValidationError } from '@fr/domain';
import { DEFAULT_ROTATION_OVERLAP_SECONDS, MAX_ROTATION_OVERLAP_SECONDS, WEBHOOK_EVENTS, Webhooks } from '@fr/notifications';
import { ApiErrors } from '../common/error.dto';
import { Roles } from '../common/roles.decorator';

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];
const WHSEC = '^whsec_[A-Za-z0-9+/]+={0,2}$';

export class RegisterWebhookDto {
  @ApiProperty({ type: String, format: 'uri', maxLength: 2000, example: 'https://ops.hbt.gov.vn/hooks/feedback' }) @IsString() @MaxLength(2000) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true, minItems: 1, maxItems: 10 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsIn(WEBHOOK_EVENTS, { each: true, message: `events must be among ${WEBHOOK_EVENTS.join(', ')}` })
  events: string[];
  @ApiPropertyOptional({
    pattern: WHSEC,
    maxLength: 200,
    description: 'a Standard Webhooks secret (whsec_ + the base64 of 24 to 64 random bytes); left out, one is generated and returned once',
  })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  secret?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_ROTATION_OVERLAP_SECONDS,
    default: DEFAULT_ROTATION_OVERLAP_SECONDS,
    description: 'how long the previous secret keeps signing beside the new one',
  })
  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(MAX_ROTATION_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export class SetWebhookStateDto {
  @ApiProperty({ description: 'false stops deliveries to the subscription; true resumes them' }) @IsBoolean() active: boolean;
}

export class ChannelWebhookDto {
  @ApiProperty({
    type: String,
    format: 'uri',
    maxLength: 2000,
    nullable: true,
    description: "where the channel's status changes are delivered; null removes the webhook",
  })
  @ValidateIf((o: ChannelWebhookDto) => o.url !== null)
  @IsString()
  @MaxLength(2000)
  // "" was taken for null and removed the webhook without a word.
  @NotBlank({ message: 'url is blank: give the address deliveries go to, or null to remove the webhook' })
  url: string | null;
  @ApiPropertyOptional({
    pattern: WHSEC,
    maxLength: 200,
    description: 'a whsec_ secret to use from now on; left out, the current one is kept or, if none, one is generated and returned once',
  })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  secret?: string;
}

export class SecretRotationDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'the new secret, shown this once' }) secret: string;
  @ApiProperty({ format: 'date-time', description: 'until then deliveries carry a signature with the previous secret too' })
  previousSecretExpiresAt: string;
}

export class ChannelWebhookViewDto {
  @ApiProperty({ example: 'ihanoi' }) channel: string;
  @ApiProperty({ type: String, nullable: true }) url: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the generated secret, shown this once; null when a secret was kept, chosen or removed' })
  secret: string | null;
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
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'while a rotation overlaps, deliveries are signed with the previous secret too, until then',
  })
  previousSecretExpiresAt: string | null;
  @ApiProperty({ type: WebhookDeliveryCountsDto }) deliveries: WebhookDeliveryCountsDto;
}

export class RegisteredWebhookDto extends WebhookDto {
  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'the generated secret, shown this once (absent when the caller chose one)',
  })
  secret?: string;
}

export class WebhookDeliveryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the event delivered (one delivery per event and subscription)' }) eventKey: string;
  @ApiProperty({ description: 'the webhook-id header of every attempt: what a receiver logs and deduplicates on' }) messageId: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: string | null;
}

const webhookId = ApiParam({ name: 'id', format: 'uuid', description: 'a webhook subscription id' });
const channelCode = ApiParam({ name: 'code', example: 'ihanoi', schema: CODE_PARAM_SCHEMA, description: 'a channel code' });

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
  @ApiOperation({
    operationId: 'registerWebhook',
    summary: 'Subscribe a URL to events; deliveries are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)',
  })
  @ApiCreatedResponse({ type: RegisteredWebhookDto })
  @ApiErrors(
    {
      422: 'an unknown event, a URL that is not deliverable (not http(s), or a loopback, private or link-local address), or a secret that is not whsec_',
    },
    { 409: 'an active subscription already sends one of these events to this URL (each would be delivered twice)' },
  )
  register(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: RegisterWebhookDto): Promise<RegisteredWebhookDto> {
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
    if (status !== undefined && !DELIVERY_STATUSES.includes(status)) {
      throw new ValidationError(`status must be one of ${DELIVERY_STATUSES.join(', ')}`, ['status']);
    }
    return this.webhooks.deliveries(id, status);
  }

  @Post('webhooks/:id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: 'Send a delivered or failed delivery again, with a fresh set of attempts and the same webhook-id (a receiver that processed it deduplicates it)',
  })
  @webhookId
  @ApiParam({ name: 'deliveryId', example: '42', schema: SERIAL_ID_PARAM_SCHEMA, description: "a delivery's id, as GET /v1/webhooks/{id}/deliveries lists it" })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto, description: 'pending again; the worker queues it' })
  @ApiErrors({ 404: 'no such webhook, or no such delivery of it' }, { 409: 'the webhook is paused, or the delivery is still being attempted' })
  redeliver(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('id', uuid) id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.redeliver(officer.id, id, deliveryId);
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

  @Post('webhooks/:id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ operationId: 'rotateWebhookSecret', summary: 'A new generated secret (returned once); the previous one also signs until the overlap ends' })
  @webhookId
  @ApiOkResponse({ type: SecretRotationDto })
  // The body may be left out: the overlap then takes its default.
  @ApiBody({ type: RotateSecretDto, required: false })
  @ApiErrors({ 404: 'no such webhook' }, { 422: 'overlapSeconds out of range' })
  rotate(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id', uuid) id: string, @Body() dto: RotateSecretDto): Promise<SecretRotationDto> {
    return this.webhooks.rotateSecret(officer.id, { kind: 'webhook', id }, dto.overlapSeconds);
  }

  @Put('channels/:code/webhook')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'setChannelWebhook',
    summary: "A channel's status webhook: changes a citizen should see are delivered there; a generated secret is returned once",
  })
  @channelCode
  @ApiOkResponse({ type: ChannelWebhookViewDto })
  @ApiErrors({ 404: 'no such channel' }, { 422: 'the URL is not deliverable, a secret that is not whsec_, or a secret without a url' })
  channelWebhook(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: ChannelWebhookDto): Promise<ChannelWebhookViewDto> {
    return this.webhooks.setChannelWebhook(officer.id, code, { url: dto.url, secret: dto.secret });
  }

  @Post('channels/:code/webhook/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ operationId: 'rotateChannelWebhookSecret', summary: "Rotate a channel webhook's secret: the previous one also signs until the overlap ends" })
  @channelCode
  @ApiOkResponse({ type: SecretRotationDto })
  // The body may be left out: the overlap then takes its default.
  @ApiBody({ type: RotateSecretDto, required: false })
  @ApiErrors({ 404: 'no such channel' }, { 422: 'the channel has no webhook, or overlapSeconds out of range' })
  rotateChannel(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: RotateSecretDto): Promise<SecretRotationDto> {
    return this.webhooks.rotateSecret(officer.id, { kind: 'channel', code }, dto.overlapSeconds);
  }
}
