import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE units (
        code varchar(40) PRIMARY KEY,
        name varchar(200) NOT NULL,
        kind varchar(20) NOT NULL CHECK (kind IN ('office','department','ward','police')),
        active boolean NOT NULL DEFAULT true,
        handler_id uuid NULL,
        leader_id uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE officers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username varchar(64) NOT NULL,
        full_name varchar(200) NOT NULL,
        role varchar(20) NOT NULL CHECK (role IN ('ADMIN','SUPERVISOR','LEADER','HANDLER','AUDITOR')),
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        password_hash text NULL,
        active boolean NOT NULL DEFAULT true,
        token_version integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX officers_username_uq ON officers (lower(username))`);
    await q.query(`CREATE INDEX officers_unit_idx ON officers (unit_code)`);
    await q.query(`ALTER TABLE units ADD CONSTRAINT units_handler_fk FOREIGN KEY (handler_id) REFERENCES officers(id)`);
    await q.query(`ALTER TABLE units ADD CONSTRAINT units_leader_fk FOREIGN KEY (leader_id) REFERENCES officers(id)`);
    await q.query(`
      CREATE TABLE areas (
        code varchar(40) PRIMARY KEY,
        name varchar(200) NOT NULL,
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        match text[] NOT NULL DEFAULT '{}'
      )`);
    await q.query(`
      CREATE TABLE categories (
        code varchar(40) PRIMARY KEY,
        name varchar(200) NOT NULL,
        description text NOT NULL DEFAULT '',
        accepted boolean NOT NULL DEFAULT true,
        refusal text NULL,
        active boolean NOT NULL DEFAULT true
      )`);
    await q.query(`
      CREATE TABLE routing_rules (
        id varchar(40) PRIMARY KEY,
        position integer NOT NULL UNIQUE,
        category_code varchar(40) NULL REFERENCES categories(code),
        area_codes text[] NULL,
        unit_code varchar(40) NULL REFERENCES units(code),
        to_ward boolean NOT NULL DEFAULT false,
        inform text[] NOT NULL DEFAULT '{}',
        active boolean NOT NULL DEFAULT true,
        CHECK (to_ward OR unit_code IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE channels (
        code varchar(40) PRIMARY KEY,
        name varchar(200) NOT NULL,
        active boolean NOT NULL DEFAULT true
      )`);
    await q.query(`
      CREATE TABLE cases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tracking_code varchar(11) NOT NULL UNIQUE,
        channel_code varchar(40) NOT NULL REFERENCES channels(code),
        external_id varchar(100) NULL,
        category_code varchar(40) NOT NULL REFERENCES categories(code),
        title varchar(200) NULL,
        description text NOT NULL,
        address varchar(500) NULL,
        ward_code varchar(40) NULL,
        area_code varchar(40) NULL REFERENCES areas(code),
        lat double precision NULL,
        lng double precision NULL,
        citizen_name varchar(200) NULL,
        citizen_phone varchar(30) NULL,
        citizen_email varchar(254) NULL,
        attachments jsonb NOT NULL DEFAULT '[]',
        status varchar(20) NOT NULL,
        severity varchar(10) NOT NULL DEFAULT 'normal',
        unit_code varchar(40) NULL REFERENCES units(code),
        handler_id uuid NULL REFERENCES officers(id),
        leader_id uuid NULL REFERENCES officers(id),
        routing_rule_id varchar(40) NULL,
        triage_reason varchar(40) NULL,
        answer text NULL,
        transfer_count integer NOT NULL DEFAULT 0,
        return_count integer NOT NULL DEFAULT 0,
        version integer NOT NULL DEFAULT 1,
        submitted_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        routed_at timestamptz NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT cases_channel_external_uq UNIQUE (channel_code, external_id)
      )`);
    await q.query(`CREATE INDEX cases_unit_status_idx ON cases (unit_code, status)`);
    await q.query(`CREATE INDEX cases_handler_idx ON cases (handler_id) WHERE handler_id IS NOT NULL`);
    await q.query(`CREATE INDEX cases_unrouted_idx ON cases (received_at) WHERE status = 'received'`);
    await q.query(`
      CREATE TABLE assignments (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id),
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        handler_id uuid NULL REFERENCES officers(id),
        leader_id uuid NULL REFERENCES officers(id),
        reason varchar(40) NOT NULL,
        rule_id varchar(40) NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz NULL
      )`);
    await q.query(`CREATE INDEX assignments_case_idx ON assignments (case_id, id)`);
    await q.query(`CREATE INDEX assignments_unit_idx ON assignments (unit_code, started_at)`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        case_id uuid NULL REFERENCES cases(id),
        actor varchar(100) NOT NULL,
        action varchar(40) NOT NULL,
        from_state varchar(20) NULL,
        to_state varchar(20) NULL,
        reason text NULL,
        data jsonb NOT NULL DEFAULT '{}',
        occurred_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_events_case_idx ON audit_events (case_id, id)`);
    // The outbox carries ids only; a trigger wakes the relay so delivery does not wait for a poll.
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        queue varchar(40) NOT NULL,
        job_name varchar(60) NOT NULL,
        job_id varchar(120) NOT NULL,
        payload jsonb NOT NULL,
        delay_ms integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('fr_outbox', ''); RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
    await q.query(`
      CREATE TABLE system_state (
        key varchar(60) PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of ['system_state', 'outbox', 'audit_events', 'assignments', 'cases', 'channels', 'routing_rules', 'categories', 'areas']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS outbox_notify()`);
    await q.query(`ALTER TABLE units DROP CONSTRAINT IF EXISTS units_handler_fk`);
    await q.query(`ALTER TABLE units DROP CONSTRAINT IF EXISTS units_leader_fk`);
    await q.query(`DROP TABLE IF EXISTS officers`);
    await q.query(`DROP TABLE IF EXISTS units`);
  }
}
