import { Global, Module } from '@nestjs/common';
import { CalendarStore } from './calendar-store';
import { Clock } from './clock';
import { FireEscalation } from './fire-escalation.usecase';
import { SlaReconciler } from './sla-reconciler.service';
import { SlaService } from './sla.service';

/** Deadlines and the clock: every process that sets or reads a deadline. */
@Global()
@Module({ providers: [SlaService, Clock, CalendarStore], exports: [SlaService, Clock, CalendarStore] })
export class SlaModule {}

/** Firing escalations and rebuilding their timers: the worker (needs QueueModule's registry). */
@Module({ providers: [FireEscalation, SlaReconciler], exports: [FireEscalation, SlaReconciler] })
export class SlaEscalationModule {}
