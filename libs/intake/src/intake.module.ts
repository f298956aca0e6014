import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { SlaModule } from '@fr/sla';
import { Catalogue } from './catalogue.query';
import { GetFeedbackStatus } from './feedback-status.query';
import { HotlineQueries } from './hotline-queries';
import { SubmitFeedback } from './submit-feedback.usecase';

@Module({ imports: [AppConfigModule, SlaModule], providers: [SubmitFeedback, GetFeedbackStatus, Catalogue, HotlineQueries], exports: [SubmitFeedback, GetFeedbackStatus, Catalogue, HotlineQueries] })
export class IntakeModule {}
