/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) as this engine speaks it. DOMAIN.md
 * maps it: service_code = category; service_request_id = tracking code; status open|closed with
 * the case's own state in status_notes; agency_responsible = the unit's name; expected_datetime =
 * the resolve deadline. Field names are the specification's.
 */
export const GEOREPORT_SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';
/** When this endpoint's behaviour last changed (discovery's changeset). */
export const GEOREPORT_CHANGESET = '2026-12-03T00:00:00Z';
/** Servers may cap the requests one query returns; the specification's examples use 1000. */
export const MAX_REQUESTS_PER_QUERY = 1000;
/** A query's date range may not span more than 90 days; without dates it covers the last 90. */
export const MAX_QUERY_SPAN_DAYS = 90;
/** The specification's limit for a request's description. */
export const MAX_DESCRIPTION_CHARS = 4000;

export type GeoReportStatus = 'open' | 'closed';

export interface GeoReportService {
  service_code: string;
  service_name: string;
  description: string;
  /** True: every service has attributes (see the service definition). */
  metadata: boolean;
  /** A request gets its service_request_id at once. */
  type: 'realtime';
}

export interface GeoReportAttributeValue {
  key: string;
  name: string;
}

export interface GeoReportAttribute {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string;
  order: number;
  description: string;
  values: GeoReportAttributeValue[];
}

export interface GeoReportServiceDefinition {
  service_code: string;
  attributes: GeoReportAttribute[];
}

/** A service request as anyone may read it: no contact details, none of the citizen's own text. */
export interface GeoReportRequest {
  service_request_id: string;
  status: GeoReportStatus;
  status_notes: string;
  service_name: string;
  service_code: string;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

export interface GeoReportCreated {
  service_request_id: string;
  /** Resolves to the service_request_id at tokens/{token}; the case's id. */
  token: string;
  service_notice: string | null;
  account_id: string | null;
}

export interface GeoReportToken {
  service_request_id: string;
  token: string;
}

/** The attributes every service takes (attribute[code] in a POST), beside the specification's own fields. */
export const ATTRIBUTE = {
  wardCode: 'ward_code',
  externalId: 'external_id',
  title: 'title',
} as const;
export const ATTRIBUTE_CODES: readonly string[] = Object.values(ATTRIBUTE);

/** Only `closed` is closed: a resolved case can still be reopened by the citizen's rating. */
export function geoReportStatus(caseStatus: string): GeoReportStatus {
  return caseStatus === 'closed' ? 'closed' : 'open';
}

/** W3C date-times as the specification shows them: to the second, with an offset. */
export function w3cDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
