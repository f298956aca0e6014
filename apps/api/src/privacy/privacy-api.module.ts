import { Module } from '@nestjs/common';
import { AuthModule } from '@fr/auth';
import { AppConfigModule } from '@fr/config';
import { IntakeModule } from '@fr/intake';
import { PrivacyModule } from '@fr/privacy';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { PrivacyReadsController } from './privacy-reads.controller';
import { SubjectRequestsChannelController, SubjectRequestsOfficerController } from './subject-requests.controller';

/** Citizens' personal data: records of reads (officers) and subject requests (channels, supervisors). */
@Module({
  imports: [AppConfigModule, AuthModule, IntakeModule, PrivacyModule],
  controllers: [PrivacyReadsController, SubjectRequestsChannelController, SubjectRequestsOfficerController],
  providers: [ChannelKeyGuard],
})
export class PrivacyApiModule {}
