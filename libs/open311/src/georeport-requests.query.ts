import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { maskContactsInText, normaliseTrackingCode, NotFoundError, officeContactsReadable, publicMediaUrl, ValidationError } from '@fr/domain';
import { GROUP_CONTACTS_SQL, GROUP_NAMES_SQL, selectRow, selectRows } from '@fr/persistence';
import { GeoReportRequest, GeoReportToken, geoReportStatus, MAX_REQUESTS_PER_QUERY, w3cDateTime } from './georeport';
import { RequestFilter } from './request-filter';

interface RequestRow {
  tracking_code: string;
  status: string;
  category_code: string;
  category_name: string;
  unit_name: string | null;
  answer: string | null;
  stage: string | null;
  due_at: Date | null;
  submitted_at: Date;
  updated_at: Date;
  address: string | null;
  lat: number | null;
  lng: number | null;
  media_url: string | null;
  /** categories.public_location: false withholds address, coordinates and photo. */
  public_location: boolean;
  closed_as: string | null;
  where_to_go: string | null;
  /** A merged duplicate's original, followed there. */
  original_code: string | null;
  /** Read to mask them in the address and the answer; never shown. */
  citizen_name: string | null;
  group_names: string[];
  /** The group's phones and e-mails (its own among them), read only to mask them in where to go; never shown. */
  group_contacts: { phone: string | null; email: string | null }[];
}

// The first photo the citizen attached: other kinds (a recorded call, a document) may hold personal data.
const REQUEST_COLUMNS = `c.tracking_code, c.status, c.category_code, cat.name AS category_name, u.name AS unit_name, c.answer, c.stage,
  c.due_at, c.submitted_at, c.updated_at, c.address, c.lat, c.lng,
  (SELECT a->>'url' FROM jsonb_array_elements(c.attachments) a WHERE a->>'kind' = 'image' LIMIT 1) AS media_url,
  c.closed_as, c.where_to_go, (SELECT o.tracking_code FROM cases o WHERE o.id = c.duplicate_of AND c.status = 'merged') AS original_code, c.citizen_name, ${GROUP_NAMES_SQL} AS group_names, ${GROUP_CONTACTS_SQL} AS group_contacts, cat.public_location`;
const REQUEST_FROM = `cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Service requests as anyone may read them (GET needs no api_key in GeoReport v2), so what the
 * public status view omits is omitted here too: no contact details, not the citizen's title or
 * description, no notes or officers; phone numbers, e-mail addresses and the citizen's name in the
 * address, the answer and the photo's URL are masked as for any reader without contact rights.
 */
@Injectable()
export class GeoReportRequests {
  constructor(private readonly ds: DataSource) {}

  async list(filter: RequestFilter): Promise<GeoReportRequest[]> {
    if (filter.kind === 'ids') {
      const rows = await selectRows<RequestRow>(
        this.ds,
        `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE c.tracking_code = ANY($1::text[]) ORDER BY c.submitted_at DESC`,
        [filter.trackingCodes],
      );
      return rows.map(view);
    }
    if (filter.serviceCodes) {
      const known = await selectRows<{ code: string }>(this.ds, `SELECT code FROM categories WHERE code = ANY($1::text[])`, [filter.serviceCodes]);
      const unknown = filter.serviceCodes.filter((c) => !known.some((k) => k.code === c));
      if (unknown.length) {
        throw new ValidationError(`unknown service_code '${unknown[0].slice(0, 40)}'; services.json lists them`, ['service_code']);
      }
    }
    // requested_datetime is shown to the second: end_date takes the whole of its second, so the time a
    // request shows, given as end_date, finds it (12:03:51.428 was left out by end_date=12:03:51Z).
    const open = filter.statuses?.includes('open') ?? true;
    const closed = filter.statuses?.includes('closed') ?? true;
    const rows = await selectRows<RequestRow>(
      this.ds,
      `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM}
        WHERE c.submitted_at >= $1 AND c.submitted_at < date_trunc('second', $2::timestamptz) + interval '1 second'
          AND ($3::text[] IS NULL OR c.category_code = ANY($3::text[]))
          AND (($4 AND c.status <> 'closed') OR ($5 AND c.status = 'closed'))
        ORDER BY c.submitted_at DESC, c.tracking_code LIMIT $6`,
      [filter.from, filter.to, filter.serviceCodes, open, closed, MAX_REQUESTS_PER_QUERY],
    );
    return rows.map(view);
  }

  async get(serviceRequestId: string): Promise<GeoReportRequest> {
    const code = normaliseTrackingCode(serviceRequestId);
    const row = code ? await selectRow<RequestRow>(this.ds, `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE c.tracking_code = $1`, [code]) : undefined;
    if (!row) throw new NotFoundError('service request', serviceRequestId.slice(0, 40));
    return view(row);
  }

  /** The token a POST answered with is the case's id. */
  async token(token: string): Promise<GeoReportToken> {
    const row = UUID.test(token) ? await selectRow<{ tracking_code: string }>(this.ds, `SELECT tracking_code FROM cases WHERE id = $1`, [token]) : undefined;
    if (!row) throw new NotFoundError('token', token.slice(0, 40));
    return { service_request_id: row.tracking_code, token: token.toLowerCase() };
  }
}

function view(r: RequestRow): GeoReportRequest {
  const answered = r.status === 'resolved' || r.status === 'closed';
  const mask = (text: string | null) => maskContactsInText(text, [r.citizen_name, ...r.group_names]);
  return {
    service_request_id: r.tracking_code,
    status: geoReportStatus(r.status),
    // The case's own state, and once answered what was done; closed as another legal track, where to turn
    // (the office's telephone in it readable, as the citizen's own status view shows it).
    status_notes:
      r.closed_as === 'other_track' && r.where_to_go
        ? `${r.status}: ${maskContactsInText(r.where_to_go, [r.citizen_name, ...r.group_names], officeContactsReadable(...r.group_contacts))}`
        : answered && r.answer
          ? `${r.status}: ${mask(r.answer)}`
          : r.original_code
            ? `merged: into ${r.original_code}, which holds the problem's answer`
            : r.status,
    service_name: r.category_name,
    service_code: r.category_code,
    agency_responsible: r.unit_name,
    service_notice: null,
    requested_datetime: w3cDateTime(new Date(r.submitted_at)),
    updated_datetime: w3cDateTime(new Date(r.updated_at)),
    expected_datetime: r.stage === 'resolve' && r.due_at && !answered ? w3cDateTime(new Date(r.due_at)) : null,
    // A category that withholds where (public order: often the reporter's home) shows none of it.
    address: r.public_location ? mask(r.address) : null,
    lat: r.public_location ? r.lat : null,
    long: r.public_location ? r.lng : null,
    media_url: r.public_location ? publicMediaUrl(r.media_url, mask) : null,
  };
}
