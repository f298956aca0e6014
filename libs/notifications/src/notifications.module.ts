import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { MetricsModule } from '@fr/metrics';
import { ESCALATION_RECORDED, SlaModule } from '@fr/sla';
import { Deliveries } from './deliveries';
import { Webhooks } from './webhooks.service';

/**
 * Deliveries (webhooks, e-mail) and webhook subscriptions. The worker hands this module to
 * SlaEscalationModule.register({ notify }) so that firing escalations reaches the deliveries.
 */
@Module({
  imports: [AppConfigModule, SlaModule, MetricsModule],
  providers: [Deliveries, Webhooks, { provide: ESCALATION_RECORDED, useExisting: Deliveries }],
  exports: [Deliveries, Webhooks, ESCALATION_RECORDED],
})
export class NotificationsModule {}
