import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { NotFoundError } from '@fr/domain';
import { WEBHOOK_EVENTS, Webhooks } from '@fr/notifications';

export class RegisterWebhookDto {
  @ApiProperty({ example: 'https://ops.hbt.gov.vn/hooks/feedback' }) @IsString() @MaxLength(2000) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10) @IsIn(WEBHOOK_EVENTS, { each: true, message: `events must be among ${WEBHOOK_EVENTS.join(', ')}` })
  events: string[];
  @ApiProperty({ minLength: 16, description: 'the key of the HMAC-SHA256 signature in X-Signature' })
  @IsString() @MinLength(16, { message: 'secret must be at least 16 characters' }) @MaxLength(200) secret: string;
}

export class SetWebhookStateDto {
  @IsBoolean() active: boolean;
}

export class ChannelWebhookDto {
  @ApiPropertyOptional({ nullable: true }) @ValidateIf((o: ChannelWebhookDto) => o.url !== null) @IsString() @MaxLength(2000) url: string | null;
  @ApiPropertyOptional() @OptionalField() @IsString() @MinLength(16, { message: 'secret must be at least 16 characters' }) @MaxLength(200) secret?: string;
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
  @ApiOperation({ summary: 'Subscribe a URL to events; deliveries are signed (X-Signature: sha256=<hex HMAC of the body>)' })
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

  @Put('channels/:code/webhook')
  @HttpCode(204)
  @ApiOperation({ summary: "A channel's status webhook: changes a citizen should see are delivered there" })
  async channelWebhook(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: ChannelWebhookDto) {
    await this.webhooks.setChannelWebhook(officer.id, code, { url: dto.url, secret: dto.secret });
  }
}
