import { Module } from '@nestjs/common';
import { CasesModule } from '@fr/cases';
import { loggingModule } from '@fr/config';
import { DatabaseModule } from '@fr/persistence';
import { OutboxRelay, QueueModule } from '@fr/queue';
import { RoutingModule } from '@fr/routing';
import { SlaModule } from '@fr/sla';
import { Maintenance } from './maintenance.service';
import { CaseEventsProcessor } from './processors/case-events.processor';
import { RoutingProcessor } from './processors/routing.processor';

/** Processors, the outbox relay and the reconcilers. AppConfigModule is provided by whoever boots it. */
@Module({
  imports: [loggingModule(), DatabaseModule.forRoot(), QueueModule.forRoot(), SlaModule, RoutingModule, CasesModule],
  providers: [OutboxRelay, RoutingProcessor, CaseEventsProcessor, Maintenance],
})
export class WorkerModule {}
