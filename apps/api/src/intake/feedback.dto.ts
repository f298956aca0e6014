import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsLatitude,
  IsLongitude,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsString,
  IsUrl,
  ValidateNested,
} from 'class-validator';
import { CASE_STATES } from '@fr/domain';
import { SubmitFeedbackCommand } from '@fr/intake';
import { OptionalField } from '../common/optional-field.decorator';
import { given, SchemaRules } from '../common/schema-rules';
import { ChannelExternalId } from '../common/external-id.decorator';
import { IsChannelPhone } from '../common/phone.decorators';
import {
  BlankAsAbsent,
  codeMessage,
  DecimalQuery,
  IsInstant,
  Matches,
  MaxLength,
  NoControlChars,
  NoInvisibleInEmail,
  NormaliseText,
  NotBlank,
  NoUrlCredentials,
} from '../common/text.decorators';

/** What IsUrl (http or https, a host with a top-level domain) and NoUrlCredentials take, as a pattern beside format uri. */
export const HTTP_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\s]*\\.[^/?#@\\s]+(?:[/?#]|$)';

export const ATTACHMENT_KINDS = ['image', 'video', 'audio', 'document', 'other'] as const;

// A point is both coordinates or none (SubmitFeedback refuses half of one).
@SchemaRules({ if: given('lat'), then: given('lng') }, { if: given('lng'), then: given('lat') })
export class LocationDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Số 12 ngõ 40 Tạ Quang Bửu, phường Bách Khoa' })
  @OptionalField()
  @BlankAsAbsent()
  @IsString()
  @NormaliseText()
  @MaxLength(500)
  @NoControlChars()
  address?: string;

  @ApiPropertyOptional({
    maxLength: 40,
    pattern: '^[A-Za-z0-9_.-]+$',
    example: 'BACH_KHOA',
    description: 'an area code from GET /v1/areas; another code is refused (422)',
  })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: codeMessage('an area code') })
  wardCode?: string;

  @ApiPropertyOptional({ minimum: -90, maximum: 90, example: 21.0045 })
  @OptionalField()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lat must be a number (a JSON number, not text)' })
  @IsLatitude({ message: 'lat must be a latitude (-90..90)' })
  lat?: number;

  @ApiPropertyOptional({ minimum: -180, maximum: 180, example: 105.8466 })
  @OptionalField()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lng must be a number (a JSON number, not text)' })
  @IsLongitude({ message: 'lng must be a longitude (-180..180)' })
  lng?: number;
}

export class CitizenDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalField()
  @BlankAsAbsent()
  @IsString()
  @NormaliseText()
  @MaxLength(200)
  @NoControlChars()
  name?: string;

  @ApiPropertyOptional({ maxLength: 20, example: '0912345678', description: '6 to 20 digits, with spaces, . ( ) - and a leading +' })
  @OptionalField()
  @IsString()
  @IsChannelPhone()
  phone?: string;

  @ApiPropertyOptional({ maxLength: 254, format: 'email' })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @MaxLength(254)
  @IsEmail()
  @NoInvisibleInEmail()
  email?: string;
}

export class AttachmentDto {
  @ApiProperty({
    maxLength: 2000,
    format: 'uri',
    pattern: HTTP_URL_PATTERN,
    example: 'https://cdn.ihanoi.vn/p/abc.jpg',
    description: 'an http(s) URL of a host with a domain, without a user name or password',
  })
  @IsString()
  @MaxLength(2000)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: 'url must be an http(s) URL' })
  @NoUrlCredentials()
  url: string;

  @ApiProperty({ enum: ATTACHMENT_KINDS })
  @IsIn(ATTACHMENT_KINDS)
  kind: string;
}

export class SubmitFeedbackDto {
  @ChannelExternalId('returns the same case')
  externalId?: string;

  @ApiProperty({
    maxLength: 40,
    pattern: '^[A-Za-z0-9_.-]+$',
    example: 'sidewalk_encroachment',
    description: 'a category code from GET /v1/categories; another code is refused (422)',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: codeMessage('a category code') })
  category: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @MaxLength(200)
  @NoControlChars()
  title?: string;

  @ApiProperty({ minLength: 1, maxLength: 5000, example: 'Quán nước lấn chiếm toàn bộ vỉa hè, người đi bộ phải xuống lòng đường.' })
  @IsString()
  @NormaliseText()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(5000)
  @NoControlChars()
  description: string;

  @ApiProperty({ type: LocationDto })
  @IsObject()
  @ValidateNested()
  @Type(() => LocationDto)
  location: LocationDto;

  @ApiPropertyOptional({ type: CitizenDto })
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => CitizenDto)
  citizen?: CitizenDto;

  @ApiPropertyOptional({ type: [AttachmentDto], maxItems: 10 })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true, message: 'each attachment must be an object { url, kind }' })
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[];

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-11-29T09:15:00+07:00',
    description:
      "when the citizen sent it (default: the time of receipt); up to 5 minutes ahead of the server's clock is taken as the time of receipt, later is refused (422)",
  })
  @OptionalField()
  @IsInstant()
  submittedAt?: string;
}

export class FeedbackAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '7KM3Q-9X2AB', description: 'give it to the citizen: GET /v1/feedback/{trackingCode}' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES, example: 'received' }) status: string;
}

export class CategoryDto {
  @ApiProperty({ example: 'sidewalk_encroachment' }) code: string;
  @ApiProperty({ example: 'Trật tự đô thị, lấn chiếm vỉa hè' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({
    description:
      'always true in this list, which holds only what a channel may offer; a category handled on another legal track (complaint_denunciation) is left out, and submitting it is refused with the reason',
  })
  accepted: boolean;
}

export class AreaDto {
  @ApiProperty({ example: 'BACH_KHOA', description: 'send as location.wardCode' }) code: string;
  @ApiProperty({ example: 'Phường Bách Khoa' }) name: string;
  @ApiProperty({ example: 'P_BACH_KHOA', description: 'the unit that covers the area' }) unitCode: string;
}

export class StatusCodeNameDto {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
}

export class InfoRequestDto {
  @ApiProperty({ description: 'what the handler asked the citizen' }) message: string;
  @ApiProperty({ format: 'date-time' }) requestedAt: string;
}

export class JoinedCaseDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) status: string;
}

export class OtherTrackDto {
  @ApiProperty({ description: 'the body or procedure the citizen should turn to' }) whereToGo: string;
}

/** GET /v1/feedback/nearby: a point and a category. */
export class NearbyQueryDto {
  @ApiProperty({ minimum: -90, maximum: 90, example: 21.0045 })
  @DecimalQuery()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lat must be a number' })
  @IsLatitude({ message: 'lat must be a latitude (-90..90)' })
  lat: number;

  @ApiProperty({ minimum: -180, maximum: 180, example: 105.8466 })
  @DecimalQuery()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lng must be a number' })
  @IsLongitude({ message: 'lng must be a longitude (-180..180)' })
  lng: number;

  @ApiProperty({ maxLength: 40, example: 'roads_lighting', description: 'a category code from GET /v1/categories' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: codeMessage('a category code') })
  category: string;
}

/** An open report near a point, as any channel may see it: no personal data, no text. */
export class NearbyCaseDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) status: string;
  @ApiProperty({ example: 'roads_lighting' }) category: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'metres from the point asked about' }) distanceM: number;
  @ApiProperty({ format: 'date-time' }) submittedAt: string;
}

/** What a citizen may see of a case: never personal data, notes or officers' names. */
export class FeedbackStatusDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) status: string;
  @ApiProperty({ type: StatusCodeNameDto }) category: StatusCodeNameDto;
  @ApiProperty({ type: StatusCodeNameDto, nullable: true, description: 'the unit handling it; null before routing' }) unit: StatusCodeNameDto | null;
  @ApiProperty({ format: 'date-time' }) submittedAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the answer, once resolved' }) answer: string | null;
  @ApiProperty({ type: InfoRequestDto, nullable: true, description: 'while the case waits on the citizen (awaiting_info)' }) infoRequest: InfoRequestDto | null;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 5,
    nullable: true,
    description: 'the score given to the answer shown; null until it is rated (also for an answer given after a low rating reopened the case)',
  })
  rating: number | null;
  @ApiProperty({ type: OtherTrackDto, nullable: true, description: 'set when the case was closed as a complaint or denunciation: where to take it' })
  otherTrack: OtherTrackDto | null;
  @ApiProperty({
    type: JoinedCaseDto,
    nullable: true,
    description: 'a report merged into another of the same problem: the case it joined, whose answer it will get',
  })
  duplicateOf: JoinedCaseDto | null;
}

export class InfoReplyResultDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES, example: 'in_progress' }) status: string;
}

export class RatingResultDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES, description: 'closed after a good rating; in_progress after a low one that reopened the case' }) status: string;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 5 }) rating: number;
}

/** The intake command a validated body stands for; who sends it (channel, hotline operator) comes from the caller's credentials. */
export function submitFeedbackCommand(dto: SubmitFeedbackDto, from: { channel: string; operatorId?: string }): SubmitFeedbackCommand {
  return {
    ...from,
    externalId: dto.externalId,
    category: dto.category,
    title: dto.title,
    description: dto.description,
    location: dto.location,
    citizen: dto.citizen,
    attachments: dto.attachments,
    submittedAt: dto.submittedAt ? new Date(dto.submittedAt) : undefined,
  };
}
