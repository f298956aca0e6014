import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditModule, SealingGauges } from '@fr/audit';
import { AuthModule } from '@fr/auth';
import { AppConfigModule, loggingModule } from '@fr/config';
import { CaseGauges, CasesModule } from '@fr/cases';
import { MetricsModule } from '@fr/metrics';
import { DirectoryModule } from '@fr/directory';
import { IntakeModule } from '@fr/intake';
import { InboxModule, NotificationsModule } from '@fr/notifications';
import { CalendarGauges, SlaModule } from '@fr/sla';
import { CasesController } from './cases/cases.controller';
import { DatabaseModule } from '@fr/persistence';
import { OutboxAnnouncer, QueueGauges, QueueInspector } from '@fr/queue';
import { AuditsController } from './audits/audits.controller';
import { AuthController } from './auth/auth.controller';
import { HealthController } from './health/health.controller';
import { ChannelKeyGuard } from './intake/channel-key.guard';
import { IntakeController } from './intake/intake.controller';
import { EscalationsController } from './notifications/escalations.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { OfficersController } from './officers/officers.controller';
import { UnitsController } from './units/units.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { CalendarsController } from './calendars/calendars.controller';
import { Open311Module } from '@fr/open311';
import { Open311Controller } from './open311/open311.controller';
import { ComplianceApiModule } from './compliance/compliance-api.module';
import { ReorganisationsController } from './reorganisations/reorganisations.controller';
import { HotlineController } from './hotline/hotline.controller';
import { HotlineDeskGuard } from './hotline/hotline-desk.guard';
import { PrivacyApiModule } from './privacy/privacy-api.module';
import { MetricsController } from './metrics/metrics.controller';

/** The HTTP API. The configuration is handed to AppConfigModule.forRoot by whoever boots it (bootstrap.ts). */
/** How long an API request waits for a lock in PostgreSQL before it is answered 503 (see DatabaseModule below). */
export const API_LOCK_TIMEOUT_MS = 5000;

@Module({
  imports: [
    AppConfigModule,
    loggingModule(),
    // A request does not wait on a lock for longer than this: a table locked by a migration or a long
    // administrative transaction made every request hang for as long as it lasted, then the pool ran
    // out and /health said the database was down. The wait ends in 503 with Retry-After instead
    // (SQLSTATE 55P03, infrastructure-errors.ts); the engine's own lock waits last milliseconds.
    DatabaseModule.forRoot({ lockTimeoutMs: API_LOCK_TIMEOUT_MS }),
    TerminusModule.forRoot({ logger: false }),
    SlaModule,
    AuthModule,
    DirectoryModule,
    IntakeModule,
    CasesModule,
    NotificationsModule,
    InboxModule,
    AuditModule,
    Open311Module,
    ComplianceApiModule,
    PrivacyApiModule,
    MetricsModule,
  ],
  controllers: [
    IntakeController,
    CasesController,
    AuthController,
    OfficersController,
    UnitsController,
    WebhooksController,
    NotificationsController,
    EscalationsController,
    CalendarsController,
    HealthController,
    AuditsController,
    Open311Controller,
    ReorganisationsController,
    HotlineController,
    MetricsController,
  ],
  // The API writes outbox rows (intake, case actions) and runs no relay: it tells the workers' relays over Redis.
  // The state gauges are read here, on scrape of GET /metrics; the workers count the events they cause.
  providers: [ChannelKeyGuard, HotlineDeskGuard, OutboxAnnouncer, QueueInspector, QueueGauges, CaseGauges, SealingGauges, CalendarGauges],
})
export class ApiModule {}
