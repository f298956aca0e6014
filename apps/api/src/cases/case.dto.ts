import { ApiProperty, ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsString, Max, Min, ValidateNested } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { CASE_STATES } from '@fr/domain';
import { SEVERITIES } from '@fr/sla';
import {
  BlankAsAbsent,
  IntegerQuery,
  IsCaseIdList,
  IsInstant,
  IsIntBetween,
  Matches,
  CURSOR_SCHEMA,
  MaxLength,
  NoControlChars,
  NormaliseText,
  NotBlank,
} from '../common/text.decorators';
import { AttachmentDto } from '../intake/feedback.dto';

export const ListCasesStatusQuery = () =>
  ApiQuery({
    name: 'status',
    required: false,
    style: 'form',
    explode: false,
    schema: { type: 'array', items: { type: 'string', enum: [...CASE_STATES] } },
    description: 'one or more states, comma-separated: status=assigned,in_progress (the parameter repeated works too)',
  });

export class ListCasesQueryDto {
  // Documented on the operation (ListCasesStatusQuery): a query array needs its serialisation said.
  @OptionalField()
  // Both forms, also mixed (status=assigned&status=in_progress,triage): each value is a comma list.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      ? ([] as string[])
          .concat(value as string | string[])
          .flatMap((v) => v.split(','))
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  )
  @IsArray()
  @IsIn(CASE_STATES, { each: true, message: `status must be among ${CASE_STATES.join(', ')}` })
  status?: string[];

  @ApiPropertyOptional({ maxLength: 40, example: 'P_BACH_KHOA' })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'unit must be a unit code' })
  unit?: string;

  @ApiPropertyOptional({ enum: ['me'], description: 'only the cases assigned to the caller' })
  @OptionalField()
  @IsIn(['me'], { message: "assignee must be 'me'" })
  assignee?: string;

  @ApiPropertyOptional({ description: 'only the cases past their deadline' })
  @OptionalField()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @ApiPropertyOptional({ format: 'date-time', description: 'only the cases due before this instant' }) @OptionalField() @IsInstant() dueBefore?: string;

  @ApiPropertyOptional({ ...CURSOR_SCHEMA, description: 'nextCursor of the previous page' }) @OptionalField() @IsString() @MaxLength(200) cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @OptionalField()
  @IntegerQuery()
  @IsIntBetween(1, 100)
  limit?: number;
}

const MAX_VERSION = 2_147_483_647;

const IsVersion = () =>
  IsIntBetween(
    1,
    MAX_VERSION,
    (args) =>
      `${args.property} must be a whole number from 1 to ${MAX_VERSION} (the version last read), got ${typeof args.value === 'string' ? `the text '${args.value.slice(0, 20)}'` : JSON.stringify(args.value)?.slice(0, 30)}`,
  );

/** One body for every action; each action requires its own fields (checked by the use case). */
export class CaseActionDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 2147483647, description: 'the version the caller last read; required except for note' })
  @OptionalField()
  // One rule, one message: with IsInt, Min and Max apart, "2" (a string) was told both that it must be
  // an integer and that it must not be less than 1. A version is a PostgreSQL integer; 9007199254740993
  // arrived as ...992 and was answered as a stale version.
  @IsVersion()
  expectedVersion?: number;

  @ApiPropertyOptional({ enum: SEVERITIES, description: 'acknowledge' }) @OptionalField() @IsIn(SEVERITIES) severity?: string;

  @ApiPropertyOptional({ maxLength: 5000, description: 'request-info: what the citizen is asked' })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @NotBlank()
  @MaxLength(5000)
  @NoControlChars()
  message?: string;

  @ApiPropertyOptional({ maxLength: 40, example: 'P_BACH_MAI', description: 'transfer, assign: the unit' })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/)
  unitCode?: string;

  @ApiPropertyOptional({ maxLength: 2000, description: 'transfer, return, extend' })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @NotBlank()
  @MaxLength(2000)
  @NoControlChars()
  reason?: string;

  @ApiPropertyOptional({ maxLength: 10000, description: 'resolve: the answer the citizen sees' })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @NotBlank()
  @MaxLength(10000)
  @NoControlChars()
  answer?: string;

  @ApiPropertyOptional({ type: [AttachmentDto], maxItems: 10, description: 'resolve' })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true, message: 'each attachment must be an object { url, kind }' })
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[];

  @ApiPropertyOptional({ format: 'date-time', description: 'extend: the new deadline (granted before the current one passes)' })
  @OptionalField()
  @IsInstant()
  until?: string;

  @ApiPropertyOptional({ maxLength: 5000, description: 'note' })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @NotBlank()
  @MaxLength(5000)
  @NoControlChars()
  text?: string;

  @ApiPropertyOptional({ maxLength: 2000, description: 'redirect-other-track: where the citizen should take the complaint or denunciation' })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @NotBlank()
  @MaxLength(2000)
  @NoControlChars()
  whereToGo?: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: 100,
    description: 'merge: the ids of the linked cases that join this original (one or more)',
  })
  @OptionalField()
  @IsCaseIdList(100)
  duplicateIds?: string[];
}

export class InfoReplyDto {
  @ApiProperty({ minLength: 1, maxLength: 5000, example: 'Quán nằm trước số nhà 25, mở từ 6 giờ sáng.' })
  @IsString()
  @NormaliseText()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(5000)
  @NoControlChars()
  message: string;

  @ApiPropertyOptional({ type: [AttachmentDto], maxItems: 10 })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true, message: 'each attachment must be an object { url, kind }' })
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[];
}

export class RatingDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 5, description: 'above the low-rating threshold closes the case; a low one within 7 days reopens it' })
  @IsInt({ message: 'score must be an integer from 1 to 5 (a JSON number, not text)' })
  @Min(1, { message: 'score must be from 1 to 5' })
  @Max(5, { message: 'score must be from 1 to 5' })
  score: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @OptionalField()
  @BlankAsAbsent()
  @IsString()
  @NormaliseText()
  @MaxLength(2000)
  @NoControlChars()
  comment?: string;
}
