import { MigrationInterface, QueryRunner } from 'typeorm';

export class OfficerAbsences1766110000000 implements MigrationInterface {
  name = 'OfficerAbsences1766110000000';

  public async up(q: QueryRunner): Promise<void> {
    // An officer's absence [starts_at, ends_at) and who covers: evaluated against the clock wherever
    // work is addressed (routing, escalations, queues), so it ends by itself. Cancelling keeps the row.
    await q.query(`
      CREATE TABLE officer_absences (
        id bigserial PRIMARY KEY,
        officer_id uuid NOT NULL REFERENCES officers(id),
        cover_id uuid NOT NULL REFERENCES officers(id),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        created_by uuid NOT NULL REFERENCES officers(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz NULL,
        CHECK (ends_at > starts_at),
        CHECK (cover_id <> officer_id)
      )`);
    await q.query(`CREATE INDEX officer_absences_officer_idx ON officer_absences (officer_id, starts_at, ends_at) WHERE cancelled_at IS NULL`);
    await q.query(`CREATE INDEX officer_absences_cover_idx ON officer_absences (cover_id, starts_at, ends_at) WHERE cancelled_at IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS officer_absences`);
  }
}
