import { InitialSchema1764400000000 } from './1764400000000-InitialSchema';
import { CaseHandling1764500000000 } from './1764500000000-CaseHandling';
import { Escalations1764600000000 } from './1764600000000-Escalations';
import { AuditTrail1764700000000 } from './1764700000000-AuditTrail';
import { AuditMetrics1764710000000 } from './1764710000000-AuditMetrics';
import { AuditReviews1764720000000 } from './1764720000000-AuditReviews';
import { Deliveries1764800000000 } from './1764800000000-Deliveries';
import { EscalationAudit1764900000000 } from './1764900000000-EscalationAudit';
import { SlaTimersOnTime1765000000000 } from './1765000000000-SlaTimersOnTime';
import { AuditSealing1765100000000 } from './1765100000000-AuditSealing';
import { OutboxWithoutNotify1765200000000 } from './1765200000000-OutboxWithoutNotify';
import { StandardWebhooks1765550000000 } from './1765550000000-StandardWebhooks';
import { Open311Requests1765560000000 } from './1765560000000-Open311Requests';
import { OtherTrack1765600000000 } from './1765600000000-OtherTrack';
import { ComplianceBoard1765750000000 } from './1765750000000-ComplianceBoard';
import { UnitLifecycle1766000000000 } from './1766000000000-UnitLifecycle';
import { HotlineOperators1766100000000 } from './1766100000000-HotlineOperators';
import { OfficerAbsences1766110000000 } from './1766110000000-OfficerAbsences';
import { Duplicates1766150000000 } from './1766150000000-Duplicates';
import { AuditTextsAside1766200000000 } from './1766200000000-AuditTextsAside';
import { ContactRetention1766210000000 } from './1766210000000-ContactRetention';
import { ContactReads1766220000000 } from './1766220000000-ContactReads';
import { SubjectRequests1766230000000 } from './1766230000000-SubjectRequests';
import { CalendarNotices1766400000000 } from './1766400000000-CalendarNotices';
import { AuditResolveIndex1766500000000 } from './1766500000000-AuditResolveIndex';
import { UnitFacts1766600000000 } from './1766600000000-UnitFacts';
import { CaseExportColumns1766700000000 } from './1766700000000-CaseExportColumns';
import { CaseEventReceivers1766750000000 } from './1766750000000-CaseEventReceivers';
import { UnitDayTotals1766800000000 } from './1766800000000-UnitDayTotals';
import { CasesOpenSpan1766800000001 } from './1766800000001-CasesOpenSpan';
import { EscalationsFiredIndex1766900000000 } from './1766900000000-EscalationsFiredIndex';
import { WebhookSubscribers1766900000001 } from './1766900000001-WebhookSubscribers';
import { UnitFactsPendingVersion1766910000000 } from './1766910000000-UnitFactsPendingVersion';
import { AuditSealForms1766920000000 } from './1766920000000-AuditSealForms';
import { CaseStateLogClockTime1766930000000 } from './1766930000000-CaseStateLogClockTime';
import { RoutingUnits1766950000000 } from './1766950000000-RoutingUnits';
import { RoutingPassPlans1766960000000 } from './1766960000000-RoutingPassPlans';
import { RoutingPassWrite1766970000000 } from './1766970000000-RoutingPassWrite';
import { RoutingCaseCandidates1766980000000 } from './1766980000000-RoutingCaseCandidates';
import { RoutingUnitsChecked1766990000000 } from './1766990000000-RoutingUnitsChecked';
import { RoutingReadsAfterLocks1767000000000 } from './1767000000000-RoutingReadsAfterLocks';
import { ErasedLookupKeys1767100000000 } from './1767100000000-ErasedLookupKeys';
import { CoversWhoQualify1767110000000 } from './1767110000000-CoversWhoQualify';
import { MergedAcrossUnitsFacts1767120000000 } from './1767120000000-MergedAcrossUnitsFacts';
import { AuditSampleCases1767200000000 } from './1767200000000-AuditSampleCases';
import { DeliveriesEventKey1767210000000 } from './1767210000000-DeliveriesEventKey';
import { CancelledReorganisations1767300000000 } from './1767300000000-CancelledReorganisations';
import { CalendarYearsToTell1767310000000 } from './1767310000000-CalendarYearsToTell';
import { PausedPastDue1767400000000 } from './1767400000000-PausedPastDue';
import { PrivacyRequestExternalId1767410000000 } from './1767410000000-PrivacyRequestExternalId';
import { CategoryPublicLocation1767420000000 } from './1767420000000-CategoryPublicLocation';
import { PrivacyRequestKey1767430000000 } from './1767430000000-PrivacyRequestKey';
import { PassedOnLate1767440000000 } from './1767440000000-PassedOnLate';
import { AbsentLeaderKept1767450000000 } from './1767450000000-AbsentLeaderKept';
import { PrivacyRequestEarlierPhoneHashes1767460000000 } from './1767460000000-PrivacyRequestEarlierPhoneHashes';
import { ErasedExternalIds1767470000000 } from './1767470000000-ErasedExternalIds';
import { PausedPastDueOrder1767480000000 } from './1767480000000-PausedPastDueOrder';
import { PrivacyRequestExternalKey1767490000000 } from './1767490000000-PrivacyRequestExternalKey';
import { CaseErasureLocks1767509875000 } from './1767509875000-CaseErasureLocks';
import { CalendarProvisionalNotices1767510040600 } from './1767510040600-CalendarProvisionalNotices';
import { KeylessPhoneCases1767515726000 } from './1767515726000-KeylessPhoneCases';
import { ErasureLocksOriginalsFirst1767520000000 } from './1767520000000-ErasureLocksOriginalsFirst';
import { ErasureLocksChainsInOrder1767580000000 } from './1767580000000-ErasureLocksChainsInOrder';
import { FanoutWatermarkRetired1767590000000 } from './1767590000000-FanoutWatermarkRetired';
import { DeletionWaitsForCase1767530000000 } from './1767530000000-DeletionWaitsForCase';
import { AddressKeysRefolded1767535000000 } from './1767535000000-AddressKeysRefolded';
import { DuplicatesByArea1767540000000 } from './1767540000000-DuplicatesByArea';
import { AlleyKeysRefolded1767560000000 } from './1767560000000-AlleyKeysRefolded';
import { CaseActionKeys1767570000000 } from './1767570000000-CaseActionKeys';
import { AddressTextKeysRefolded1767600000000 } from './1767600000000-AddressTextKeysRefolded';
import { FormerCitizenNames1767610000000 } from './1767610000000-FormerCitizenNames';

/** Every migration, in timestamp order (the order TypeORM runs them); listed so the compiled app needs no glob. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  CaseHandling1764500000000,
  Escalations1764600000000,
  AuditTrail1764700000000,
  AuditMetrics1764710000000,
  AuditReviews1764720000000,
  Deliveries1764800000000,
  EscalationAudit1764900000000,
  SlaTimersOnTime1765000000000,
  AuditSealing1765100000000,
  OutboxWithoutNotify1765200000000,
  StandardWebhooks1765550000000,
  Open311Requests1765560000000,
  OtherTrack1765600000000,
  ComplianceBoard1765750000000,
  UnitLifecycle1766000000000,
  HotlineOperators1766100000000,
  OfficerAbsences1766110000000,
  Duplicates1766150000000,
  AuditTextsAside1766200000000,
  ContactRetention1766210000000,
  ContactReads1766220000000,
  SubjectRequests1766230000000,
  CalendarNotices1766400000000,
  AuditResolveIndex1766500000000,
  UnitFacts1766600000000,
  CaseExportColumns1766700000000,
  CaseEventReceivers1766750000000,
  UnitDayTotals1766800000000,
  CasesOpenSpan1766800000001,
  EscalationsFiredIndex1766900000000,
  WebhookSubscribers1766900000001,
  UnitFactsPendingVersion1766910000000,
  AuditSealForms1766920000000,
  CaseStateLogClockTime1766930000000,
  RoutingUnits1766950000000,
  RoutingPassPlans1766960000000,
  RoutingPassWrite1766970000000,
  RoutingCaseCandidates1766980000000,
  RoutingUnitsChecked1766990000000,
  RoutingReadsAfterLocks1767000000000,
  ErasedLookupKeys1767100000000,
  CoversWhoQualify1767110000000,
  MergedAcrossUnitsFacts1767120000000,
  AuditSampleCases1767200000000,
  DeliveriesEventKey1767210000000,
  CancelledReorganisations1767300000000,
  CalendarYearsToTell1767310000000,
  PausedPastDue1767400000000,
  PrivacyRequestExternalId1767410000000,
  CategoryPublicLocation1767420000000,
  PrivacyRequestKey1767430000000,
  PassedOnLate1767440000000,
  AbsentLeaderKept1767450000000,
  PrivacyRequestEarlierPhoneHashes1767460000000,
  ErasedExternalIds1767470000000,
  PausedPastDueOrder1767480000000,
  PrivacyRequestExternalKey1767490000000,
  CaseErasureLocks1767509875000,
  CalendarProvisionalNotices1767510040600,
  KeylessPhoneCases1767515726000,
  ErasureLocksOriginalsFirst1767520000000,
  DeletionWaitsForCase1767530000000,
  AddressKeysRefolded1767535000000,
  DuplicatesByArea1767540000000,
  AlleyKeysRefolded1767560000000,
  CaseActionKeys1767570000000,
  ErasureLocksChainsInOrder1767580000000,
  FanoutWatermarkRetired1767590000000,
  AddressTextKeysRefolded1767600000000,
  FormerCitizenNames1767610000000,
];
