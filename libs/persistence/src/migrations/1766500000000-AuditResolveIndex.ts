import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The case export's outcome reads each case's last `resolve` event: through this index one probe per
 * case, not every event of the case (ten on average) fetched and filtered. Only resolve events are in
 * it, so the write path pays for one event in ten.
 */
export class AuditResolveIndex1766500000000 implements MigrationInterface {
  name = 'AuditResolveIndex1766500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX audit_events_resolve_idx ON audit_events (case_id, id) WHERE action = 'resolve'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_events_resolve_idx`);
  }
}
