import { MigrationInterface, QueryRunner } from 'typeorm';

export class ComplianceBoard1765750000000 implements MigrationInterface {
  name = 'ComplianceBoard1765750000000';

  public async up(q: QueryRunner): Promise<void> {
    // The directive's dated targets. A dated target (designation, onboarding, adoption) has a deadline
    // and, for the two head counts, a threshold in percent; a notice cadence has a period in days and
    // the instant from which notices are counted. Units are chosen by kind, or listed by code.
    await q.query(`
      CREATE TABLE compliance_targets (
        id varchar(40) PRIMARY KEY,
        kind varchar(20) NOT NULL CHECK (kind IN ('designation','staff_onboarding','ward_adoption','notice_cadence')),
        name varchar(200) NOT NULL,
        due_at timestamptz NULL,
        starts_at timestamptz NULL,
        threshold_percent numeric(5,2) NULL CHECK (threshold_percent > 0 AND threshold_percent <= 100),
        every_days integer NULL CHECK (every_days BETWEEN 1 AND 365),
        at_risk_days integer NULL CHECK (at_risk_days BETWEEN 0 AND 365),
        unit_kinds text[] NOT NULL DEFAULT '{}',
        unit_codes text[] NULL,
        active boolean NOT NULL DEFAULT true,
        created_by varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind = 'notice_cadence' OR due_at IS NOT NULL),
        CHECK (kind <> 'notice_cadence' OR (every_days IS NOT NULL AND starts_at IS NOT NULL)),
        CHECK (kind NOT IN ('staff_onboarding','ward_adoption') OR threshold_percent IS NOT NULL)
      )`);
    // Head counts as units report them: staff with accounts (onboarding) and adults with accounts
    // (a ward's residents). Every report is kept; the figure in force on a day is the latest as of it.
    await q.query(`
      CREATE TABLE unit_figures (
        id bigserial PRIMARY KEY,
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        kind varchar(20) NOT NULL CHECK (kind IN ('staff','adoption')),
        total integer NOT NULL CHECK (total > 0),
        with_account integer NOT NULL CHECK (with_account >= 0 AND with_account <= total),
        as_of timestamptz NOT NULL,
        source varchar(10) NOT NULL CHECK (source IN ('unit','import')),
        reported_by varchar(100) NOT NULL,
        reported_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX unit_figures_unit_idx ON unit_figures (unit_code, kind, as_of, id)`);
    // Notices to residents ("Truyền thông, cảnh báo"). They are public by nature and never edited, so
    // a delivery read later says what was published.
    await q.query(`
      CREATE TABLE notices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        title varchar(200) NOT NULL,
        body text NOT NULL,
        kind varchar(12) NOT NULL CHECK (kind IN ('warning','information')),
        urgent boolean NOT NULL DEFAULT false,
        area_codes text[] NOT NULL DEFAULT '{}',
        published_by uuid NOT NULL REFERENCES officers(id),
        published_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX notices_unit_idx ON notices (unit_code, published_at)`);
    await q.query(`CREATE INDEX notices_published_idx ON notices (published_at, id)`);
    // A channel chooses to receive notices at its status webhook.
    await q.query(`ALTER TABLE channels ADD COLUMN notices_subscribed boolean NOT NULL DEFAULT false`);
    // An officer's account counts as activated from its first log-in (the directive's focal points).
    await q.query(`ALTER TABLE officers ADD COLUMN first_login_at timestamptz NULL`);
    // One row per level reached by one missed deadline of a unit's target: the unique key, as for case
    // escalations, is what makes "told once" hold for sweeps run twice or by two workers.
    await q.query(`
      CREATE TABLE compliance_alerts (
        id bigserial PRIMARY KEY,
        target_id varchar(40) NOT NULL REFERENCES compliance_targets(id),
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        due_at timestamptz NOT NULL,
        level varchar(4) NOT NULL CHECK (level IN ('1','2','3')),
        fire_at timestamptz NOT NULL,
        fired_at timestamptz NOT NULL,
        CONSTRAINT compliance_alerts_uq UNIQUE (target_id, unit_code, due_at, level)
      )`);
    await q.query(`ALTER TABLE notifications ADD COLUMN compliance_alert_id bigint NULL REFERENCES compliance_alerts(id)`);
    await q.query(`ALTER TABLE notifications ADD CONSTRAINT notifications_compliance_officer_uq UNIQUE (compliance_alert_id, officer_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_compliance_officer_uq`);
    await q.query(`ALTER TABLE notifications DROP COLUMN IF EXISTS compliance_alert_id`);
    await q.query(`DROP TABLE IF EXISTS compliance_alerts`);
    await q.query(`ALTER TABLE officers DROP COLUMN IF EXISTS first_login_at`);
    await q.query(`ALTER TABLE channels DROP COLUMN IF EXISTS notices_subscribed`);
    await q.query(`DROP TABLE IF EXISTS notices`);
    await q.query(`DROP TABLE IF EXISTS unit_figures`);
    await q.query(`DROP TABLE IF EXISTS compliance_targets`);
  }
}
