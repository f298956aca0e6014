import { MigrationInterface, QueryRunner } from 'typeorm';

export class Escalations1764600000000 implements MigrationInterface {
  name = 'Escalations1764600000000';

  public async up(q: QueryRunner): Promise<void> {
    // One row per level reached by one run of a stage. A run is identified by (stage, stage_started_at):
    // a transfer, a return or a reopen starts a new run with a new start, whose levels are recorded
    // afresh. The deadline is deliberately not part of the key: a pause or an extension moves it within
    // the same run, and DOMAIN.md wants each level told once per case and stage, not once per deadline.
    // The unique key, not the timers, is what guarantees "at most once": duplicate or late timers and
    // the reconciler all INSERT ... ON CONFLICT DO NOTHING.
    await q.query(`
      CREATE TABLE escalations (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id),
        stage varchar(10) NOT NULL CHECK (stage IN ('receive','resolve')),
        stage_started_at timestamptz NOT NULL,
        level varchar(4) NOT NULL CHECK (level IN ('warn','1','2','3')),
        due_at timestamptz NOT NULL,
        fire_at timestamptz NOT NULL,
        fired_at timestamptz NOT NULL DEFAULT now(),
        unit_code varchar(40) NULL REFERENCES units(code),
        resolved_at timestamptz NULL,
        CONSTRAINT escalations_run_level_uq UNIQUE (case_id, stage, stage_started_at, level)
      )`);
    await q.query(`CREATE INDEX escalations_open_idx ON escalations (case_id) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX escalations_unit_idx ON escalations (unit_code, id)`);
    // An escalation stays open while the stage run it belongs to goes on; it closes when the case
    // leaves that run by any path (acknowledged, resolved, transferred, returned, reopened). A trigger
    // keeps this true for every writer of the stage columns, in the writer's own transaction.
    await q.query(`
      CREATE FUNCTION close_escalations() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE escalations SET resolved_at = now()
         WHERE case_id = NEW.id AND resolved_at IS NULL
           AND (NEW.stage IS NULL OR stage <> NEW.stage OR stage_started_at IS DISTINCT FROM NEW.stage_started_at);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER cases_close_escalations AFTER UPDATE OF stage, stage_started_at ON cases FOR EACH ROW
        WHEN (OLD.stage IS DISTINCT FROM NEW.stage OR OLD.stage_started_at IS DISTINCT FROM NEW.stage_started_at)
        EXECUTE FUNCTION close_escalations()`);
    // An officer's in-app inbox. Title and body name the case by tracking code, unit and deadline only:
    // never the citizen's name, contact or text.
    await q.query(`
      CREATE TABLE notifications (
        id bigserial PRIMARY KEY,
        officer_id uuid NOT NULL REFERENCES officers(id),
        case_id uuid NULL REFERENCES cases(id),
        escalation_id bigint NULL REFERENCES escalations(id),
        kind varchar(40) NOT NULL,
        title varchar(200) NOT NULL,
        body text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz NULL,
        CONSTRAINT notifications_escalation_officer_uq UNIQUE (escalation_id, officer_id)
      )`);
    await q.query(`CREATE INDEX notifications_officer_idx ON notifications (officer_id, id)`);
    await q.query(`CREATE INDEX notifications_unread_idx ON notifications (officer_id, id) WHERE read_at IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS notifications`);
    await q.query(`DROP TRIGGER IF EXISTS cases_close_escalations ON cases`);
    await q.query(`DROP FUNCTION IF EXISTS close_escalations()`);
    await q.query(`DROP TABLE IF EXISTS escalations`);
  }
}
