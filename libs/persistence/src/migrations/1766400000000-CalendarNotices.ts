import { MigrationInterface, QueryRunner } from 'typeorm';

/** One notice per ADMIN and missing calendar year (the title names the year): the sweep may run often. */
export class CalendarNotices1766400000000 implements MigrationInterface {
  name = 'CalendarNotices1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX notifications_calendar_uq ON notifications (officer_id, title) WHERE kind = 'calendar.missing'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS notifications_calendar_uq`);
  }
}
