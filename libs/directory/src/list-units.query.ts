import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectUnits, UnitView } from './unit-view';

@Injectable()
export class ListUnits {
  constructor(private readonly ds: DataSource) {}

  execute(): Promise<UnitView[]> {
    return selectUnits(this.ds);
  }
}
