import { Module } from '@nestjs/common';
import { BoardReadModule } from '@fr/board';
import { AppConfigModule } from '@fr/config';
import { ReadDatabaseModule } from '@fr/persistence';
import { SlaModule } from '@fr/sla';
import { AuditChainWalker } from './audit-chain-walker';
import { CaseFactsReader } from './case-facts.reader';
import { CheckpointStore } from './checkpoint-store';
import { DrawSample } from './draw-sample.usecase';
import { RecordReview } from './record-review.usecase';
import { SealAuditEvents } from './seal-audit-events.usecase';
import { ExportCases } from './export-cases.usecase';
import { GetUnitMetrics } from './get-unit-metrics.usecase';
import { ListUnitCases } from './list-unit-cases.usecase';
import { VerifyAuditTrail } from './verify-audit-trail.usecase';
import { WriteAuditCheckpoint } from './write-audit-checkpoint.usecase';
import { VerifyThreads } from './verify-threads';
import { UnitFactsUpdater } from './unit-facts.updater';

const USE_CASES = [
  VerifyAuditTrail,
  SealAuditEvents,
  WriteAuditCheckpoint,
  GetUnitMetrics,
  ListUnitCases,
  ExportCases,
  DrawSample,
  RecordReview,
  UnitFactsUpdater,
];

/** Home Affairs' audits: the tamper-evident trail, unit metrics, case export, samples and reviews. */
@Module({
  imports: [AppConfigModule, ReadDatabaseModule, SlaModule, BoardReadModule],
  providers: [AuditChainWalker, VerifyThreads, CheckpointStore, CaseFactsReader, ...USE_CASES],
  exports: USE_CASES,
})
export class AuditModule {}
