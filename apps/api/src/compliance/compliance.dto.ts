import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNumber, IsString, IsUUID, Max, Min } from 'class-validator';
import { BOARD_STATUSES, TARGET_KINDS, UNIT_KINDS } from '@fr/domain';
import { NOTICE_KINDS, TARGET_ID } from '@fr/board';
import { OptionalField } from '../common/optional-field.decorator';
import { given, notGiven, SchemaRules } from '../common/schema-rules';
import { StatusCodeNameDto } from '../intake/feedback.dto';
import {
  CURSOR_SCHEMA,
  IntegerQuery,
  IsDayOrInstant,
  IsIntBetween,
  Matches,
  MaxLength,
  NoControlChars,
  NormaliseText,
  NotBlank,
  SingleLine,
} from '../common/text.decorators';

const DAY_OR_INSTANT = 'a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with offset';

/** Unit codes a target names (parseTarget's rule). */
const UNIT_CODES_ITEMS = { type: 'string', maxLength: 40, pattern: '^[A-Za-z0-9_.-]{1,40}$' };
/** The field bounds parseTarget holds a target to, whether it is created or changed. */
const THRESHOLD = { minimum: 0, exclusiveMinimum: true, maximum: 100 };
const EVERY_DAYS = { minimum: 1, maximum: 365 };
const AT_RISK_DAYS = { minimum: 0, maximum: 365 };
const kindIs = (...kinds: string[]) => ({ required: ['kind'], properties: { kind: { enum: kinds } } });

/**
 * What each kind of target takes (parseTarget): a dated target its dueAt and no cadence, a cadence its
 * start and period and no deadline; a share only for head counts; an adoption target only wards; and no
 * target for no unit at all.
 */
@SchemaRules(
  { if: kindIs('designation', 'staff_onboarding', 'ward_adoption'), then: { allOf: [given('dueAt'), notGiven('startsAt'), notGiven('everyDays')] } },
  { if: kindIs('notice_cadence'), then: { allOf: [notGiven('dueAt'), given('startsAt'), given('everyDays')] } },
  { if: kindIs('designation', 'notice_cadence'), then: notGiven('thresholdPercent') },
  { if: kindIs('ward_adoption'), then: { properties: { unitKinds: { items: { const: 'ward' } } } } },
  {
    // `items: {}`: the field's own schema types the items; an array without it is an error to Spectral.
    if: { required: ['unitKinds'], properties: { unitKinds: { type: 'array', items: {}, maxItems: 0 } } },
    then: { required: ['unitCodes'], properties: { unitCodes: { type: 'array', items: {}, minItems: 1 } } },
  },
)
export class CreateTargetDto {
  @ApiProperty({
    example: 'staff-onboarding',
    maxLength: 40,
    pattern: TARGET_ID.source,
    description: "the target's code: 1-40 lower-case letters, digits, '_', '.', '-', starting with a letter or digit",
  })
  @IsString()
  @MaxLength(40)
  id: string;

  @ApiProperty({ enum: TARGET_KINDS })
  @IsIn(TARGET_KINDS, { message: `kind must be one of ${TARGET_KINDS.join(', ')}` })
  kind: string;

  @ApiProperty({ example: '100% cán bộ có tài khoản iHaNoi', maxLength: 200 })
  @NormaliseText()
  @IsString()
  @NotBlank()
  @MaxLength(200)
  @NoControlChars()
  @SingleLine()
  name: string;

  @ApiPropertyOptional({ description: `dated targets: the deadline, ${DAY_OR_INSTANT} (a date: through the end of that day)`, example: '2026-07-25' })
  @OptionalField()
  @IsDayOrInstant()
  dueAt?: string;

  @ApiPropertyOptional({ description: `notice_cadence: from when notices are counted, ${DAY_OR_INSTANT}`, example: '2026-07-01' })
  @OptionalField()
  @IsDayOrInstant()
  startsAt?: string;

  @ApiPropertyOptional({ description: 'staff_onboarding, ward_adoption: the share to reach, above 0 (default 100)', ...THRESHOLD })
  @OptionalField()
  @IsNumber({}, { message: 'thresholdPercent must be a number' })
  thresholdPercent?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'notice_cadence: at least one notice every this many calendar days', ...EVERY_DAYS })
  @OptionalField()
  @IsInt({ message: 'everyDays must be an integer' })
  everyDays?: number;

  @ApiPropertyOptional({
    type: 'integer',
    ...AT_RISK_DAYS,
    description: 'how many days before its deadline an unmet target is at risk (omitted: at once for a dated target, never for a cadence)',
  })
  @OptionalField()
  @IsInt({ message: 'atRiskDays must be an integer' })
  atRiskDays?: number;

  @ApiPropertyOptional({
    enum: UNIT_KINDS,
    isArray: true,
    maxItems: 4,
    description: 'the units concerned, by kind (default: by target kind; none: unitCodes names them)',
  })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(UNIT_KINDS, { each: true, message: `unitKinds must be among ${UNIT_KINDS.join(', ')}` })
  unitKinds?: string[];

  @ApiPropertyOptional({ type: [String], items: UNIT_CODES_ITEMS, maxItems: 500, description: 'the units concerned, by code (instead of unitKinds)' })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  unitCodes?: string[];

  @ApiPropertyOptional({ default: true })
  @OptionalField()
  @IsBoolean()
  active?: boolean;
}

const TARGET_FIELDS = ['name', 'dueAt', 'startsAt', 'thresholdPercent', 'everyDays', 'atRiskDays', 'unitKinds', 'unitCodes', 'active'];

/** A change changes something (nulls alone are nothing to update). */
@SchemaRules({ anyOf: TARGET_FIELDS.map(given) })
export class UpdateTargetDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalField()
  @NormaliseText()
  @IsString()
  @NotBlank()
  @MaxLength(200)
  @NoControlChars()
  @SingleLine()
  name?: string;
  @ApiPropertyOptional({ description: DAY_OR_INSTANT }) @OptionalField() @IsDayOrInstant() dueAt?: string;
  @ApiPropertyOptional({ description: DAY_OR_INSTANT }) @OptionalField() @IsDayOrInstant() startsAt?: string;
  @ApiPropertyOptional(THRESHOLD) @OptionalField() @IsNumber({}, { message: 'thresholdPercent must be a number' }) thresholdPercent?: number;
  @ApiPropertyOptional({ type: 'integer', ...EVERY_DAYS }) @OptionalField() @IsInt({ message: 'everyDays must be an integer' }) everyDays?: number;
  @ApiPropertyOptional({ type: 'integer', ...AT_RISK_DAYS }) @OptionalField() @IsInt({ message: 'atRiskDays must be an integer' }) atRiskDays?: number;
  @ApiPropertyOptional({ enum: UNIT_KINDS, isArray: true, maxItems: 4 })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(UNIT_KINDS, { each: true, message: `unitKinds must be among ${UNIT_KINDS.join(', ')}` })
  unitKinds?: string[];
  @ApiPropertyOptional({ type: [String], items: UNIT_CODES_ITEMS, maxItems: 500 })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  unitCodes?: string[];
  @ApiPropertyOptional() @OptionalField() @IsBoolean() active?: boolean;
}

export class BoardQueryDto {
  @ApiPropertyOptional({
    description: `evaluate the board at this instant (default: now): ${DAY_OR_INSTANT}; a date is the board as at that day, at its last instant (the end of the day in Hanoi)`,
    example: '2026-07-26T09:00:00+07:00',
  })
  @OptionalField()
  @IsDayOrInstant()
  at?: string;

  @ApiPropertyOptional({
    description: `count notices and find gaps from this instant (default: each cadence's start): ${DAY_OR_INSTANT} (a date: from the start of that day); not after at`,
  })
  @OptionalField()
  @IsDayOrInstant()
  from?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @OptionalField()
  @IsIn(['json', 'csv'], { message: "format must be 'json' or 'csv'" })
  format?: 'json' | 'csv';
}

/** GET /board/view renders HTML only: `format` is GET /v1/compliance/board's, not the view's. */
export class BoardViewQueryDto extends OmitType(BoardQueryDto, ['format'] as const) {}

export class NoticeGapDto {
  @ApiProperty({ format: 'date', description: 'the first day past the cadence without a notice (in Vietnam)' }) from: string;
  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'its last day; null while the gap still runs' }) to: string | null;
  @ApiProperty({ type: 'integer' }) days: number;
}

export class BoardEntryDto {
  @ApiProperty() targetId: string;
  @ApiProperty({ enum: TARGET_KINDS }) kind: string;
  @ApiProperty({ enum: BOARD_STATUSES }) status: string;
  @ApiProperty({ nullable: true, type: Number, description: 'percent; focal points in use (0..2); days since the last notice' }) value: number | null;
  @ApiProperty({ description: 'what value must reach (percent, 2) or, for a cadence, must not exceed (days)' }) target: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'the deadline in force (exclusive instant)' }) dueAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date', description: 'the last day allowed, YYYY-MM-DD in Vietnam' }) dueDate: string | null;
  @ApiProperty() met: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) metAt: string | null;
  @ApiPropertyOptional({ type: 'integer', description: 'notice_cadence: notices counted' }) notices?: number;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'notice_cadence' }) lastNoticeAt?: string | null;
  @ApiPropertyOptional({ type: [NoticeGapDto], description: 'notice_cadence: runs of days longer than the cadence' }) gaps?: NoticeGapDto[];
}

export class BoardUnitDto {
  @ApiProperty() unitCode: string;
  @ApiProperty() unitName: string;
  @ApiProperty({ enum: UNIT_KINDS }) kind: string;
  @ApiProperty({ type: [BoardEntryDto] }) targets: BoardEntryDto[];
}

export class TargetDto {
  @ApiProperty({ example: 'staff-onboarding' }) id: string;
  @ApiProperty({ enum: TARGET_KINDS }) kind: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startsAt: string | null;
  @ApiProperty({ type: Number, nullable: true }) thresholdPercent: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) everyDays: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) atRiskDays: number | null;
  @ApiProperty({ enum: UNIT_KINDS, isArray: true }) unitKinds: string[];
  @ApiProperty({ type: [String], nullable: true }) unitCodes: string[] | null;
  @ApiProperty() active: boolean;
}

export class StatusCountsDto {
  @ApiProperty({ type: 'integer' }) on_track: number;
  @ApiProperty({ type: 'integer' }) at_risk: number;
  @ApiProperty({ type: 'integer' }) late: number;
}

export class BoardTargetDto extends TargetDto {
  @ApiProperty({ type: StatusCountsDto, description: 'units per status' }) summary: StatusCountsDto;
}

export class BoardReportDto {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: "cadence counts and gaps cover notices from here (each target's start when null)",
  })
  from: string | null;
  @ApiProperty({ type: [BoardTargetDto] }) targets: BoardTargetDto[];
  @ApiProperty({ type: [BoardUnitDto] }) units: BoardUnitDto[];
}

export class FigureDto {
  @ApiProperty() id: string;
  @ApiProperty() unitCode: string;
  @ApiProperty({ enum: ['staff', 'adoption'] }) kind: string;
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) withAccount: number;
  @ApiProperty() percent: number;
  @ApiProperty({ description: 'the day or instant the count describes, as reported' }) asOf: string;
  @ApiProperty({ enum: ['unit', 'import'] }) source: string;
  @ApiProperty({ format: 'date-time' }) reportedAt: string;
}

export class FigureImportDto {
  @ApiProperty({ type: 'integer', description: 'lines imported (all of them: an import is all or nothing)' }) imported: number;
}

export class NoticeDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: StatusCodeNameDto }) unit: StatusCodeNameDto;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ enum: NOTICE_KINDS }) kind: string;
  @ApiProperty() urgent: boolean;
  @ApiProperty({ type: [String] }) areaCodes: string[];
  @ApiProperty({ format: 'date-time' }) publishedAt: string;
}

export class ChannelNoticesStateDto {
  @ApiProperty() channel: string;
  @ApiProperty() subscribed: boolean;
  @ApiProperty({ description: 'whether the channel has a status webhook to receive them' }) webhook: boolean;
}

class FigureBodyDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10_000_000, description: 'of them, those with an account: at most the total (staff or adults)' })
  @IsInt({ message: 'withAccount must be an integer' })
  @Min(0)
  withAccount: number;
  @ApiProperty({ description: `the day (or instant) the count describes: ${DAY_OR_INSTANT}; not in the future`, example: '2026-07-20' })
  @IsDefined({ message: 'asOf is required' })
  @IsDayOrInstant()
  asOf: string;
}

export class HeadcountDto extends FigureBodyDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000_000, description: 'cadres, civil servants, public employees and workers of the unit' })
  @IsInt({ message: 'staff must be an integer' })
  @Min(1)
  @Max(10_000_000)
  staff: number;
}

export class AdoptionDto extends FigureBodyDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000_000, description: "the ward's adult residents" })
  @IsInt({ message: 'adults must be an integer' })
  @Min(1)
  @Max(10_000_000)
  adults: number;
}

export class PublishNoticeDto {
  @ApiProperty({ maxLength: 200 }) @NormaliseText() @IsString() @NotBlank() @MaxLength(200) @NoControlChars() @SingleLine() title: string;
  @ApiProperty({ maxLength: 5000 })
  @NormaliseText()
  @IsString()
  @NotBlank()
  @MaxLength(5000)
  @NoControlChars({ message: 'body must not contain control characters other than line breaks and tabs' })
  body: string;
  @ApiProperty({ enum: NOTICE_KINDS }) @IsIn(NOTICE_KINDS, { message: `kind must be one of ${NOTICE_KINDS.join(', ')}` }) kind: string;
  @ApiPropertyOptional({ default: false }) @OptionalField() @IsBoolean() urgent?: boolean;
  @ApiPropertyOptional({
    type: [String],
    items: { type: 'string', maxLength: 40 },
    maxItems: 100,
    description: 'the areas (GET /v1/areas) the notice is for; none: all the unit serves',
  })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  areaCodes?: string[];
}

export class ListNoticesQueryDto {
  @ApiPropertyOptional({ maxLength: 40, example: 'P_BACH_KHOA' })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'unit must be a unit code' })
  unit?: string;
  @ApiPropertyOptional({ description: `published at or after: ${DAY_OR_INSTANT} (a date: from the start of that day)`, example: '2026-12-01' })
  @OptionalField()
  @IsDayOrInstant()
  from?: string;
  @ApiPropertyOptional({
    description: `published before: ${DAY_OR_INSTANT} (a date-time: exclusive; a date: through the end of that day); not before from`,
    example: '2026-12-31',
  })
  @OptionalField()
  @IsDayOrInstant()
  to?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @OptionalField()
  @IntegerQuery()
  @IsIntBetween(1, 200)
  limit?: number;
  @ApiPropertyOptional({ ...CURSOR_SCHEMA, description: 'the X-Next-Cursor header of the previous page; without it, the first page' })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class PublicNoticesQueryDto {
  @ApiPropertyOptional({
    description: `only notices published after this instant (the last one seen), or from the start of this day: ${DAY_OR_INSTANT}`,
    example: '2026-12-01T09:15:00+07:00',
  })
  @OptionalField()
  @IsDayOrInstant()
  since?: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "only with since (the last notice's publishedAt): that notice's id, so that notices published in the same millisecond after it in the order are not skipped",
  })
  @OptionalField()
  @IsUUID('all', { message: "afterId must be a notice's id (a UUID)" })
  afterId?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @OptionalField()
  @IntegerQuery()
  @IsIntBetween(1, 200)
  limit?: number;
}

export class ChannelNoticesDto {
  @ApiProperty({ description: "true: the channel's status webhook also receives every notice" }) @IsBoolean() subscribed: boolean;
}
