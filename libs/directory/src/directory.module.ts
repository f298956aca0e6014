import { Module } from '@nestjs/common';
import { AppConfigModule } from '@fr/config';
import { SlaModule } from '@fr/sla';
import { OfficerAbsences } from './absences.query';
import { RecordAbsence } from './record-absence.usecase';
import { CreateOfficer } from './create-officer.usecase';
import { DesignateUnitOfficers } from './designate-unit-officers.usecase';
import { ListOfficers } from './list-officers.query';
import { ListUnits } from './list-units.query';
import { ApplyReorganisation, PlanReorganisation } from './reorganisations.usecase';
import { GetUnitCoverage } from './unit-coverage.query';
import { UpdateOfficer } from './update-officer.usecase';

const USE_CASES = [
  CreateOfficer,
  UpdateOfficer,
  ListOfficers,
  ListUnits,
  DesignateUnitOfficers,
  GetUnitCoverage,
  PlanReorganisation,
  ApplyReorganisation,
  RecordAbsence,
  OfficerAbsences,
];

/** Officers' accounts, units' designations and absences, and reorganisations, administered over the API. */
@Module({ imports: [AppConfigModule, SlaModule], providers: USE_CASES, exports: USE_CASES })
export class DirectoryModule {}
