import { ApiProperty } from '@nestjs/swagger';
import { IsUUID, ValidateIf } from 'class-validator';
import { DesigneeView, UnitAbsence, UnitCoverageGap, UnitView } from '@fr/directory';

const UNIT_KINDS = ['office', 'department', 'ward', 'police'];

export class DesignationDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'an active HANDLER of the unit, or null to clear' })
  @ValidateIf((o: DesignationDto) => o.handlerId !== null)
  @IsUUID('all', { message: 'handlerId must be an officer id (a UUID), or null to clear the designation' })
  handlerId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'an active LEADER of the unit, or null to clear' })
  @ValidateIf((o: DesignationDto) => o.leaderId !== null)
  @IsUUID('all', { message: 'leaderId must be an officer id (a UUID), or null to clear the designation' })
  leaderId: string | null;
}

export class DesigneeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() fullName: string;
  @ApiProperty() active: boolean;

  static of(d: DesigneeView | null): DesigneeDto | null {
    return d && { id: d.id, username: d.username, fullName: d.fullName, active: d.active };
  }
}

export class UnitDto {
  @ApiProperty({ example: 'P_BACH_KHOA' }) code: string;
  @ApiProperty({ example: 'Phường Bách Khoa' }) name: string;
  @ApiProperty({ enum: UNIT_KINDS }) kind: string;
  @ApiProperty({ description: 'whether the unit exists now (or at `at`)' }) active: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when it began; null: before the history the engine holds' }) validFrom:
    | string
    | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when it ended; null: it still exists' }) validTo: string | null;
  @ApiProperty({
    type: [String],
    example: ['P_HAI_BA_TRUNG'],
    description: 'the units that took over its work when it ended (a merge names one, a split several)',
  })
  successors: string[];
  @ApiProperty({ type: [String], description: 'the units whose work it took over' }) predecessors: string[];
  @ApiProperty({ type: [String], description: 'other names it goes by, old names included' }) aliases: string[];
  @ApiProperty({ type: DesigneeDto, nullable: true, description: 'designated handler (công chức đầu mối)' }) handler: DesigneeDto | null;
  @ApiProperty({ type: DesigneeDto, nullable: true, description: 'designated leader (lãnh đạo đầu mối)' }) leader: DesigneeDto | null;

  static of(u: UnitView): UnitDto {
    return {
      code: u.code,
      name: u.name,
      kind: u.kind,
      active: u.active,
      validFrom: u.validFrom?.toISOString() ?? null,
      validTo: u.validTo?.toISOString() ?? null,
      successors: u.successors,
      predecessors: u.predecessors,
      aliases: u.aliases,
      handler: DesigneeDto.of(u.handler),
      leader: DesigneeDto.of(u.leader),
    };
  }
}

export class DesignationResultDto {
  @ApiProperty({ type: UnitDto }) unit: UnitDto;
  @ApiProperty({ type: 'integer', description: 'open cases of the unit moved to the new designees' }) movedCases: number;
}

export class OfficerRefDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Nguyễn Thị Hà' }) fullName: string;
}

export class UnitAbsenceDto {
  @ApiProperty({ example: '12' }) absenceId: string;
  @ApiProperty({ type: OfficerRefDto, description: 'the officer who is away' }) officer: OfficerRefDto;
  @ApiProperty({ enum: ['handler', 'leader'], nullable: true, description: "the absent officer's designation in the unit, if any" })
  designation: 'handler' | 'leader' | null;
  @ApiProperty({ type: OfficerRefDto, description: 'who covers' }) cover: OfficerRefDto;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ description: 'in force now (false: to come)' }) current: boolean;

  static of(a: UnitAbsence): UnitAbsenceDto {
    return { ...a, officer: { ...a.officer }, cover: { ...a.cover } };
  }
}

export class CoverageGapDto {
  @ApiProperty({ example: 'P_BACH_KHOA' }) code: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: UNIT_KINDS }) kind: string;
  @ApiProperty({
    enum: ['handler', 'leader'],
    isArray: true,
    description: 'designations missing (none named, or the designee disabled); empty for a unit listed for its absences only',
  })
  missing: ('handler' | 'leader')[];
  @ApiProperty({ type: [UnitAbsenceDto], description: "absences of the unit's officers in force or to come, with their covers" })
  absences: UnitAbsenceDto[];

  static of(g: UnitCoverageGap): CoverageGapDto {
    return { code: g.code, name: g.name, kind: g.kind, missing: [...g.missing], absences: g.absences.map(UnitAbsenceDto.of) };
  }
}
