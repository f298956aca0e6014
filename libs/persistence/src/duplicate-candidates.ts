import { boundingBox } from '@fr/domain';
import { prepared, selectRows, Sql } from './sql';

/**
 * The open originals a report may duplicate, read through the two partial indexes of migrations
 * Duplicates1766150000000 and DuplicatesByArea1767540000000: the predicates below repeat those of the indexes word for word, which is
 * what lets the planner use them. Shared by routing (linking a new case) and intake (the channels'
 * nearby lookup), hence here beside the SQL helpers rather than in either.
 */
const OPEN_ORIGINAL = `status NOT IN ('resolved', 'merged', 'closed') AND duplicate_of IS NULL`;

export interface DuplicateSearch {
  category: string;
  point: { lat: number; lng: number } | null;
  radiusM: number;
  /** normaliseAddress(address); with areaCode, the second way two reports meet. */
  addressKey: string | null;
  /** The area the case lies in (intake places it, routing writes its own): however its ward was given. */
  areaCode: string | null;
  /** Received at or after this instant (the window of FR_DUPLICATE_WINDOW_DAYS). */
  since: Date;
  /** Only cases received before this case, ties broken by id: a group has one oldest original. */
  before?: { id: string };
  limit: number;
}

export interface DuplicateCandidateRow {
  id: string;
  tracking_code: string;
  status: string;
  category_code: string;
  received_at: Date;
  submitted_at: Date;
  unit_code: string | null;
  handler_id: string | null;
  /** Metres from the searched point; null when either has no coordinates (an address match). */
  distance_m: number | null;
}

/** Haversine in SQL, in metres, from the point in parameters $lat/$lng to the row's lat/lng. */
function distanceSql(lat: string, lng: string): string {
  return `(2 * 6371008.8 * asin(least(1, sqrt(
            power(sin(radians(lat - ${lat}) / 2), 2) +
            cos(radians(${lat})) * cos(radians(lat)) * power(sin(radians(lng - ${lng}) / 2), 2)))))`;
}

/**
 * Candidates oldest first, then nearest: the oldest open report of the problem is the original, so
 * cases routed at the same time by different workers still converge on one original.
 */
export function findDuplicateCandidates(db: Sql, s: DuplicateSearch): Promise<DuplicateCandidateRow[]> {
  const params: unknown[] = [s.category, s.since, s.point?.lat ?? null, s.point?.lng ?? null];
  const cols = `id, tracking_code, status, category_code, received_at, submitted_at, unit_code, handler_id,
                CASE WHEN $3::float8 IS NULL OR lat IS NULL OR lng IS NULL THEN NULL ELSE ${distanceSql('$3::float8', '$4::float8')} END AS distance_m`;
  const branches: string[] = [];
  if (s.point) {
    const box = boundingBox(s.point, s.radiusM);
    params.push(box.minLat, box.maxLat, box.minLng, box.maxLng, s.radiusM);
    const n = params.length;
    branches.push(`
      SELECT * FROM (
        SELECT ${cols} FROM cases
         WHERE category_code = $1 AND ${OPEN_ORIGINAL} AND lat IS NOT NULL AND lng IS NOT NULL
           AND lat BETWEEN $${n - 4} AND $${n - 3} AND lng BETWEEN $${n - 2} AND $${n - 1} AND received_at >= $2) near
       WHERE distance_m <= $${n}`);
  }
  if (s.addressKey && s.areaCode) {
    params.push(s.areaCode, s.addressKey);
    const n = params.length;
    branches.push(`
      SELECT ${cols} FROM cases
       WHERE category_code = $1 AND ${OPEN_ORIGINAL} AND address_key IS NOT NULL
         AND area_code = $${n - 1} AND address_key = $${n} AND received_at >= $2`);
  }
  if (branches.length === 0) return Promise.resolve([]);
  let before = '';
  if (s.before) {
    params.push(s.before.id);
    // Compared in SQL: received_at has microseconds, a JavaScript Date only milliseconds.
    before = `WHERE (received_at, id) < (SELECT received_at, id FROM cases WHERE id = $${params.length}::uuid)`;
  }
  params.push(s.limit);
  // UNION (not ALL): a case near the point and at the same address is one candidate. OFFSET 0 keeps
  // the `before` filter out of the branches: pushed down, its row comparison with a value known only
  // at run time looked selective to the planner, which then combined a scan of every case's
  // received_at with the index (70,000 rows read for 4 wanted, in the bench).
  // Prepared (sql.ts): routing runs this for nearly every case, and planning it cost seven times its
  // execution (2026-12-03, 2 cores, 81,200 cases, address branch: planned 0.23 ms, executed 0.03 ms).
  // Six texts at most (which branches, with or without `before`). The generic plan, checked with
  // force_generic_plan, is the one the predicates above are written for: each branch an index scan of
  // its partial index with category and box or ward and address as index conditions (planned 0.02 ms).
  return selectRows<DuplicateCandidateRow>(
    db,
    prepared(`SELECT * FROM (${branches.join(' UNION ')} OFFSET 0) c ${before}
      ORDER BY received_at, distance_m NULLS LAST, id LIMIT $${params.length}`),
    params,
  );
}

/** The open originals nearest a point, nearest first: what a channel shows before a citizen submits. */
export function findNearbyCases(db: Sql, s: Omit<DuplicateSearch, 'addressKey' | 'areaCode' | 'before' | 'point'> & { point: { lat: number; lng: number } }) {
  const box = boundingBox(s.point, s.radiusM);
  return selectRows<DuplicateCandidateRow>(
    db,
    `SELECT * FROM (
       SELECT id, tracking_code, status, category_code, received_at, submitted_at, unit_code, handler_id, ${distanceSql('$3::float8', '$4::float8')} AS distance_m
         FROM cases
        WHERE category_code = $1 AND ${OPEN_ORIGINAL} AND lat IS NOT NULL AND lng IS NOT NULL
          AND lat BETWEEN $5 AND $6 AND lng BETWEEN $7 AND $8 AND received_at >= $2) near
      WHERE distance_m <= $9 ORDER BY distance_m, received_at LIMIT $10`,
    [s.category, s.since, s.point.lat, s.point.lng, box.minLat, box.maxLat, box.minLng, box.maxLng, s.radiusM, s.limit],
  );
}
