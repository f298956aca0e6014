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
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { IsInstant, NoControlChars, NormaliseText, NotBlank } from '../common/text.decorators';

export const ATTACHMENT_KINDS = ['image', 'video', 'audio', 'document', 'other'] as const;

export class LocationDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Số 12 ngõ 40 Tạ Quang Bửu, phường Bách Khoa' })
  @OptionalField() @IsString() @NormaliseText() @MaxLength(500) @NoControlChars()
  address?: string;

  @ApiPropertyOptional({ maxLength: 40, example: 'BACH_KHOA', description: 'an area code from GET /v1/areas' })
  @OptionalField() @IsString() @MaxLength(40) @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'wardCode must be an area code (letters, digits, _ . -)' })
  wardCode?: string;

  @ApiPropertyOptional({ example: 21.0045 })
  @OptionalField() @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLatitude()
  lat?: number;

  @ApiPropertyOptional({ example: 105.8466 })
  @OptionalField() @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLongitude()
  lng?: number;
}

export class CitizenDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalField() @IsString() @NormaliseText() @MaxLength(200) @NoControlChars()
  name?: string;

  @ApiPropertyOptional({ maxLength: 20, example: '0912345678' })
  @OptionalField() @IsString() @MaxLength(20) @Matches(/^\+?[0-9 .()-]{6,20}$/, { message: 'phone must be a phone number (digits, spaces, + . ( ) -)' })
  phone?: string;

  @ApiPropertyOptional({ maxLength: 254 })
  @OptionalField() @IsString() @NormaliseText() @MaxLength(254) @IsEmail()
  email?: string;
}

export class AttachmentDto {
  @ApiProperty({ maxLength: 2000, example: 'https://cdn.ihanoi.vn/p/abc.jpg' })
  @IsString() @MaxLength(2000) @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: 'url must be an http(s) URL' })
  url: string;

  @ApiProperty({ enum: ATTACHMENT_KINDS })
  @IsIn(ATTACHMENT_KINDS)
  kind: string;
}

export class SubmitFeedbackDto {
  @ApiPropertyOptional({ maxLength: 100, description: "the channel's own id; the same id again returns the same case" })
  @OptionalField() @IsString() @NormaliseText() @MaxLength(100) @NotBlank() @NoControlChars()
  externalId?: string;

  @ApiProperty({ example: 'sidewalk_encroachment', description: 'a category code from GET /v1/categories' })
  @IsString() @IsNotEmpty() @MaxLength(40) @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'category must be a category code (letters, digits, _ . -)' })
  category: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalField() @IsString() @NormaliseText() @MaxLength(200) @NoControlChars()
  title?: string;

  @ApiProperty({ minLength: 1, maxLength: 5000, example: 'Quán nước lấn chiếm toàn bộ vỉa hè, người đi bộ phải xuống lòng đường.' })
  @IsString() @NormaliseText() @IsNotEmpty() @NotBlank() @MaxLength(5000) @NoControlChars()
  description: string;

  @ApiProperty({ type: LocationDto })
  @IsObject() @ValidateNested() @Type(() => LocationDto)
  location: LocationDto;

  @ApiPropertyOptional({ type: CitizenDto })
  @OptionalField() @IsObject() @ValidateNested() @Type(() => CitizenDto)
  citizen?: CitizenDto;

  @ApiPropertyOptional({ type: [AttachmentDto], maxItems: 10 })
  @OptionalField() @IsArray() @ArrayMaxSize(10) @IsObject({ each: true, message: 'each attachment must be an object { url, kind }' })
  @ValidateNested({ each: true }) @Type(() => AttachmentDto)
  attachments?: AttachmentDto[];

  @ApiPropertyOptional({ example: '2026-11-29T09:15:00+07:00' })
  @OptionalField() @IsInstant({ message: 'submittedAt must be an ISO 8601 date-time such as 2026-11-29T09:15:00+07:00' })
  submittedAt?: string;
}

export class FeedbackAcceptedDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ example: 'received' }) status: string;
}
