import { ApiProperty } from '@nestjs/swagger';
import { CASE_STATES, OFFICER_ROLES, TriageReason } from '@fr/domain';
import { SEVERITIES } from '@fr/sla';
import { AttachmentDto } from '../intake/feedback.dto';

/** Why a case is in triage: routing's reasons (the compiler says when one is added), or a unit returned it. */
const TRIAGE_REASONS = [
  ...Object.keys({
    no_matching_rule: true,
    area_unknown: true,
    unit_without_handler: true,
    unit_inactive: true,
  } satisfies Record<TriageReason, true>),
  'returned',
];

export const STAGES = ['receive', 'resolve'] as const;

export class CodeNameDto {
  @ApiProperty({ example: 'P_BACH_KHOA' }) code: string;
  @ApiProperty({ example: 'Phường Bách Khoa' }) name: string;
}

export class CaseSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) status: string;
  @ApiProperty({ type: CodeNameDto, description: 'the category' }) category: CodeNameDto;
  @ApiProperty({ type: CodeNameDto, nullable: true, description: 'the unit that holds the case; null before routing' }) unit: CodeNameDto | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the handler the case is assigned to' }) handlerId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "the unit's leader for the case" }) leaderId: string | null;
  @ApiProperty({ enum: SEVERITIES }) severity: string;
  @ApiProperty({ type: String, nullable: true }) title: string | null;
  @ApiProperty({ enum: STAGES, nullable: true, description: 'the deadline running now: receive (acknowledge) or resolve' }) stage: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'the running deadline; null while the case waits on the citizen (its clock stands still)',
  })
  dueAt: string | null;
  @ApiProperty({ description: "past the stage's warning time, before its deadline" }) atRisk: boolean;
  @ApiProperty({ description: 'past its deadline; a case waiting on the citizen is overdue if its deadline had passed when the wait began' }) overdue: boolean;
  @ApiProperty({ type: 'integer', description: 'send it back as expectedVersion with the next action' }) version: number;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: 'integer' }) transferCount: number;
  @ApiProperty({ type: 'integer' }) returnCount: number;
  @ApiProperty({ type: 'integer' }) reopenCount: number;
  @ApiProperty({ type: 'integer' }) extensionCount: number;
}

export class CasePageDto {
  @ApiProperty({ type: [CaseSummaryDto] }) items: CaseSummaryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page; null on the last page' }) nextCursor: string | null;
}

export class CaseLocationDto {
  @ApiProperty({ type: String, nullable: true }) address: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'as the channel sent it' }) wardCode: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the area the case lies in: placed at intake as routing will find it, then the one routing found' })
  areaCode: string | null;
  @ApiProperty({ type: Number, nullable: true }) lat: number | null;
  @ApiProperty({ type: Number, nullable: true }) lng: number | null;
}

export class CaseCitizenDto {
  @ApiProperty({ type: String, nullable: true, example: 'Nguyễn V. A.' }) name: string | null;
  @ApiProperty({ type: String, nullable: true, example: '09******78' }) phone: string | null;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ description: "true unless the caller is a handler of the case's unit" }) masked: boolean;
}

export class EnteredByDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true, example: 'Nguyễn Thị Hà' }) name: string | null;
}

export class TimelineActorDto {
  @ApiProperty({ example: 'officer:4f0c…', description: 'officer:<id>, channel:<code> or system' }) ref: string;
  @ApiProperty({ type: String, nullable: true, description: "the officer's name" }) name: string | null;
  @ApiProperty({ enum: OFFICER_ROLES, nullable: true }) role: string | null;
}

export class TimelineEventDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) at: string | null;
  @ApiProperty({ type: TimelineActorDto }) actor: TimelineActorDto;
  @ApiProperty({ example: 'acknowledge' }) action: string;
  @ApiProperty({ enum: CASE_STATES, nullable: true }) from: string | null;
  @ApiProperty({ enum: CASE_STATES, nullable: true }) to: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "the action's details" }) data: Record<string, unknown>;
}

export class CaseMessageDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['info_request', 'info_reply', 'note'] }) kind: string;
  @ApiProperty({ example: 'officer:4f0c…' }) author: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: [AttachmentDto] }) attachments: AttachmentDto[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) at: string | null;
}

export class CaseDetailDto extends CaseSummaryDto {
  @ApiProperty({ example: 'ihanoi', description: 'the channel that brought the case in' }) channel: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: CaseLocationDto }) location: CaseLocationDto;
  @ApiProperty({ type: CaseCitizenDto }) citizen: CaseCitizenDto;
  @ApiProperty({ type: EnteredByDto, nullable: true, description: 'the hotline operator who entered the call; null for a case a channel sent' })
  enteredBy: EnteredByDto | null;
  @ApiProperty({ type: [AttachmentDto] }) attachments: AttachmentDto[];
  @ApiProperty({ type: String, nullable: true }) answer: string | null;
  @ApiProperty({ type: [AttachmentDto] }) resolutionAttachments: AttachmentDto[];
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 5, nullable: true }) rating: number | null;
  @ApiProperty({ type: String, nullable: true }) ratingComment: string | null;
  @ApiProperty({ enum: TRIAGE_REASONS, nullable: true }) triageReason: string | null;
  @ApiProperty({ type: String, nullable: true }) routingRuleId: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) submittedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) acknowledgedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ type: [TimelineEventDto] }) timeline: TimelineEventDto[];
  @ApiProperty({ type: [CaseMessageDto] }) messages: CaseMessageDto[];
  @ApiProperty({
    type: String,
    enum: ['other_track', 'duplicate'],
    nullable: true,
    description: "other_track: closed as a complaint or denunciation, outside the feedback statistics; duplicate: closed with its original's answer",
  })
  closedAs: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'where the citizen was told to take a case closed as another legal track' }) whereToGo:
    | string
    | null;
  @ApiProperty({
    type: () => DuplicateRefDto,
    nullable: true,
    description: 'the likely original this case is linked to (merged into, when its state is merged)',
  })
  duplicateOf: DuplicateRefDto | null;
  @ApiProperty({ type: () => [DuplicateRefDto], description: 'the cases linked to this one as duplicates, oldest first' })
  duplicates: DuplicateRefDto[];
}

/** A case of a duplicate group, named by id, tracking code and state only. */
export class DuplicateRefDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '7KM3Q-9X2AB' }) trackingCode: string;
  @ApiProperty({ enum: CASE_STATES }) status: string;
}

/** A transfer or return took the case out of the caller's unit: it answers where it went no more. */
export class MovedOutOfScopeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: [true] }) movedOutOfScope: true;
}
