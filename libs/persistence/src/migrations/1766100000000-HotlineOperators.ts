import { MigrationInterface, QueryRunner } from 'typeorm';

export class HotlineOperators1766100000000 implements MigrationInterface {
  name = 'HotlineOperators1766100000000';

  public async up(q: QueryRunner): Promise<void> {
    // OPERATOR: a 1022 hotline operator who enters calls on a caller's behalf.
    await q.query(`ALTER TABLE officers DROP CONSTRAINT IF EXISTS officers_role_check`);
    await q.query(`ALTER TABLE officers ADD CONSTRAINT officers_role_check CHECK (role IN ('ADMIN','SUPERVISOR','LEADER','HANDLER','AUDITOR','OPERATOR'))`);
    // entered_by: the operator who entered the call (they alone among operators see its contact).
    // citizen_phone_key: HMAC of the normalised phone under FR_PHONE_KEY_SECRET, so a caller's cases
    // are found by an exact, indexed match without reading or indexing the plaintext number.
    await q.query(`
      ALTER TABLE cases
        ADD COLUMN entered_by uuid NULL REFERENCES officers(id),
        ADD COLUMN citizen_phone_key char(64) NULL`);
    await q.query(`CREATE INDEX cases_citizen_phone_key_idx ON cases (citizen_phone_key) WHERE citizen_phone_key IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_citizen_phone_key_idx`);
    await q.query(`ALTER TABLE cases DROP COLUMN IF EXISTS citizen_phone_key, DROP COLUMN IF EXISTS entered_by`);
    await q.query(`DELETE FROM officers WHERE role = 'OPERATOR'`);
    await q.query(`ALTER TABLE officers DROP CONSTRAINT IF EXISTS officers_role_check`);
    await q.query(`ALTER TABLE officers ADD CONSTRAINT officers_role_check CHECK (role IN ('ADMIN','SUPERVISOR','LEADER','HANDLER','AUDITOR'))`);
  }
}
