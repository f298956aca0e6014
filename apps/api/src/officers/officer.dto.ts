import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsNotEmpty, IsString, IsUUID, MinLength, ValidateIf } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { given, SchemaRules } from '../common/schema-rules';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@fr/auth';
import { AbsenceView, OfficerView } from '@fr/directory';
import { OFFICER_ROLES, OfficerRole } from '@fr/domain';
import { IsDayOrInstant, Matches, MaxLength, NoControlChars, NormaliseText, NotBlank, SingleLine } from '../common/text.decorators';

const ROLE_MESSAGE = `role must be one of ${OFFICER_ROLES.join(', ')}`;
const UNIT_CODE = /^[A-Za-z0-9_.-]{1,40}$/;
/** What the password policy (libs/auth) refuses beside the lengths: no pattern says it, the description does. */
const PASSWORD_RULES =
  'at least 8 of its characters visible (spaces around it and invisible characters do not count); not one of the most common passwords, ' +
  'a character or short pattern repeated, nor containing the username (400 naming the rule)';
const EMAIL_DOC = { maxLength: 254, format: 'email', example: 'lanhdao.dongmac@hbt.gov.vn' } as const;
const EMAIL_MESSAGE = 'email must be an e-mail address such as ten.can.bo@hbt.gov.vn';
/** Addresses are pasted from letters and spreadsheets with spaces around them. */
const trimmedNfc = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFC').trim() : value);

export class CreateOfficerDto {
  @ApiProperty({ example: 'p.bach.khoa.handler2', description: 'case-insensitive, stored in lower case', minLength: 3, maxLength: 64 })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{3,64}$/, { message: 'username must be 3 to 64 unaccented Latin letters (a-z, A-Z), digits, dots, dashes or underscores' })
  username: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, format: 'password', description: PASSWORD_RULES })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password: string;

  @ApiProperty({ example: 'Nguyễn Văn An', maxLength: 200 })
  @IsString()
  @NormaliseText()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(200)
  @NoControlChars()
  @SingleLine()
  fullName: string;

  @ApiProperty({ enum: OFFICER_ROLES })
  @IsIn(OFFICER_ROLES, { message: ROLE_MESSAGE })
  role: OfficerRole;

  @ApiProperty({ example: 'P_BACH_KHOA', description: 'a unit code from GET /v1/units' })
  @IsString()
  @Matches(UNIT_CODE, { message: 'unitCode must be a unit code' })
  unitCode: string;

  @ApiPropertyOptional({ ...EMAIL_DOC, description: "where the officer's notices are e-mailed when FR_SMTP_URL is set; without it, the in-app inbox only" })
  @OptionalField()
  @IsString()
  @Transform(trimmedNfc)
  @MaxLength(254)
  @IsEmail({}, { message: EMAIL_MESSAGE })
  email?: string;
}

/** A change changes something: a body of nulls alone is nothing to update (email: null removes the address, a change). */
@SchemaRules({ anyOf: [...['fullName', 'role', 'unitCode', 'password', 'active'].map(given), { required: ['email'], properties: { email: {} } }] })
export class UpdateOfficerDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(200)
  @NoControlChars()
  @SingleLine()
  fullName?: string;

  @ApiPropertyOptional({ enum: OFFICER_ROLES, description: "changing it revokes the officer's tokens" })
  @OptionalField()
  @IsIn(OFFICER_ROLES, { message: ROLE_MESSAGE })
  role?: OfficerRole;

  @ApiPropertyOptional({ example: 'P_BACH_KHOA', description: "changing it revokes the officer's tokens" })
  @OptionalField()
  @IsString()
  @Matches(UNIT_CODE, { message: 'unitCode must be a unit code' })
  unitCode?: string;

  @ApiPropertyOptional({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    format: 'password',
    description: `revokes the officer's tokens; ${PASSWORD_RULES}`,
  })
  @OptionalField()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ description: 'false disables the account and revokes its tokens at once' })
  @OptionalField()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ ...EMAIL_DOC, type: String, nullable: true, description: 'a new address for e-mailed notices; null removes it' })
  // null has a meaning here (no e-mail), so not OptionalField, which reads null as absent.
  @ValidateIf((o: UpdateOfficerDto) => o.email !== undefined && o.email !== null)
  @IsString()
  @Transform(trimmedNfc)
  @MaxLength(254)
  @IsEmail({}, { message: EMAIL_MESSAGE })
  email?: string | null;
}

export class ListOfficersQueryDto {
  @ApiPropertyOptional({ example: 'P_BACH_KHOA' })
  @OptionalField()
  @IsString()
  @Matches(UNIT_CODE, { message: 'unit must be a unit code' })
  unit?: string;

  @ApiPropertyOptional({ enum: OFFICER_ROLES })
  @OptionalField()
  @IsIn(OFFICER_ROLES, { message: ROLE_MESSAGE })
  role?: OfficerRole;

  @ApiPropertyOptional({ type: Boolean })
  @OptionalField()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

export class OfficerDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() fullName: string;
  @ApiProperty({ enum: OFFICER_ROLES }) role: OfficerRole;
  @ApiProperty() unitCode: string;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: String, format: 'email', nullable: true, description: 'where notices are e-mailed; null: the in-app inbox only' }) email: string | null;

  static of(o: OfficerView): OfficerDto {
    return { id: o.id, username: o.username, fullName: o.fullName, role: o.role, unitCode: o.unitCode, active: o.active, email: o.email };
  }
}

export class RecordAbsenceDto {
  @ApiProperty({
    example: '2026-12-07T08:00:00+07:00',
    description: 'when the absence starts: an ISO 8601 date-time with its offset, or a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh: from its start)',
  })
  @IsDayOrInstant()
  from: string;

  @ApiProperty({
    example: '2026-12-12T00:00:00+07:00',
    description:
      'when it ends; it ends by itself then: an ISO 8601 date-time with its offset (exclusive), or a date (YYYY-MM-DD, a day in ' +
      'Asia/Ho_Chi_Minh: through its end, so from 2026-12-01 to 2026-12-05 is the whole of 1 to 5 December); after from, and at most 366 days after it',
  })
  // An absence to the year 9999 made the cover the officer for good; week dates (2026-W50) passed
  // IsISO8601 and read as no date at all. IsDayOrInstant holds both to real days and instants before 2100.
  @IsDayOrInstant()
  to: string;

  @ApiProperty({ format: 'uuid', description: 'an active officer of the same unit with the same role' })
  @IsUUID('all', { message: 'coverId must be an officer id (a UUID)' })
  coverId: string;
}

export class AbsenceCoverDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() fullName: string;
}

export class AbsenceDto {
  @ApiProperty({ example: '12' }) id: string;
  @ApiProperty({ format: 'uuid' }) officerId: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: AbsenceCoverDto }) cover: AbsenceCoverDto;
  @ApiProperty({ description: 'in force now: started, not ended, not cancelled' }) current: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) cancelledAt: string | null;

  static of(a: AbsenceView): AbsenceDto {
    return { ...a, cover: { ...a.cover } };
  }
}
