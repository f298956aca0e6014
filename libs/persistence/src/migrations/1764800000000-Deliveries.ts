import { MigrationInterface, QueryRunner } from 'typeorm';

export class Deliveries1764800000000 implements MigrationInterface {
  name = 'Deliveries1764800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE officers ADD COLUMN email varchar(254) NULL`);
    await q.query(`ALTER TABLE channels ADD COLUMN webhook_url text NULL, ADD COLUMN webhook_secret text NULL`);
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        events text[] NOT NULL,
        secret text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_by uuid NULL REFERENCES officers(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per (channel of delivery, recipient, event): the unique key makes every delivery job
    // idempotent, and the row is where failures stay visible after the queue has forgotten them.
    await q.query(`
      CREATE TABLE deliveries (
        id bigserial PRIMARY KEY,
        kind varchar(10) NOT NULL CHECK (kind IN ('webhook','email','channel')),
        target varchar(100) NOT NULL,
        event_key varchar(120) NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text NULL,
        not_before timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz NULL,
        CONSTRAINT deliveries_uq UNIQUE (kind, target, event_key)
      )`);
    await q.query(`CREATE INDEX deliveries_pending_idx ON deliveries (created_at) WHERE status = 'pending'`);
    // Which citizen-visible audit events have been fanned out to deliveries: with it, a sweep finds
    // the events whose fan-out job Redis lost.
    await q.query(`CREATE TABLE case_event_fanouts (event_id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
    // Working calendars live in the database once loaded, so an administrator can replace a year
    // without a restart; config/calendars seeds the table on first use.
    await q.query(`
      CREATE TABLE calendars (
        scope varchar(40) NOT NULL DEFAULT '',
        year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        document jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by varchar(100) NOT NULL DEFAULT 'config',
        -- scope '' is the district's calendar; a unit code gives that unit its own (e.g. Saturday hours).
        PRIMARY KEY (scope, year)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS calendars`);
    await q.query(`DROP TABLE IF EXISTS case_event_fanouts`);
    await q.query(`DROP TABLE IF EXISTS deliveries`);
    await q.query(`DROP TABLE IF EXISTS webhooks`);
    await q.query(`ALTER TABLE channels DROP COLUMN webhook_url, DROP COLUMN webhook_secret`);
    await q.query(`ALTER TABLE officers DROP COLUMN email`);
  }
}
