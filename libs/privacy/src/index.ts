export * from './erase-contact-details';
export * from './erase-expired-contact-details.usecase';
export * from './retention-policy';
export * from './privacy.module';
