import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig, AppConfigModule, loadRetentionPolicy } from '@fr/config';
import { NotificationsModule } from '@fr/notifications';
import { SlaModule } from '@fr/sla';
import { ContactReads } from './contact-reads';
import { EraseExpiredContactDetails } from './erase-expired-contact-details.usecase';
import { RETENTION_POLICY } from './retention-policy';
import { SubjectRequests } from './subject-requests';

const policy = { provide: RETENTION_POLICY, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadRetentionPolicy(config.configDir) };

/** Citizens' personal data under Law 91/2025/QH15: retention, records of reads, subject requests. */
@Module({
  imports: [AppConfigModule, SlaModule, NotificationsModule],
  providers: [policy, EraseExpiredContactDetails, ContactReads, SubjectRequests],
  exports: [policy, EraseExpiredContactDetails, ContactReads, SubjectRequests],
})
export class PrivacyModule {}
