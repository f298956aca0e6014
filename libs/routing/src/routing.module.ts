import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { QueueModule } from '@fr/queue';
import { SlaModule } from '@fr/sla';
import { RouteCase } from './route-case.usecase';
import { RoutingReconciler } from './routing-reconciler.service';

/** Routing alone, without the queues: the API routes at intake (SubmitFeedback) and adds no jobs. */
@Module({ imports: [AppConfigModule, SlaModule], providers: [RouteCase], exports: [RouteCase] })
export class RouteCaseModule {}

@Module({ imports: [AppConfigModule, SlaModule, QueueModule, RouteCaseModule], providers: [RoutingReconciler], exports: [RouteCaseModule, RoutingReconciler] })
export class RoutingModule {}
