import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsString, IsUUID, Max, Min, MinLength, ValidateNested } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { MAX_SAMPLE_SIZE } from '@fr/audit';
import { BlankAsAbsent, IsDayOrInstant, Matches, MaxLength, NoControlChars, NormaliseText, NotBlank } from '../common/text.decorators';

export class VerifyQueryDto {
  @ApiPropertyOptional({
    description: "first position in the sealed chain to check (default: 1); a position past the chain's last is refused (400)",
    pattern: '^\\d{1,18}$',
  })
  @OptionalField()
  @Matches(/^\d{1,18}$/, { message: 'fromSeq must be a positive integer of at most 18 digits' })
  fromSeq?: string;

  @ApiPropertyOptional({ description: 'last position to check (default: the sealed head); not before the first', pattern: '^\\d{1,18}$' })
  @OptionalField()
  @Matches(/^\d{1,18}$/, { message: 'toSeq must be a positive integer of at most 18 digits' })
  toSeq?: string;

  @ApiPropertyOptional({ description: 'first event to check, by id (it must be sealed); instead of fromSeq', pattern: '^\\d{1,18}$' })
  @OptionalField()
  @Matches(/^\d{1,18}$/, { message: 'fromId must be a positive event id of at most 18 digits' })
  fromId?: string;

  @ApiPropertyOptional({ description: 'last event to check, by id (it must be sealed); instead of toSeq', pattern: '^\\d{1,18}$' })
  @OptionalField()
  @Matches(/^\d{1,18}$/, { message: 'toId must be a positive event id of at most 18 digits' })
  toId?: string;

  @ApiPropertyOptional({
    enum: ['checkpoint'],
    description:
      'checkpoint: check only the events sealed after the last checkpoint written outside the database, up to the chain head ' +
      '(the checkpointed event is re-checked at its position first); the whole trail when no checkpoint exists yet. Takes no range.',
  })
  @OptionalField()
  @IsIn(['checkpoint'], { message: "since must be 'checkpoint'" })
  since?: string;
}

export class PeriodQueryDto {
  @ApiProperty({ description: 'start: a date (YYYY-MM-DD, Asia/Ho_Chi_Minh) or an ISO 8601 date-time', example: '2025-01-01' })
  @IsString({ message: 'from is required' })
  @IsDayOrInstant()
  from: string;

  @ApiProperty({ description: 'end: a date (inclusive, the whole day) or an ISO 8601 date-time (exclusive); after from', example: '2025-03-31' })
  @IsString({ message: 'to is required' })
  @IsDayOrInstant()
  to: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @OptionalField()
  @IsIn(['json', 'csv'], { message: "format must be 'json' or 'csv'" })
  format?: 'json' | 'csv';
}

/**
 * The drill-down answers JSON only: a `format` it took and then ignored was documented as json|csv,
 * so a client asking for CSV got JSON without a word.
 */
export class UnitCasesQueryDto extends OmitType(PeriodQueryDto, ['format'] as const) {}

export class ExportQueryDto {
  @ApiProperty({ description: 'cases received from: a date (YYYY-MM-DD) or an ISO 8601 date-time', example: '2025-01-01' })
  @IsString({ message: 'from is required' })
  @IsDayOrInstant()
  from: string;

  @ApiProperty({ description: 'cases received until: a date (inclusive) or an ISO 8601 date-time (exclusive); after from', example: '2025-03-31' })
  @IsString({ message: 'to is required' })
  @IsDayOrInstant()
  to: string;

  @ApiPropertyOptional({ description: 'only cases this unit owned at some time', maxLength: 40 })
  @OptionalField()
  @IsString()
  @NotBlank({ message: "unit must not be empty: leave it out for every unit's cases" })
  @MaxLength(40)
  unit?: string;

  @ApiPropertyOptional({ enum: ['csv'], default: 'csv' })
  @OptionalField()
  @IsIn(['csv'], { message: "format must be 'csv'" })
  format?: 'csv';
}

export class SampleDto {
  @ApiPropertyOptional({ description: "only this unit's stratum (default: every unit with closed cases in the period)", maxLength: 40 })
  @OptionalField()
  @IsString()
  // Blank is a malformed code, as the export's `unit` is, not a unit looked for and not found.
  @NotBlank({ message: "unitCode must not be blank: leave it out for every unit's stratum" })
  @MaxLength(40)
  unitCode?: string;

  @ApiProperty({ description: 'cases closed from: a date or an ISO 8601 date-time', example: '2025-01-01' })
  @IsString({ message: 'from is required' })
  @IsDayOrInstant()
  from: string;

  @ApiProperty({ description: 'cases closed until: a date (inclusive) or an ISO 8601 date-time (exclusive); after from', example: '2025-03-31' })
  @IsString({ message: 'to is required' })
  @IsDayOrInstant()
  to: string;

  @ApiProperty({ type: 'integer', description: 'cases per unit', minimum: 1, maximum: MAX_SAMPLE_SIZE })
  @IsInt({ message: 'size must be an integer' })
  @Min(1)
  @Max(MAX_SAMPLE_SIZE)
  size: number;

  @ApiProperty({
    // A number is taken too (read as its text): the length and pattern below apply to text only.
    oneOf: [{ type: 'string' }, { type: 'number' }],
    minLength: 1,
    maxLength: 100,
    description: 'any text (a number is read as its text); the same seed draws the same sample',
    example: 'NV-2025-Q1',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value))
  @IsString({ message: 'seed must be a string or a number' })
  @MinLength(1)
  @MaxLength(100)
  @NoControlChars()
  @NotBlank()
  seed: string;
}

export class ReviewScoresDto {
  @ApiProperty({ type: 'integer', description: 'the answer addresses the issue: 0 no, 1 partly, 2 yes', minimum: 0, maximum: 2 })
  @IsInt({ message: 'scores.addressesIssue must be 0, 1 or 2' })
  @Min(0)
  @Max(2)
  addressesIssue: number;

  @ApiProperty({ type: 'integer', description: 'evidence (photos, documents) attached: 0 no, 1 partly, 2 yes', minimum: 0, maximum: 2 })
  @IsInt({ message: 'scores.evidence must be 0, 1 or 2' })
  @Min(0)
  @Max(2)
  evidence: number;

  @ApiProperty({ type: 'integer', description: 'lawful: 0 no, 1 partly, 2 yes', minimum: 0, maximum: 2 })
  @IsInt({ message: 'scores.lawful must be 0, 1 or 2' })
  @Min(0)
  @Max(2)
  lawful: number;

  @ApiProperty({ type: 'integer', description: 'polite and clear: 0 no, 1 partly, 2 yes', minimum: 0, maximum: 2 })
  @IsInt({ message: 'scores.politeClear must be 0, 1 or 2' })
  @Min(0)
  @Max(2)
  politeClear: number;
}

export class ReviewDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  caseId: string;

  @ApiProperty({ type: ReviewScoresDto })
  @IsDefined({ message: 'scores is required' })
  @ValidateNested()
  @Type(() => ReviewScoresDto)
  scores: ReviewScoresDto;

  @ApiPropertyOptional({ maxLength: 2000 })
  @OptionalField()
  @BlankAsAbsent()
  @NormaliseText()
  @IsString()
  @MaxLength(2000)
  @NoControlChars()
  comment?: string;
}
