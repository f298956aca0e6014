import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, IsUUID } from 'class-validator';
import { IsDayOrInstant, MaxLength, NormaliseText } from '../common/text.decorators';
import { OptionalField } from '../common/optional-field.decorator';
import { IsChannelPhone } from '../common/phone.decorators';

export class ContactReadsQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "the case whose contact details' reads to list" })
  @OptionalField()
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  caseId?: string;

  @ApiPropertyOptional({ description: "the citizen's phone (ADMIN only): matched through a keyed hash, never stored", example: '0912345678' })
  @OptionalField()
  @IsString()
  @IsChannelPhone()
  phone?: string;

  @ApiPropertyOptional({ description: "the citizen's e-mail (ADMIN only): matched through a keyed hash, never stored", maxLength: 254, format: 'email' })
  @OptionalField()
  @NormaliseText()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  // Not NoInvisibleInEmail: reads of a case stored before intake refused such an address are keyed by it.
  email?: string;

  @ApiPropertyOptional({
    description: 'reads at or after: an ISO 8601 date-time with its offset, or a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh: from its start)',
    example: '2026-12-01',
  })
  @OptionalField()
  @IsDayOrInstant()
  from?: string;

  @ApiPropertyOptional({
    description:
      'reads before: an ISO 8601 date-time with its offset (exclusive), or a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh: through its end); not before from',
    example: '2026-12-31',
  })
  @OptionalField()
  @IsDayOrInstant()
  to?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], description: 'csv: the records as a file for an investigation' })
  @OptionalField()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}

export class ReaderOfficerDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() fullName: string;
  @ApiProperty() role: string;
  @ApiProperty({ type: String, nullable: true }) unitCode: string | null;
}

export class ContactReadDto {
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() trackingCode: string;
  @ApiProperty({ type: ReaderOfficerDto }) officer: ReaderOfficerDto;
  @ApiProperty({ format: 'date-time' }) readAt: string;
}

export class ReaderDto extends ReaderOfficerDto {
  @ApiProperty({ type: 'integer' }) reads: number;
  @ApiProperty({ format: 'date-time' }) firstReadAt: string;
  @ApiProperty({ format: 'date-time' }) lastReadAt: string;
}

export class ContactReadsDto {
  @ApiProperty({ type: [ContactReadDto], description: 'every read, oldest first (at most 10,000: narrow by from/to)' }) items: ContactReadDto[];
  @ApiProperty({ type: [ReaderDto], description: 'every officer who read the data, with how often and when' }) readers: ReaderDto[];
}
