import { DynamicModule, Module, Type } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { MetricsModule } from '@fr/metrics';
import { QueueModule } from '@fr/queue';
import { CalendarStore } from './calendar-store';
import { CalendarCoverage } from './calendar-coverage';
import { Clock } from './clock';
import { FireEscalation } from './fire-escalation.usecase';
import { SlaReconciler } from './sla-reconciler.service';
import { SlaService } from './sla.service';

/** Deadlines and the clock: every process that sets or reads a deadline imports it (one Clock per application). */
@Module({
  imports: [AppConfigModule],
  providers: [SlaService, Clock, CalendarStore, CalendarCoverage],
  exports: [SlaService, Clock, CalendarStore, CalendarCoverage],
})
export class SlaModule {}

/** Firing escalations and rebuilding their timers: the worker. */
@Module({})
export class SlaEscalationModule {
  /**
   * `notify`: the module that provides ESCALATION_RECORDED (the worker passes NotificationsModule,
   * whose deliveries add e-mail and webhooks to the inbox); without it only the inbox is written.
   * Passed in, not imported here: notifications depend on the SLA, not the other way round.
   */
  static register(opts: { notify?: Type | DynamicModule } = {}): DynamicModule {
    return {
      module: SlaEscalationModule,
      imports: [AppConfigModule, SlaModule, QueueModule, MetricsModule, ...(opts.notify ? [opts.notify] : [])],
      providers: [FireEscalation, SlaReconciler],
      exports: [FireEscalation, SlaReconciler],
    };
  }
}
