import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { QueueModule } from '@fr/queue';
import { SlaModule } from '@fr/sla';
import { RouteCase } from './route-case.usecase';
import { RoutingReconciler } from './routing-reconciler.service';

@Module({ imports: [AppConfigModule, SlaModule, QueueModule], providers: [RouteCase, RoutingReconciler], exports: [RouteCase, RoutingReconciler] })
export class RoutingModule {}
