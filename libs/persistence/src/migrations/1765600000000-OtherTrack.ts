import { MigrationInterface, QueryRunner } from 'typeorm';

export class OtherTrack1765600000000 implements MigrationInterface {
  name = 'OtherTrack1765600000000';

  public async up(q: QueryRunner): Promise<void> {
    // How a closed case ended when it was not by an answer: 'other_track' is a complaint or
    // denunciation found after intake (action redirect-other-track), counted apart from answered
    // cases; where_to_go is what the citizen is told about where to take it.
    await q.query(`
      ALTER TABLE cases
        ADD COLUMN closed_as varchar(20) NULL CHECK (closed_as IN ('other_track')),
        ADD COLUMN where_to_go text NULL`);
    await q.query(`CREATE INDEX cases_closed_as_idx ON cases (closed_as, closed_at) WHERE closed_as IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_closed_as_idx`);
    await q.query(`ALTER TABLE cases DROP COLUMN IF EXISTS where_to_go, DROP COLUMN IF EXISTS closed_as`);
  }
}
