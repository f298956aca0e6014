import { Module } from '@nestjs/common';
import { Deliveries } from './deliveries';
import { Webhooks } from './webhooks.service';

@Module({ providers: [Deliveries, Webhooks], exports: [Deliveries, Webhooks] })
export class NotificationsModule {}
