import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Postgres bigint arrives as a string; ids of bigserial tables are kept as strings on purpose. */

@Entity('units')
export class UnitEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) code: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 20 }) kind: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ name: 'handler_id', type: 'uuid', nullable: true }) handlerId: string | null;
  @Column({ name: 'leader_id', type: 'uuid', nullable: true }) leaderId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('officers')
export class OfficerEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 64 }) username: string;
  @Column({ name: 'full_name', type: 'varchar', length: 200 }) fullName: string;
  @Column({ type: 'varchar', length: 20 }) role: string;
  @Column({ name: 'unit_code', type: 'varchar', length: 40 }) unitCode: string;
  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false }) passwordHash: string | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ name: 'token_version', type: 'integer', default: 0 }) tokenVersion: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('areas')
export class AreaEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) code: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'unit_code', type: 'varchar', length: 40 }) unitCode: string;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) match: string[];
}

@Entity('categories')
export class CategoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) code: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'text', default: '' }) description: string;
  @Column({ type: 'boolean', default: true }) accepted: boolean;
  @Column({ type: 'text', nullable: true }) refusal: string | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
}

@Entity('routing_rules')
export class RoutingRuleEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) id: string;
  @Column({ type: 'integer' }) position: number;
  @Column({ name: 'category_code', type: 'varchar', length: 40, nullable: true }) categoryCode: string | null;
  @Column({ name: 'area_codes', type: 'text', array: true, nullable: true }) areaCodes: string[] | null;
  @Column({ name: 'unit_code', type: 'varchar', length: 40, nullable: true }) unitCode: string | null;
  @Column({ name: 'to_ward', type: 'boolean', default: false }) toWard: boolean;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) inform: string[];
  @Column({ type: 'boolean', default: true }) active: boolean;
}

@Entity('channels')
export class ChannelEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) code: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
}

@Entity('cases')
export class CaseEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'tracking_code', type: 'varchar', length: 11 }) trackingCode: string;
  @Column({ name: 'channel_code', type: 'varchar', length: 40 }) channelCode: string;
  @Column({ name: 'external_id', type: 'varchar', length: 100, nullable: true }) externalId: string | null;
  @Column({ name: 'category_code', type: 'varchar', length: 40 }) categoryCode: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) title: string | null;
  @Column({ type: 'text' }) description: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) address: string | null;
  @Column({ name: 'ward_code', type: 'varchar', length: 40, nullable: true }) wardCode: string | null;
  @Column({ name: 'area_code', type: 'varchar', length: 40, nullable: true }) areaCode: string | null;
  @Column({ type: 'double precision', nullable: true }) lat: number | null;
  @Column({ type: 'double precision', nullable: true }) lng: number | null;
  @Column({ name: 'citizen_name', type: 'varchar', length: 200, nullable: true }) citizenName: string | null;
  @Column({ name: 'citizen_phone', type: 'varchar', length: 30, nullable: true }) citizenPhone: string | null;
  @Column({ name: 'citizen_email', type: 'varchar', length: 254, nullable: true }) citizenEmail: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'" }) attachments: { url: string; kind: string }[];
  @Column({ type: 'varchar', length: 20 }) status: string;
  @Column({ type: 'varchar', length: 10, default: 'normal' }) severity: string;
  @Column({ name: 'unit_code', type: 'varchar', length: 40, nullable: true }) unitCode: string | null;
  @Column({ name: 'handler_id', type: 'uuid', nullable: true }) handlerId: string | null;
  @Column({ name: 'leader_id', type: 'uuid', nullable: true }) leaderId: string | null;
  @Column({ name: 'routing_rule_id', type: 'varchar', length: 40, nullable: true }) routingRuleId: string | null;
  @Column({ name: 'triage_reason', type: 'varchar', length: 40, nullable: true }) triageReason: string | null;
  @Column({ type: 'text', nullable: true }) answer: string | null;
  @Column({ name: 'transfer_count', type: 'integer', default: 0 }) transferCount: number;
  @Column({ name: 'return_count', type: 'integer', default: 0 }) returnCount: number;
  @Column({ type: 'integer', default: 1 }) version: number;
  @Column({ name: 'submitted_at', type: 'timestamptz' }) submittedAt: Date;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt: Date;
  @Column({ name: 'routed_at', type: 'timestamptz', nullable: true }) routedAt: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('assignments')
export class AssignmentEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'case_id', type: 'uuid' }) caseId: string;
  @Column({ name: 'unit_code', type: 'varchar', length: 40 }) unitCode: string;
  @Column({ name: 'handler_id', type: 'uuid', nullable: true }) handlerId: string | null;
  @Column({ name: 'leader_id', type: 'uuid', nullable: true }) leaderId: string | null;
  @Column({ type: 'varchar', length: 40 }) reason: string;
  @Column({ name: 'rule_id', type: 'varchar', length: 40, nullable: true }) ruleId: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt: Date | null;
}

@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'case_id', type: 'uuid', nullable: true }) caseId: string | null;
  @Column({ type: 'varchar', length: 100 }) actor: string;
  @Column({ type: 'varchar', length: 40 }) action: string;
  @Column({ name: 'from_state', type: 'varchar', length: 20, nullable: true }) fromState: string | null;
  @Column({ name: 'to_state', type: 'varchar', length: 20, nullable: true }) toState: string | null;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) data: Record<string, unknown>;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt: Date;
}

@Entity('outbox')
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'varchar', length: 40 }) queue: string;
  @Column({ name: 'job_name', type: 'varchar', length: 60 }) jobName: string;
  @Column({ name: 'job_id', type: 'varchar', length: 120 }) jobId: string;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  @Column({ name: 'delay_ms', type: 'integer', default: 0 }) delayMs: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

export const ENTITIES = [
  UnitEntity,
  OfficerEntity,
  AreaEntity,
  CategoryEntity,
  RoutingRuleEntity,
  ChannelEntity,
  CaseEntity,
  AssignmentEntity,
  AuditEventEntity,
  OutboxEntity,
];
