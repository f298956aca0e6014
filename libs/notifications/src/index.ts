export * from './address-policy';
export * from './deliveries';
export * from './webhooks.service';
export * from './notifications.module';
export * from './inbox.queries';
export * from './mark-notification-read.usecase';
export * from './escalation.queries';
export * from './inbox.module';
