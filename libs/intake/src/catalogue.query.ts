import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectRows } from '@fr/persistence';

export interface CategoryView {
  code: string;
  name: string;
  description: string;
  accepted: boolean;
}

export interface AreaView {
  code: string;
  name: string;
  unitCode: string;
}

export interface ChannelView {
  code: string;
  name: string;
}

@Injectable()
export class Catalogue {
  constructor(private readonly ds: DataSource) {}

  categories(): Promise<CategoryView[]> {
    return selectRows<CategoryView>(this.ds, `SELECT code, name, description, accepted FROM categories WHERE active ORDER BY code`);
  }

  areas(): Promise<AreaView[]> {
    // Wards that ended are not offered; a channel sending an old code is still understood (routing follows it to the successor).
    return selectRows<AreaView>(this.ds, `SELECT code, name, unit_code AS "unitCode" FROM areas WHERE active ORDER BY name`);
  }

  channels(): Promise<ChannelView[]> {
    return selectRows<ChannelView>(this.ds, `SELECT code, name FROM channels WHERE active ORDER BY code`);
  }
}
