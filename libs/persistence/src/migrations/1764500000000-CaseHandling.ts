import { MigrationInterface, QueryRunner } from 'typeorm';

export class CaseHandling1764500000000 implements MigrationInterface {
  name = 'CaseHandling1764500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cases
        ADD COLUMN acknowledged_at timestamptz NULL,
        ADD COLUMN resolved_at timestamptz NULL,
        ADD COLUMN closed_at timestamptz NULL,
        ADD COLUMN reopen_count integer NOT NULL DEFAULT 0,
        ADD COLUMN extension_count integer NOT NULL DEFAULT 0,
        ADD COLUMN resolution_attachments jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN rating smallint NULL CHECK (rating BETWEEN 1 AND 5),
        ADD COLUMN rating_comment text NULL,
        ADD COLUMN rated_at timestamptz NULL,
        ADD COLUMN resolve_from timestamptz NULL,
        ADD COLUMN stage varchar(10) NULL CHECK (stage IN ('receive','resolve')),
        ADD COLUMN stage_started_at timestamptz NULL,
        ADD COLUMN stage_minutes integer NULL,
        ADD COLUMN extension_minutes integer NOT NULL DEFAULT 0,
        ADD COLUMN due_at timestamptz NULL,
        ADD COLUMN warn_at timestamptz NULL`);
    // Officers' queues are read by unit, nearest deadline first; open cases without a deadline last.
    await q.query(`CREATE INDEX cases_unit_due_idx ON cases (unit_code, (COALESCE(due_at, 'infinity'::timestamptz)), id)`);
    await q.query(`CREATE INDEX cases_due_idx ON cases ((COALESCE(due_at, 'infinity'::timestamptz)), id)`);
    await q.query(`CREATE INDEX cases_resolved_idx ON cases (resolved_at) WHERE status = 'resolved'`);
    await q.query(`
      CREATE TABLE case_messages (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id),
        kind varchar(20) NOT NULL CHECK (kind IN ('info_request','info_reply','note')),
        author varchar(100) NOT NULL,
        body text NOT NULL,
        attachments jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX case_messages_case_idx ON case_messages (case_id, id)`);
    // The SLA clock stops while the case waits on the citizen; pauses are facts, so recomputing a
    // deadline never loses them.
    await q.query(`
      CREATE TABLE case_pauses (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id),
        stage varchar(10) NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz NULL,
        CHECK (ended_at IS NULL OR ended_at >= started_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX case_pauses_open_uq ON case_pauses (case_id) WHERE ended_at IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS case_pauses`);
    await q.query(`DROP TABLE IF EXISTS case_messages`);
    await q.query(`DROP INDEX IF EXISTS cases_unit_due_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_due_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_resolved_idx`);
    await q.query(`
      ALTER TABLE cases DROP COLUMN acknowledged_at, DROP COLUMN resolved_at, DROP COLUMN closed_at,
        DROP COLUMN reopen_count, DROP COLUMN extension_count, DROP COLUMN resolution_attachments,
        DROP COLUMN rating, DROP COLUMN rating_comment, DROP COLUMN rated_at, DROP COLUMN resolve_from, DROP COLUMN stage,
        DROP COLUMN stage_started_at, DROP COLUMN stage_minutes, DROP COLUMN extension_minutes,
        DROP COLUMN due_at, DROP COLUMN warn_at`);
  }
}
