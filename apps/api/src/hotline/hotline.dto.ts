import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { CASE_STATES } from '@fr/domain';
import { FeedbackStatusDto } from '../intake/feedback.dto';
import { CaseCitizenDto } from '../cases/case-view.dto';

export class CallerCasesQueryDto {
  @ApiProperty({ maxLength: 30, example: '0912345678', description: "the caller's phone, as they say it; matched exactly after normalisation (+84 read as 0)" })
  @IsString({ message: 'phone must be a string' })
  @MaxLength(30, { message: 'phone must be at most 30 characters' })
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
