import { Global, Module } from '@nestjs/common';
import { ESCALATION_RECORDED } from '@fr/sla';
import { Deliveries } from './deliveries';
import { Webhooks } from './webhooks.service';

/** Global so the escalation use case (SLA) can reach the deliveries without importing this module. */
@Global()
@Module({
  providers: [Deliveries, Webhooks, { provide: ESCALATION_RECORDED, useExisting: Deliveries }],
  exports: [Deliveries, Webhooks, ESCALATION_RECORDED],
})
export class NotificationsModule {}
