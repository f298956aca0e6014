import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsString } from 'class-validator';
import { OptionalField } from '../common/optional-field.decorator';
import { CASE_STATES } from '@fr/domain';
import { ESCALATION_LEVELS } from '@fr/sla';
import { CodeNameDto, STAGES } from '../cases/case-view.dto';
import { CURSOR_SCHEMA, IntegerQuery, IsIntBetween, Matches, MaxLength } from '../common/text.decorators';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

class PageQueryDto {
  @ApiPropertyOptional({ ...CURSOR_SCHEMA, description: 'nextCursor of the previous page' }) @OptionalField() @IsString() @MaxLength(200) cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @OptionalField()
  @IntegerQuery()
  @IsIntBetween(1, 100)
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

  @ApiPropertyOptional({ maxLength: 40, example: 'P_BACH_KHOA', description: 'a unit code (supervisors and auditors)' })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'unit must be a unit code' })
  unit?: string;
}

export class NotificationEscalationDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: STAGES }) stage: string;
  @ApiProperty({ enum: ESCALATION_LEVELS }) level: string;
}

export class NotificationDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'escalation' }) kind: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) caseId: string | null;
  @ApiProperty({ type: String, nullable: true }) trackingCode: string | null;
  @ApiProperty({ type: NotificationEscalationDto, nullable: true }) escalation: NotificationEscalationDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt: string | null;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationDto] }) items: NotificationDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page; null on the last page' }) nextCursor: string | null;
  @ApiProperty({ type: 'integer', description: "unread notifications in the caller's inbox" }) unread: number;
}

export class EscalationDto {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) caseStatus: string;
  @ApiProperty({ type: CodeNameDto, nullable: true, description: 'the unit that held the case when the level fired' }) unit: CodeNameDto | null;
  @ApiProperty({ enum: STAGES }) stage: string;
  @ApiProperty({ enum: ESCALATION_LEVELS }) level: string;
  @ApiProperty({ format: 'date-time' }) dueAt: string;
  @ApiProperty({ format: 'date-time' }) fireAt: string;
  @ApiProperty({ format: 'date-time' }) firedAt: string;
  @ApiProperty({ description: 'the stage run that breached still goes on' }) open: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt: string | null;
}

export class EscalationPageDto {
  @ApiProperty({ type: [EscalationDto] }) items: EscalationDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page; null on the last page' }) nextCursor: string | null;
}
