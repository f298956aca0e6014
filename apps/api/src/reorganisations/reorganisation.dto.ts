import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PlanEvaluation, ReorganisationPlan } from '@fr/domain';
import { ReorganisationView } from '@fr/directory';
import { SchemaRules } from '../common/schema-rules';
import { instantSchema, textPattern } from '../common/text.decorators';

const KINDS = ['office', 'department', 'ward', 'police'];

/*
 * What parsePlan (libs/domain/src/reorganisation.ts) takes, in the schemas: codes, one-line names that show
 * something, lists of at most 500 one-line texts (blank ones are dropped, not refused), the lists and
 * optional codes that may be left out or null. What one part of a plan says against another (a unit ending
 * twice, a street in two parts of a split, a successor that is the unit itself, a pattern that is no regular
 * expression or backtracks) is the operation's to refuse (400, each problem under its field).
 */
const CODE = { type: 'string' as const, pattern: '^[A-Za-z0-9_.-]{1,40}$' };
/** An optional code: empty or null is left out. */
const OPTIONAL_CODE = { type: String, nullable: true, pattern: '^[A-Za-z0-9_.-]{0,40}$' };
const NAME = { maxLength: 200, pattern: textPattern(['notBlank', 'singleLine']) };
const TEXTS = { type: 'array' as const, maxItems: 500, items: { type: 'string' as const, maxLength: 200, pattern: textPattern(['singleLine']) } };
const USERNAME = { pattern: '^[a-z0-9_.-]{3,64}$' };

export class PlanDesigneeDto {
  @ApiProperty({ example: 'p.hai.ba.trung.handler', ...USERNAME }) username: string;
  @ApiProperty({ example: 'Nguyễn Văn A', ...NAME }) fullName: string;
}

export class PlanAreaDto {
  @ApiProperty({ example: 'HAI_BA_TRUNG', ...CODE }) code: string;
  @ApiProperty({ example: 'Phường Hai Bà Trưng', ...NAME }) name: string;
  @ApiPropertyOptional({ ...TEXTS, description: 'names an address may use for it' }) match: string[];
  @ApiPropertyOptional({ ...TEXTS, description: 'its streets: an address naming one and no ward finds it' }) streets: string[];
}

export class PlanNewUnitDto {
  @ApiProperty({ example: 'P_HAI_BA_TRUNG', ...CODE }) code: string;
  @ApiProperty({ example: 'Phường Hai Bà Trưng', ...NAME }) name: string;
  @ApiProperty({ enum: KINDS }) kind: string;
  @ApiPropertyOptional(TEXTS) aliases: string[];
  @ApiPropertyOptional({ type: PlanDesigneeDto, nullable: true, description: 'created as a HANDLER of the unit and designated' })
  handler: PlanDesigneeDto | null;
  @ApiPropertyOptional({ type: PlanDesigneeDto, nullable: true, description: 'created as a LEADER of the unit and designated' }) leader: PlanDesigneeDto | null;
  @ApiPropertyOptional({ type: PlanAreaDto, nullable: true }) area: PlanAreaDto | null;
}

/** Blank names in the list are dropped: one at least must name a unit. */
@SchemaRules({ properties: { from: { contains: { type: 'string', pattern: textPattern(['notBlank']) } } } })
export class PlanMergeDto {
  @ApiProperty({ example: 'P_BACH_KHOA', ...CODE }) into: string;
  @ApiProperty({ ...TEXTS, minItems: 1, example: ['P_CAU_DEN'], description: 'the units merged into it (one at least)' }) from: string[];
}

/**
 * A list the rules below count, not null (the field takes null as left out); its items are the field's
 * own, and `items: {}` only keeps linters (Spectral's array-items) from calling the array untyped.
 */
const NON_EMPTY_LIST = { type: 'array', items: {}, minItems: 1 };

/** A part names the streets or the patterns of the addresses that go to it (the fallback is named apart). */
@SchemaRules({ anyOf: ['streets', 'patterns'].map((f) => ({ required: [f], properties: { [f]: NON_EMPTY_LIST } })) })
export class PlanSplitPartDto {
  @ApiProperty(CODE) unit: string;
  @ApiPropertyOptional({ ...TEXTS, description: 'streets whose addresses go to this unit' }) streets: string[];
  @ApiPropertyOptional({
    ...TEXTS,
    description: 'regular expressions over the address without diacritics, lower case (one that may backtrack for long is refused)',
  })
  patterns: string[];
}

export class PlanSplitDto {
  @ApiProperty(CODE) unit: string;
  @ApiProperty({ type: [PlanSplitPartDto], minItems: 2, maxItems: 500, description: 'two units at least (one successor is a merge)' }) into: PlanSplitPartDto[];
  @ApiPropertyOptional({ ...OPTIONAL_CODE, description: 'where an address naming none of the streets goes' }) fallback: string | null;
}

export class PlanRenameDto {
  @ApiProperty(CODE) unit: string;
  @ApiProperty(NAME) name: string;
  @ApiPropertyOptional(TEXTS) aliases: string[];
}

export class PlanDissolutionDto {
  @ApiProperty(CODE) unit: string;
  @ApiPropertyOptional({ ...OPTIONAL_CODE, description: 'who takes its open cases and routing rules' }) successor: string | null;
}

export class PlanRuleDto {
  @ApiProperty({ example: 'public-order-to-police', ...NAME }) id: string;
  @ApiProperty({ pattern: '^(@ward|[A-Za-z0-9_.-]{1,40})$', description: "a unit code, or @ward: the ward of the case's location" }) unit: string;
}

/** The plan, as config/reorganisations/*.yaml writes it (lists may be left out); it changes something. */
@SchemaRules({
  anyOf: [
    { required: ['triageUnit'], properties: { triageUnit: { type: 'string', minLength: 1 } } },
    ...['newUnits', 'merges', 'splits', 'renames', 'dissolutions', 'rules'].map((f) => ({
      required: [f],
      properties: { [f]: NON_EMPTY_LIST },
    })),
  ],
})
export class ReorganisationPlanDto {
  @ApiProperty({ example: 'Sắp xếp đơn vị hành chính cấp xã 2025', maxLength: 300, pattern: textPattern(['notBlank', 'singleLine']) }) name: string;
  @ApiProperty({ example: '2025-07-01T00:00:00+07:00', ...instantSchema() }) effectiveAt: string;
  @ApiPropertyOptional({ ...OPTIONAL_CODE, description: 'the new triage unit, when the old one ends' }) triageUnit: string | null;
  @ApiProperty({ type: [PlanNewUnitDto], required: false, maxItems: 500 }) newUnits: PlanNewUnitDto[];
  @ApiProperty({ type: [PlanMergeDto], required: false, maxItems: 500 }) merges: PlanMergeDto[];
  @ApiProperty({ type: [PlanSplitDto], required: false, maxItems: 500 }) splits: PlanSplitDto[];
  @ApiProperty({ type: [PlanRenameDto], required: false, maxItems: 500 }) renames: PlanRenameDto[];
  @ApiProperty({ type: [PlanDissolutionDto], required: false, maxItems: 500 }) dissolutions: PlanDissolutionDto[];
  @ApiProperty({ type: [PlanRuleDto], required: false, maxItems: 500, description: 'routing rules pointed at another unit' }) rules: PlanRuleDto[];

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
