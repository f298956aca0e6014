import { Module } from '@nestjs/common';
import { RouteCase } from './route-case.usecase';
import { RoutingReconciler } from './routing-reconciler.service';

@Module({ providers: [RouteCase, RoutingReconciler], exports: [RouteCase, RoutingReconciler] })
export class RoutingModule {}
