import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { PrivacyModule } from '@fr/privacy';
import { SlaModule } from '@fr/sla';
import { Catalogue } from './catalogue.query';
import { GetFeedbackStatus } from './feedback-status.query';
import { HotlineQueries } from './hotline-queries';
import { NearbyCases } from './nearby-cases.query';
import { SubmitFeedback } from './submit-feedback.usecase';

@Module({
  imports: [AppConfigModule, SlaModule, PrivacyModule],
  providers: [SubmitFeedback, GetFeedbackStatus, Catalogue, HotlineQueries, NearbyCases],
  exports: [SubmitFeedback, GetFeedbackStatus, Catalogue, HotlineQueries, NearbyCases],
})
export class IntakeModule {}
