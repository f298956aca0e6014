import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OfficerRole } from '@fr/domain';
import { selectRows } from '@fr/persistence';
import { OFFICER_COLUMNS, OfficerRow, OfficerView, toOfficerView } from './officer-view';

export interface ListOfficersFilter {
  unitCode?: string;
  role?: OfficerRole;
  active?: boolean;
}

@Injectable()
export class ListOfficers {
  constructor(private readonly ds: DataSource) {}

  async execute(filter: ListOfficersFilter = {}): Promise<OfficerView[]> {
    const rows = await selectRows<OfficerRow>(
      this.ds,
      `SELECT ${OFFICER_COLUMNS} FROM officers
        WHERE ($1::varchar IS NULL OR unit_code = $1) AND ($2::varchar IS NULL OR role = $2) AND ($3::boolean IS NULL OR active = $3)
        ORDER BY unit_code, username`,
      [filter.unitCode ?? null, filter.role ?? null, filter.active ?? null],
    );
    return rows.map(toOfficerView);
  }
}
