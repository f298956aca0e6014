import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsString, ValidateNested, ValidationArguments } from 'class-validator';
import { MaxLength } from '../common/text.decorators';
import { CASE_STATES } from '@fr/domain';
import { CitizenDto, FeedbackStatusDto, SubmitFeedbackDto } from '../intake/feedback.dto';
import { CaseCitizenDto } from '../cases/case-view.dto';
import { OptionalField } from '../common/optional-field.decorator';
import { DESK_PHONE_QUERY_PATTERN, IsDeskPhone } from '../common/phone.decorators';

/**
 * The caller's contact as the operator types it. Its phone is held to the desk's rule, not a channel's: a
 * channel stores what its citizen typed, but a number the desk cannot read (too few or too many digits)
 * left the call unfindable by phone. (Redeclared, the phone's rule replaces CitizenDto's: class-validator
 * keeps a subclass's own validators of a property over its parent's.)
 */
export class HotlineCitizenDto extends CitizenDto {
  @ApiPropertyOptional({ maxLength: 20, example: '0912 345 678', description: "the caller's phone: 9 to 11 digits, a leading +84 read as 0" })
  @OptionalField()
  @IsString()
  @IsDeskPhone()
  declare phone?: string;
}

/** A call entered on a caller's behalf: the intake body, the caller's contact in `citizen`. */
export class HotlineFeedbackDto extends SubmitFeedbackDto {
  @ApiPropertyOptional({ type: HotlineCitizenDto })
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => HotlineCitizenDto)
  declare citizen?: HotlineCitizenDto;
}

export class CallerCasesQueryDto {
  @ApiProperty({
    maxLength: 30,
    pattern: DESK_PHONE_QUERY_PATTERN,
    example: '0912345678',
    description: "the caller's phone, as they say it: 9 to 11 digits (+84 read as 0); matched exactly after normalisation",
  })
  @IsString({ message: 'phone must be a string' })
  // Beyond 30 characters no number is left to normalise; the message is still the desk's rule, as for a number
  // of too many digits, not a bare length.
  @MaxLength(30, {
    message: (args: ValidationArguments) =>
      `phone must be a phone number of 9 to 11 digits (a leading +84 is read as 0); this is ${[...String(args.value)].length} characters`,
  })
  phone: string;
}

export class CallerCaseDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) status: string;
  @ApiProperty({ example: 'sidewalk_encroachment' }) category: string;
  @ApiProperty({ format: 'date-time' }) submittedAt: string;
}

export class HotlineCaseDto extends FeedbackStatusDto {
  @ApiProperty({ type: CaseCitizenDto, description: "the caller's contact: whole for the operator who entered the call, masked for any other" })
  citizen: CaseCitizenDto;
  @ApiProperty({ description: 'whether the caller (an operator) entered this call' }) enteredByMe: boolean;
}
