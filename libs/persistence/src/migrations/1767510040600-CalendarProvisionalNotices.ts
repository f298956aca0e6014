import { MigrationInterface, QueryRunner } from 'typeorm';

/** One notice per ADMIN and provisional calendar year (the title names the year): the sweep may run often. */
export class CalendarProvisionalNotices1767510040600 implements MigrationInterface {
  name = 'CalendarProvisionalNotices1767510040600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX notifications_calendar_provisional_uq ON notifications (officer_id, title) WHERE kind = 'calendar.provisional'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS notifications_calendar_provisional_uq`);
  }
}
