import { Module } from '@nestjs/common';
import { AuditModule } from '@fr/audit';
import { BoardAlertsModule } from '@fr/board';
import { CasesModule } from '@fr/cases';
import { DirectoryModule } from '@fr/directory';
import { AppConfigModule, loggingModule } from '@fr/config';
import { DeliveriesReconciler, NotificationsModule } from '@fr/notifications';
import { MetricsModule } from '@fr/metrics';
import { DatabaseModule } from '@fr/persistence';
import { PrivacyModule } from '@fr/privacy';
import { OutboxRelay, QueueModule } from '@fr/queue';
import { RoutingModule } from '@fr/routing';
import { SlaEscalationModule, SlaModule } from '@fr/sla';
import { AuditSealerLoop } from './audit-sealer.loop';
import { WorkerHeartbeat } from './heartbeat.service';
import { Maintenance } from './maintenance.service';
import { WorkerMetricsServer } from './metrics-server';
import { CaseEventsProcessor } from './processors/case-events.processor';
import { DeliveriesProcessor } from './processors/deliveries.processor';
import { PrivacyProcessor, PrivacySweepSchedule } from './processors/privacy.processor';
import { RoutingProcessor } from './processors/routing.processor';
import { SlaTimerProcessor } from './processors/sla-timer.processor';

/** Processors, the outbox relay and the reconcilers. The configuration is handed to AppConfigModule.forRoot by whoever boots it. */
@Module({
  imports: [
    AppConfigModule,
    loggingModule(),
    DatabaseModule.forRoot(),
    QueueModule,
    SlaModule,
    SlaEscalationModule.register({ notify: NotificationsModule }),
    RoutingModule,
    CasesModule,
    DirectoryModule,
    NotificationsModule,
    AuditModule,
    BoardAlertsModule,
    PrivacyModule,
    MetricsModule,
  ],
  providers: [
    OutboxRelay,
    RoutingProcessor,
    CaseEventsProcessor,
    SlaTimerProcessor,
    DeliveriesProcessor,
    PrivacyProcessor,
    PrivacySweepSchedule,
    DeliveriesReconciler,
    AuditSealerLoop,
    Maintenance,
    WorkerMetricsServer,
    WorkerHeartbeat,
  ],
})
export class WorkerModule {}
