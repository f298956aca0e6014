import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { UnknownCodeError } from './submit-feedback.usecase';
import { findNearbyCases, selectRow } from '@fr/persistence';
import { Clock } from '@fr/sla';

/** What a channel may show of a nearby case: no personal data, no text, no unit. */
export interface NearbyCaseView {
  trackingCode: string;
  status: string;
  category: string;
  distanceM: number;
  submittedAt: string;
}

const DAY_MS = 86_400_000;
/** Enough for a map around a citizen; past that the channel should narrow the place. */
const NEARBY_LIMIT = 20;

/**
 * Open reports of a category around a point, nearest first, so a channel can show them before the
 * citizen submits (as FixMyStreet does): the same radius and window as the duplicate search.
 */
@Injectable()
export class NearbyCases {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(q: { lat: number; lng: number; category: string }): Promise<NearbyCaseView[]> {
    const known = await selectRow<{ code: string; public_location: boolean }>(
      this.ds,
      `SELECT code, public_location FROM categories WHERE code = $1 AND active`,
      [q.category],
    );
    if (!known) throw new UnknownCodeError('category', `category '${q.category}' is not a known category; GET /v1/categories lists them`);
    // A category that withholds where its reports were made (publicLocation: false) lists none: three distances
    // to the metre, from three points, pinned a reporter's home down. Routing still links them as duplicates.
    if (!known.public_location) return [];
    const { radiusM, windowDays } = this.config.duplicates;
    const rows = await findNearbyCases(this.ds, {
      category: q.category,
      point: { lat: q.lat, lng: q.lng },
      radiusM,
      since: new Date(this.clock.now().getTime() - windowDays * DAY_MS),
      limit: NEARBY_LIMIT,
    });
    return rows.map((r) => ({
      trackingCode: r.tracking_code,
      status: r.status,
      category: r.category_code,
      distanceM: Math.round(r.distance_m ?? 0),
      submittedAt: new Date(r.submitted_at).toISOString(),
    }));
  }
}
