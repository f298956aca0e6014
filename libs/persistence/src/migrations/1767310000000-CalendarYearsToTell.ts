import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A district year stored from config/calendars at a start owes the administrators a notice of the open
 * deadlines it moves (calendar.deadlines_to_recompute). The debt was held in the memory of the process
 * that stored the year: killed, or its database gone a moment, between storing and telling, and no later
 * start ever told (it found the year stored). The row now carries it until a start tells.
 */
export class CalendarYearsToTell1767310000000 implements MigrationInterface {
  name = 'CalendarYearsToTell1767310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calendars ADD COLUMN deadlines_notice_due boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calendars DROP COLUMN deadlines_notice_due`);
  }
}
