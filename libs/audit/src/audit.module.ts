import { Module } from '@nestjs/common';
import { AuditChainWalker } from './audit-chain-walker';
import { CheckpointStore } from './checkpoint-store';
import { VerifyAuditTrail } from './verify-audit-trail.usecase';
import { WriteAuditCheckpoint } from './write-audit-checkpoint.usecase';

const USE_CASES = [VerifyAuditTrail, WriteAuditCheckpoint];

/** Home Affairs' audits: the tamper-evident trail, unit metrics, case export, samples and reviews. */
@Module({ providers: [AuditChainWalker, CheckpointStore, ...USE_CASES], exports: USE_CASES })
export class AuditModule {}
