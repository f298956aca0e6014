import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@fr/domain';
import { selectRow, selectRows } from '@fr/persistence';
import { ATTRIBUTE, GeoReportService, GeoReportServiceDefinition } from './georeport';

interface CategoryRow {
  code: string;
  name: string;
  description: string;
}

/** The services (our categories a channel may send) and their definitions. */
@Injectable()
export class GeoReportServices {
  constructor(private readonly ds: DataSource) {}

  /** Categories that follow another legal track (complaints) are refused at intake: not offered. */
  async list(): Promise<GeoReportService[]> {
    const rows = await selectRows<CategoryRow>(this.ds, `SELECT code, name, description FROM categories WHERE active AND accepted ORDER BY code`);
    return rows.map((c) => ({ service_code: c.code, service_name: c.name, description: c.description, metadata: true, type: 'realtime' }));
  }

  async definition(serviceCode: string): Promise<GeoReportServiceDefinition> {
    const category = await selectRow<CategoryRow>(this.ds, `SELECT code, name, description FROM categories WHERE code = $1 AND active AND accepted`, [
      serviceCode,
    ]);
    if (!category) throw new NotFoundError('service_code', serviceCode);
    // The areas that exist now, as GET /v1/areas lists them: a ward dissolved by a reorganisation shared
    // its name with its successor and was offered twice. Its code is still taken and routed to the successor.
    const areas = await selectRows<{ code: string; name: string }>(this.ds, `SELECT code, name FROM areas WHERE active ORDER BY name, code`);
    return {
      service_code: category.code,
      attributes: [
        {
          variable: true,
          code: ATTRIBUTE.wardCode,
          datatype: 'singlevaluelist',
          required: false,
          datatype_description: 'one of the values below (an area code)',
          order: 1,
          description: 'The ward where the problem is; without it the request is routed by its address.',
          values: areas.map((a) => ({ key: a.code, name: a.name })),
        },
        {
          variable: true,
          code: ATTRIBUTE.externalId,
          datatype: 'string',
          required: false,
          datatype_description: 'up to 100 characters',
          order: 2,
          description: 'Your own id for this request: the same id again from the same api_key returns the same request instead of a new one.',
          values: [],
        },
        {
          variable: true,
          code: ATTRIBUTE.title,
          datatype: 'string',
          required: false,
          datatype_description: 'up to 200 characters',
          order: 3,
          description: 'A short title for the request.',
          values: [],
        },
      ],
    };
  }
}
