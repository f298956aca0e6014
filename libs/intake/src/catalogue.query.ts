import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class Catalogue {
  constructor(private readonly ds: DataSource) {}

  categories(): Promise<{ code: string; name: string; description: string; accepted: boolean }[]> {
    return this.ds.query(`SELECT code, name, description, accepted FROM categories WHERE active ORDER BY code`);
  }

  areas(): Promise<{ code: string; name: string; unitCode: string }[]> {
    return this.ds.query(`SELECT code, name, unit_code AS "unitCode" FROM areas ORDER BY name`);
  }

  channels(): Promise<{ code: string; name: string }[]> {
    return this.ds.query(`SELECT code, name FROM channels WHERE active ORDER BY code`);
  }
}
