export * from './submit-feedback.usecase';
export * from './feedback-status.query';
export * from './catalogue.query';
export * from './intake.module';
export * from './hotline-queries';
export * from './nearby-cases.query';
