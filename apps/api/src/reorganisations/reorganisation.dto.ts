import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PlanEvaluation, ReorganisationPlan } from '@fr/domain';
import { ReorganisationView } from '@fr/directory';

const KINDS = ['office', 'department', 'ward', 'police'];

export class PlanDesigneeDto {
  @ApiProperty({ example: 'p.hai.ba.trung.handler' }) username: string;
  @ApiProperty({ example: 'Nguyễn Văn A' }) fullName: string;
}

export class PlanAreaDto {
  @ApiProperty({ example: 'HAI_BA_TRUNG' }) code: string;
  @ApiProperty({ example: 'Phường Hai Bà Trưng' }) name: string;
  @ApiProperty({ type: [String], description: 'names an address may use for it' }) match: string[];
  @ApiProperty({ type: [String], description: 'its streets: an address naming one and no ward finds it' }) streets: string[];
}

export class PlanNewUnitDto {
  @ApiProperty({ example: 'P_HAI_BA_TRUNG' }) code: string;
  @ApiProperty({ example: 'Phường Hai Bà Trưng' }) name: string;
  @ApiProperty({ enum: KINDS }) kind: string;
  @ApiProperty({ type: [String] }) aliases: string[];
  @ApiProperty({ type: PlanDesigneeDto, nullable: true, description: 'created as a HANDLER of the unit and designated' }) handler: PlanDesigneeDto | null;
  @ApiProperty({ type: PlanDesigneeDto, nullable: true, description: 'created as a LEADER of the unit and designated' }) leader: PlanDesigneeDto | null;
  @ApiProperty({ type: PlanAreaDto, nullable: true }) area: PlanAreaDto | null;
}

export class PlanMergeDto {
  @ApiProperty({ example: 'P_BACH_KHOA' }) into: string;
  @ApiProperty({ type: [String], example: ['P_CAU_DEN'] }) from: string[];
}

export class PlanSplitPartDto {
  @ApiProperty() unit: string;
  @ApiProperty({ type: [String], description: 'streets whose addresses go to this unit' }) streets: string[];
  @ApiProperty({ type: [String], description: 'regular expressions over the address without diacritics, lower case' }) patterns: string[];
}

export class PlanSplitDto {
  @ApiProperty() unit: string;
  @ApiProperty({ type: [PlanSplitPartDto] }) into: PlanSplitPartDto[];
  @ApiProperty({ type: String, nullable: true, description: 'where an address naming none of the streets goes' }) fallback: string | null;
}

export class PlanRenameDto {
  @ApiProperty() unit: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: [String] }) aliases: string[];
}

export class PlanDissolutionDto {
  @ApiProperty() unit: string;
  @ApiProperty({ type: String, nullable: true, description: 'who takes its open cases and routing rules' }) successor: string | null;
}

export class PlanRuleDto {
  @ApiProperty({ example: 'public-order-to-police' }) id: string;
  @ApiProperty() unit: string;
}

/** The plan, as config/reorganisations/*.yaml writes it (lists may be left out). */
export class ReorganisationPlanDto {
  @ApiProperty({ example: 'Sắp xếp đơn vị hành chính cấp xã 2025' }) name: string;
  @ApiProperty({ example: '2025-07-01T00:00:00+07:00' }) effectiveAt: string;
  @ApiProperty({ type: String, nullable: true, required: false, description: 'the new triage unit, when the old one ends' }) triageUnit: string | null;
  @ApiProperty({ type: [PlanNewUnitDto], required: false }) newUnits: PlanNewUnitDto[];
  @ApiProperty({ type: [PlanMergeDto], required: false }) merges: PlanMergeDto[];
  @ApiProperty({ type: [PlanSplitDto], required: false }) splits: PlanSplitDto[];
  @ApiProperty({ type: [PlanRenameDto], required: false }) renames: PlanRenameDto[];
  @ApiProperty({ type: [PlanDissolutionDto], required: false }) dissolutions: PlanDissolutionDto[];
  @ApiProperty({ type: [PlanRuleDto], required: false, description: 'routing rules pointed at another unit' }) rules: PlanRuleDto[];

  static of(p: ReorganisationPlan): ReorganisationPlanDto {
    return p as ReorganisationPlanDto;
  }
}

export class PlannedMoveDto {
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() trackingCode: string;
  @ApiProperty() status: string;
  @ApiProperty() from: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: the plan says nowhere (unresolved)' }) to: string | null;
  @ApiProperty({ enum: ['merge', 'split-street', 'split-fallback', 'dissolution', 'triage'] }) why: string;
}

export class EndingUnitDto {
  @ApiProperty() unit: string;
  @ApiProperty({ enum: ['merge', 'split', 'dissolution'] }) how: string;
  @ApiProperty({ type: [String] }) successors: string[];
}

export class DesignationGapDto {
  @ApiProperty() unitCode: string;
  @ApiProperty({ enum: ['handler', 'leader'], isArray: true }) missing: string[];
}

export class RuleChangeDto {
  @ApiProperty() id: string;
  @ApiProperty() from: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: it would point at a unit that no longer exists' }) to: string | null;
}

/** The dry run: where everything would go, and what the plan leaves unresolved. */
export class ReorganisationReportDto {
  @ApiProperty({ description: 'true when nothing is unresolved: the plan may be scheduled' }) ok: boolean;
  @ApiProperty({ type: [PlannedMoveDto], description: 'every open case of a unit that ends, and where it would go' }) moves: PlannedMoveDto[];
  @ApiProperty({ type: [EndingUnitDto] }) ending: EndingUnitDto[];
  @ApiProperty({ type: [DesignationGapDto], description: 'units that would take on work without a designated handler or leader' })
  designationGaps: DesignationGapDto[];
  @ApiProperty({ type: [RuleChangeDto], description: 'routing rules that follow a successor, or would point at a unit that ends' }) rules: RuleChangeDto[];
  @ApiProperty() triageUnit: string;
  @ApiProperty({ type: [String], description: 'everything that stops the plan' }) unresolved: string[];

  static of(e: PlanEvaluation): ReorganisationReportDto {
    return {
      ok: e.unresolved.length === 0,
      moves: e.moves.map((m) => ({ ...m })),
      ending: e.ending.map((x) => ({ ...x })),
      designationGaps: e.designationGaps.map((g) => ({ unitCode: g.unitCode, missing: [...g.missing] })),
      rules: e.rules.map((r) => ({ ...r })),
      triageUnit: e.triageUnit,
      unresolved: [...e.unresolved],
    };
  }
}

export class ReorganisationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) effectiveAt: string;
  @ApiProperty({ enum: ['scheduled', 'applied', 'cancelled'], description: 'cancelled: withdrawn before its date, never applied' }) status: string;
  @ApiProperty({ type: String, nullable: true, description: 'the file of config/reorganisations it came from; null when posted' }) source: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) appliedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when it was cancelled (the trail says by whom)' }) cancelledAt: string | null;
  @ApiProperty({ type: ReorganisationPlanDto }) plan: ReorganisationPlanDto;
  @ApiPropertyOptional({
    type: ReorganisationReportDto,
    nullable: true,
    description: 'what the application did; while scheduled, what stopped it at its date, if anything',
  })
  result: ReorganisationReportDto | null;

  static of(r: ReorganisationView): ReorganisationDto {
    return {
      id: r.id,
      name: r.name,
      effectiveAt: r.effectiveAt.toISOString(),
      status: r.status,
      source: r.source,
      createdAt: r.createdAt.toISOString(),
      appliedAt: r.appliedAt?.toISOString() ?? null,
      cancelledAt: r.cancelledAt?.toISOString() ?? null,
      plan: ReorganisationPlanDto.of(r.plan),
      result: r.result && ReorganisationReportDto.of(r.result),
    };
  }
}
