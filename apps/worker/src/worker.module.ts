import { Module } from '@nestjs/common';
import { loggingModule } from '@fr/config';
import { DatabaseModule } from '@fr/persistence';
import { OutboxRelay, QueueModule } from '@fr/queue';
import { RoutingModule } from '@fr/routing';
import { RoutingProcessor } from './processors/routing.processor';

/** Processors, the outbox relay and the reconcilers. AppConfigModule is provided by whoever boots it. */
@Module({
  imports: [loggingModule(), DatabaseModule.forRoot(), QueueModule.forRoot(), RoutingModule],
  providers: [OutboxRelay, RoutingProcessor],
})
export class WorkerModule {}
