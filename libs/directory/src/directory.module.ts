import { Module } from '@nestjs/common';
import { SlaModule } from '@fr/sla';
import { CreateOfficer } from './create-officer.usecase';
import { DesignateUnitOfficers } from './designate-unit-officers.usecase';
import { ListOfficers } from './list-officers.query';
import { ListUnits } from './list-units.query';
import { ApplyReorganisation, PlanReorganisation } from './reorganisations.usecase';
import { GetUnitCoverage } from './unit-coverage.query';
import { UpdateOfficer } from './update-officer.usecase';

const USE_CASES = [CreateOfficer, UpdateOfficer, ListOfficers, ListUnits, DesignateUnitOfficers, GetUnitCoverage, PlanReorganisation, ApplyReorganisation];

/** Officers' accounts, units' designations and reorganisations, administered over the API. */
@Module({ imports: [SlaModule], providers: USE_CASES, exports: USE_CASES })
export class DirectoryModule {}
