import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectUnits, UnitFilter, UnitView } from './unit-view';

@Injectable()
export class ListUnits {
  constructor(private readonly ds: DataSource) {}

  /** The units active now (or at `at`), or every unit with `includeInactive`. */
  execute(filter: UnitFilter = {}): Promise<UnitView[]> {
    return selectUnits(this.ds, undefined, filter);
  }
}
