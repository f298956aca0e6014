import { ApiProperty } from '@nestjs/swagger';
import { CodeNameDto } from '../cases/case-view.dto';
import { BoardEntryDto } from '../compliance/compliance.dto';
import { TARGET_KINDS } from '@fr/domain';
import { ReviewScoresDto } from './audit.dto';

export class SampleStratumDto {
  @ApiProperty({ example: 'P_BACH_KHOA' }) unitCode: string;
  @ApiProperty({ type: 'integer', description: 'closed cases of the unit in the period: the population drawn from' }) closed: number;
  @ApiProperty({ type: [String], format: 'uuid' }) caseIds: string[];
  @ApiProperty({ type: [String] }) trackingCodes: string[];
}

export class SampleDrawDto {
  @ApiProperty() seed: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: 'integer', description: 'cases per unit' }) size: number;
  @ApiProperty({ type: [SampleStratumDto] }) strata: SampleStratumDto[];
  @ApiProperty({ type: [String], format: 'uuid', description: "every stratum's cases" }) caseIds: string[];
}

export class ReviewRecordDto {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty({ description: 'the unit that answered the case' }) unitCode: string;
  @ApiProperty({ format: 'uuid' }) reviewerId: string;
  @ApiProperty({ type: ReviewScoresDto }) scores: ReviewScoresDto;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 8 }) total: number;
  @ApiProperty() comment: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ChainHeadDto {
  @ApiProperty() lastSeq: string;
  @ApiProperty() lastId: string;
  @ApiProperty() count: string;
  @ApiProperty({ type: String, nullable: true }) sealer: string | null;
}

export class ChainCheckpointDto {
  @ApiProperty() lastId: string;
  @ApiProperty() seq: string;
  @ApiProperty() count: string;
  @ApiProperty({ format: 'date-time' }) writtenAt: string;
  @ApiProperty({ description: 'whether this walk reached and compared the checkpoint' }) checked: boolean;
}

export class UnsealedBacklogDto {
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({ description: 'how long the oldest unsealed event has waited, in milliseconds' }) oldestAgeMs: number;
  @ApiProperty({ type: String, nullable: true }) oldestId: string | null;
  @ApiProperty({ description: 'past this wait the trail does not verify' }) boundSeconds: number;
}

export class TrailVerificationDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ type: 'integer', description: 'events checked' }) checked: number;
  @ApiProperty({ type: String, nullable: true }) firstBrokenEventId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'why the trail does not verify' }) reason: string | null;
  @ApiProperty() fromSeq: string;
  @ApiProperty() toSeq: string;
  @ApiProperty({ type: ChainHeadDto }) head: ChainHeadDto;
  @ApiProperty({ type: ChainCheckpointDto, nullable: true, description: 'the last checkpoint written outside the database' })
  checkpoint: ChainCheckpointDto | null;
  @ApiProperty({ type: UnsealedBacklogDto }) unsealed: UnsealedBacklogDto;
}

export class CoverageSummaryDto {
  @ApiProperty({ type: 'integer' }) units: number;
  @ApiProperty({ type: 'integer' }) withHandler: number;
  @ApiProperty({ type: 'integer' }) withLeader: number;
  @ApiProperty({ type: 'integer' }) complete: number;
}

export class DurationStatsDto {
  @ApiProperty({ type: Number, nullable: true }) median: number | null;
  @ApiProperty({ type: Number, nullable: true }) p90: number | null;
}

export class SatisfactionDto {
  @ApiProperty({ type: 'integer' }) ratings: number;
  @ApiProperty({ type: Number, nullable: true }) mean: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'share of ratings of 4 or 5, in percent' }) satisfiedShare: number | null;
}

export class OnTimeDto {
  @ApiProperty({
    type: 'integer',
    description: 'cases due for the unit in the period, each counted once: resolved by it, passed on late (passedOnLate), or open past its deadline at the end',
  })
  due: number;
  @ApiProperty({ type: 'integer', description: 'of the cases due, those resolved late, passed on late, or open past their deadline at the end' })
  late: number;
  @ApiProperty({ type: Number, nullable: true, description: 'late / due, in percent (the government formula: open past deadline + resolved past deadline)' })
  lateRate: number | null;
  @ApiProperty({ type: Number, nullable: true }) onTimeRate: number | null;
}

export class DesignationStateDto {
  @ApiProperty() handler: boolean;
  @ApiProperty() leader: boolean;
}

export class ReviewSummaryDto {
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({ type: Number, nullable: true }) addressesIssue: number | null;
  @ApiProperty({ type: Number, nullable: true }) evidence: number | null;
  @ApiProperty({ type: Number, nullable: true }) lawful: number | null;
  @ApiProperty({ type: Number, nullable: true }) politeClear: number | null;
  @ApiProperty({ type: Number, nullable: true, description: "mean of the four criteria's sum, 0..8" }) meanTotal: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'meanTotal as a share of the best score, in percent' }) qualityPercent: number | null;
}

export class UnitReportDto {
  @ApiProperty() unitCode: string;
  @ApiProperty() unitName: string;
  @ApiProperty({ enum: ['office', 'department', 'ward', 'police'] }) kind: string;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when the unit began (a reorganisation)' }) validFrom: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when the unit ended' }) validTo: string | null;
  @ApiProperty({ type: [String], description: 'lineage: the units whose work it took over' }) predecessors: string[];
  @ApiProperty({ type: [String], description: 'lineage: the units that took over its work' }) successors: string[];
  @ApiProperty({ type: 'integer' }) received: number;
  @ApiProperty({ type: 'integer' }) acknowledged: number;
  @ApiProperty({ type: 'integer' }) acknowledgedOnTime: number;
  @ApiProperty({ type: 'integer' }) resolved: number;
  @ApiProperty({ type: 'integer' }) resolvedOnTime: number;
  @ApiProperty({ type: 'integer' }) resolvedLate: number;
  @ApiProperty({ type: 'integer' }) open: number;
  @ApiProperty({ type: 'integer' }) openOverdue: number;
  @ApiProperty({ type: 'integer' }) openAtRisk: number;
  @ApiProperty({
    type: 'integer',
    description:
      'cases the unit transferred or returned to triage in the period after their stage deadline had passed: due and late for it (a hand-over does not take a late case out of the late rate)',
  })
  passedOnLate: number;
  @ApiProperty({ type: DurationStatsDto, description: 'working minutes from receipt to resolution' }) resolveWorkingMinutes: DurationStatsDto;
  @ApiProperty({ type: 'integer' }) transfersIn: number;
  @ApiProperty({ type: 'integer' }) transfersOut: number;
  @ApiProperty({ type: 'integer', description: 'cases taken over from an ended unit by a reorganisation (not misrouting)' }) reorganisedIn: number;
  @ApiProperty({ type: 'integer', description: 'cases handed to a successor by a reorganisation' }) reorganisedOut: number;
  @ApiProperty({ type: 'integer' }) returns: number;
  @ApiProperty({ type: 'integer' }) extensions: number;
  @ApiProperty({ type: 'integer' }) reopened: number;
  @ApiProperty({ type: 'integer', description: 'duplicates merged into an original: answered with it, counted apart from resolved cases' })
  mergedDuplicates: number;
  @ApiProperty({ type: SatisfactionDto }) satisfaction: SatisfactionDto;
  @ApiProperty({ type: OnTimeDto }) onTime: OnTimeDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    nullable: true,
    description: 'escalations reached by level (warn, 1, 2, 3); null where escalations are not recorded',
  })
  escalations: Record<string, number> | null;
  @ApiProperty({ type: DesignationStateDto, description: 'whether the unit has a designated handler and leader now' }) designation: DesignationStateDto;
  @ApiProperty({ type: ReviewSummaryDto }) reviews: ReviewSummaryDto;
  @ApiProperty({ type: 'integer', description: 'notices the unit published in the period' }) notices: number;
  @ApiProperty({ type: [BoardEntryDto], description: "the unit's standing against each active compliance target, at the end of the period" })
  targets: BoardEntryDto[];
}

export class ReportTargetDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: TARGET_KINDS }) kind: string;
  @ApiProperty() name: string;
}

export class LineageEntryDto {
  @ApiProperty({ example: 'P_CAU_DEN' }) from: string;
  @ApiProperty({ type: [String], example: ['P_BACH_KHOA'] }) to: string[];
  @ApiProperty({ format: 'date-time', description: 'when the work passed on' }) at: string;
}

export class UnitMetricsReportDto {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ format: 'date-time', description: 'when open, overdue and at-risk were evaluated: the end of the period, or now if sooner' })
  evaluatedAt: string;
  @ApiProperty({ type: CoverageSummaryDto }) coverage: CoverageSummaryDto;
  @ApiProperty({ type: [ReportTargetDto], description: "the active targets the units' `targets` and the CSV's target columns refer to" })
  targets: ReportTargetDto[];
  @ApiProperty({ type: [UnitReportDto] }) units: UnitReportDto[];
  @ApiProperty({ type: [LineageEntryDto], description: 'which ended units of the report feed which units (reorganisations)' }) lineage: LineageEntryDto[];
}

const instant = (description?: string) => ApiProperty({ type: String, format: 'date-time', nullable: true, description });

export class UnitCaseLineDto {
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() trackingCode: string;
  @ApiProperty() unitCode: string;
  @instant() receivedAt: string | null;
  @instant('the receive deadline') receiveDueAt: string | null;
  @instant() acknowledgedAt: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) acknowledgedOnTime: boolean | null;
  @instant() resolvedAt: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) resolvedOnTime: boolean | null;
  @ApiProperty({ type: Number, nullable: true }) resolveWorkingMinutes: number | null;
  @ApiProperty({ type: 'integer' }) transfersIn: number;
  @ApiProperty({ type: 'integer' }) transfersOut: number;
  @ApiProperty({ type: 'integer', description: 'cases taken over from an ended unit by a reorganisation (not misrouting)' }) reorganisedIn: number;
  @ApiProperty({ type: 'integer', description: 'cases handed to a successor by a reorganisation' }) reorganisedOut: number;
  @ApiProperty({ type: 'integer' }) returns: number;
  @ApiProperty({ description: 'transferred or returned by this unit in the period after its stage deadline had passed (due and late for it)' })
  passedOnLate: boolean;
  @ApiProperty({ type: 'integer' }) extensions: number;
  @ApiProperty() reopened: boolean;
  @ApiProperty({ description: 'merged into its original in the period' }) mergedDuplicate: boolean;
  @ApiProperty({ type: 'integer', nullable: true }) rating: number | null;
  @ApiProperty() open: boolean;
  @ApiProperty() overdue: boolean;
  @ApiProperty() atRisk: boolean;
  @instant() dueAt: string | null;
}

export class UnitCasesReportDto {
  @ApiProperty({ type: CodeNameDto }) unit: CodeNameDto;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ format: 'date-time' }) evaluatedAt: string;
  @ApiProperty({ type: [UnitCaseLineDto], description: "the cases behind the unit's numbers, one line each" }) items: UnitCaseLineDto[];
}
