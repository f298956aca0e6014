/**
 * Open cases written straight by SQL (generate_series), for the duplicate search at scale: spread
 * over a box of about 16 x 16 km around Hanoi's centre, across `categories`, received over the last
 * `days` days, each in its ward (given and placed) with an address key of the shape normaliseAddress gives. No routing, no events:
 * only what the candidate search reads. Used by the bench (BENCH_SCENARIOS=duplicates) and the
 * index test in test/duplicates.e2e-spec.ts.
 */
export const SEED_BOX = { minLat: 20.95, maxLat: 21.1, minLng: 105.75, maxLng: 105.9 } as const;

export async function seedOpenCases(
  query: (sql: string, params: unknown[]) => Promise<unknown>,
  opts: { count: number; categories: readonly string[]; wards: readonly string[]; days: number; channel?: string; prefix?: string },
): Promise<void> {
  const prefix = (opts.prefix ?? 'S').slice(0, 1);
  const chunk = 50_000;
  for (let from = 1; from <= opts.count; from += chunk) {
    const to = Math.min(opts.count, from + chunk - 1);
    await query(
      `INSERT INTO cases (tracking_code, channel_code, category_code, description, status, submitted_at, received_at,
                          lat, lng, ward_code, area_code, address_key)
       SELECT $1 || lpad(g::text, 10, '0'), $2, ($3::text[])[1 + g % cardinality($3::text[])], 'seeded open case', 'assigned', t, t,
              $5::float8 + random() * ($6::float8 - $5::float8), $7::float8 + random() * ($8::float8 - $7::float8),
              ($4::text[])[1 + g % cardinality($4::text[])], ($4::text[])[1 + g % cardinality($4::text[])], (g % 400)::text || ' pho ' || (g % 53)::text
         FROM generate_series($9::int, $10::int) g, LATERAL (SELECT now() - random() * make_interval(days => $11::int) - g * interval '0' AS t) r`,
      [prefix, opts.channel ?? 'ihanoi', opts.categories, opts.wards, SEED_BOX.minLat, SEED_BOX.maxLat, SEED_BOX.minLng, SEED_BOX.maxLng, from, to, opts.days],
    );
  }
  await query(`ANALYZE cases`, []);
}
