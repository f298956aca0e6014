import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { NotFoundError } from '@fr/domain';
import { DEFAULT_ROTATION_OVERLAP_SECONDS, MAX_ROTATION_OVERLAP_SECONDS, WEBHOOK_EVENTS, Webhooks } from '@fr/notifications';

export class RegisterWebhookDto {
  @ApiProperty({ example: 'https://ops.hbt.gov.vn/hooks/feedback' }) @IsString() @MaxLength(2000) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10) @IsIn(WEBHOOK_EVENTS, { each: true, message: `events must be among ${WEBHOOK_EVENTS.join(', ')}` })
  events: string[];
  @ApiPropertyOptional({
    pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
    description: 'a Standard Webhooks secret (whsec_ + the base64 of 24 to 64 random bytes); left out, one is generated and returned once',
  })
  @OptionalField() @IsString() @MaxLength(200) secret?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_ROTATION_OVERLAP_SECONDS,
    default: DEFAULT_ROTATION_OVERLAP_SECONDS,
    description: 'how long the previous secret keeps signing beside the new one',
  })
  @OptionalField() @IsInt() @Min(0) @Max(MAX_ROTATION_OVERLAP_SECONDS) overlapSeconds?: number;
}

export class SetWebhookStateDto {
  @IsBoolean() active: boolean;
}

export class ChannelWebhookDto {
  @ApiPropertyOptional({ nullable: true }) @ValidateIf((o: ChannelWebhookDto) => o.url !== null) @IsString() @MaxLength(2000) url: string | null;
  @ApiPropertyOptional({ description: 'a whsec_ secret to use from now on; left out, the current one is kept or, if none, one is generated and returned once' })
  @OptionalField() @IsString() @MaxLength(200) secret?: string;
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

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('webhook') });

@ApiTags('notifications')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('ADMIN')
@Controller('v1')
export class WebhooksController {
  constructor(private readonly webhooks: Webhooks) {}

  @Post('webhooks')
  @ApiOperation({ summary: 'Subscribe a URL to events; deliveries are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)' })
  register(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: RegisterWebhookDto) {
    return this.webhooks.register(officer.id, dto);
  }

  @Get('webhooks')
  @ApiOperation({ summary: 'Subscriptions with their delivery counts and the last error' })
  list() {
    return this.webhooks.list();
  }

  @Get('webhooks/:id/deliveries')
  deliveries(@Param('id', uuid) id: string, @Query('status') status?: string) {
    return this.webhooks.deliveries(id, status);
  }

  @Put('webhooks/:id/state')
  @HttpCode(204)
  async setState(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id', uuid) id: string, @Body() dto: SetWebhookStateDto) {
    await this.webhooks.setActive(officer.id, id, dto.active);
  }

  @Post('webhooks/:id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new generated secret (returned once); the previous one also signs until the overlap ends' })
  @ApiOkResponse({ type: SecretRotationDto })
  rotate(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id', uuid) id: string, @Body() dto: RotateSecretDto) {
    return this.webhooks.rotateSecret(officer.id, { kind: 'webhook', id }, dto.overlapSeconds);
  }

  @Put('channels/:code/webhook')
  @HttpCode(200)
  @ApiOperation({ summary: "A channel's status webhook: changes a citizen should see are delivered there; a generated secret is returned once" })
  @ApiOkResponse({ type: ChannelWebhookViewDto })
  channelWebhook(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: ChannelWebhookDto) {
    return this.webhooks.setChannelWebhook(officer.id, code, { url: dto.url, secret: dto.secret });
  }

  @Post('channels/:code/webhook/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: "Rotate a channel webhook's secret: the previous one also signs until the overlap ends" })
  @ApiOkResponse({ type: SecretRotationDto })
  rotateChannel(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: RotateSecretDto) {
    return this.webhooks.rotateSecret(officer.id, { kind: 'channel', code }, dto.overlapSeconds);
  }
}
