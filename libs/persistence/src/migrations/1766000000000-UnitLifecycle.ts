import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Units and areas with a life: when they began and ended, which units succeed them, and the names an
 * address may use for them (old names stay: citizens keep writing them). An area that ended says
 * where its addresses went: one successor area for a merge, several with the streets or address
 * patterns that decide for a split. A reorganisation is a plan stored with its effective date; its
 * status is the guard that it is applied once.
 */
export class UnitLifecycle1766000000000 implements MigrationInterface {
  name = 'UnitLifecycle1766000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE units
        ADD COLUMN valid_from timestamptz NULL,
        ADD COLUMN valid_to timestamptz NULL,
        ADD COLUMN successors text[] NOT NULL DEFAULT '{}',
        ADD COLUMN aliases text[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      ALTER TABLE areas
        ADD COLUMN active boolean NOT NULL DEFAULT true,
        ADD COLUMN valid_from timestamptz NULL,
        ADD COLUMN valid_to timestamptz NULL,
        ADD COLUMN streets text[] NOT NULL DEFAULT '{}',
        ADD COLUMN successors jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`
      CREATE TABLE reorganisations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(300) NOT NULL,
        source varchar(200) NULL UNIQUE,
        effective_at timestamptz NOT NULL,
        plan jsonb NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'applied')),
        created_by varchar(80) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        applied_at timestamptz NULL,
        result jsonb NULL
      )`);
    await q.query(`CREATE INDEX reorganisations_due_idx ON reorganisations (effective_at) WHERE status = 'scheduled'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS reorganisations`);
    await q.query(`ALTER TABLE areas DROP COLUMN successors, DROP COLUMN streets, DROP COLUMN valid_to, DROP COLUMN valid_from, DROP COLUMN active`);
    await q.query(`ALTER TABLE units DROP COLUMN aliases, DROP COLUMN successors, DROP COLUMN valid_to, DROP COLUMN valid_from`);
  }
}
