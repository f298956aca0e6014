import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { ESCALATION_LEVELS } from '@fr/sla';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

class PageQueryDto {
  @ApiPropertyOptional() @OptionalField() @IsString() @MaxLength(200) cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @OptionalField()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(100, { message: 'limit must not be greater than 100' })
  limit?: number;
}

export class ListNotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'only notifications not yet read' })
  @OptionalField()
  @Transform(toBoolean)
  @IsBoolean({ message: 'unread must be true or false' })
  unread?: boolean;
}

export class ListEscalationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ESCALATION_LEVELS })
  @OptionalField()
  @IsIn(ESCALATION_LEVELS as string[], { message: `level must be one of ${ESCALATION_LEVELS.join(', ')}` })
  level?: string;

  @ApiPropertyOptional({ description: 'true: the stage run that breached still goes on; false: it has ended' })
  @OptionalField()
  @Transform(toBoolean)
  @IsBoolean({ message: 'open must be true or false' })
  open?: boolean;

  @ApiPropertyOptional({ description: 'a unit code (supervisors and auditors)' })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'unit must be a unit code' })
  unit?: string;
}
