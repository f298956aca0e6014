export * from './erase-contact-details';
export * from './erase-expired-contact-details.usecase';
export * from './retention-policy';
export * from './privacy.module';
export * from './contact-hash';
export * from './contact-reads';
export * from './subject-requests';
