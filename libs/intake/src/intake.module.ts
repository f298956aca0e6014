import { Module } from '@nestjs/common';
import { SlaModule } from '@fr/sla';
import { Catalogue } from './catalogue.query';
import { GetFeedbackStatus } from './feedback-status.query';
import { SubmitFeedback } from './submit-feedback.usecase';

@Module({ imports: [SlaModule], providers: [SubmitFeedback, GetFeedbackStatus, Catalogue], exports: [SubmitFeedback, GetFeedbackStatus, Catalogue] })
export class IntakeModule {}
