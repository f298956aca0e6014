import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { PrivacyModule } from '@fr/privacy';
import { SlaModule } from '@fr/sla';
import { ActOnCase } from './act-on-case.usecase';
import { ExpireActionKeys } from './action-keys';
import { AutoCloseResolved } from './auto-close.service';
import { CalendarYearsLoaded } from './calendar-years-loaded';
import { CaseQueries } from './case-queries';
import { CitizenActions } from './citizen-actions.usecase';
import { MergedGroupsReconciler } from './merged-groups.reconciler';
import { RecomputeDeadlines } from './recompute-deadlines.usecase';

@Module({
  imports: [AppConfigModule, SlaModule, PrivacyModule],
  providers: [ActOnCase, CaseQueries, CitizenActions, AutoCloseResolved, MergedGroupsReconciler, RecomputeDeadlines, CalendarYearsLoaded, ExpireActionKeys],
  exports: [ActOnCase, CaseQueries, CitizenActions, AutoCloseResolved, MergedGroupsReconciler, RecomputeDeadlines, CalendarYearsLoaded, ExpireActionKeys],
})
export class CasesModule {}
