import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { parse } from 'yaml';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { calendarFromDocuments, NotFoundError, parseCalendarDocument, parseIcsDaysOff, UnprocessableError, WorkingCalendar } from '@fr/domain';
import { writeAuditEvent } from '@fr/persistence';

type Doc = Record<string, unknown> & { year: number; daysOff?: { date?: string; from?: string; to?: string; name: string }[] };

/**
 * The working calendars, one document per year, in PostgreSQL. config/calendars seeds the table the
 * first time; afterwards ADMIN replaces a year over the API or imports an .ics of days off, and every
 * process picks the change up through `version()` without a restart.
 */
@Injectable()
export class CalendarStore {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async documents(): Promise<Doc[]> {
    let rows: { document: Doc }[] = await this.ds.query(`SELECT document FROM calendars ORDER BY year`);
    if (rows.length === 0) {
      await this.seedFromFiles();
      rows = await this.ds.query(`SELECT document FROM calendars ORDER BY year`);
    }
    return rows.map((r) => r.document);
  }

  async calendar(): Promise<WorkingCalendar> {
    return calendarFromDocuments(await this.documents());
  }

  async version(): Promise<string> {
    const [row] = await this.ds.query(`SELECT coalesce(max(updated_at)::text, '') || ':' || count(*) AS v FROM calendars`);
    return row.v;
  }

  async get(year: number): Promise<Doc> {
    const [row] = await this.ds.query(`SELECT document FROM calendars WHERE year = $1`, [year]);
    if (!row) throw new NotFoundError('calendar', String(year));
    return row.document;
  }

  /** Replaces one year; the whole set must still make one calendar (same office hours, no overlaps). */
  async put(year: number, document: unknown, actor: string): Promise<Doc> {
    const doc = { ...(document as object), year } as Doc;
    parseCalendarDocument(doc, `calendar ${year}`);
    const others = (await this.documents()).filter((d) => d.year !== year);
    try {
      calendarFromDocuments([...others, doc]);
    } catch (e) {
      throw new UnprocessableError(`calendar ${year} does not fit the other years: ${(e as Error).message}`);
    }
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO calendars (year, document, updated_at, updated_by) VALUES ($1, $2, clock_timestamp(), $3)
         ON CONFLICT (year) DO UPDATE SET document = EXCLUDED.document, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by`,
        [year, JSON.stringify(doc), actor],
      );
      await writeAuditEvent(m, { caseId: null, actor, action: 'calendar_replaced', data: { year, daysOff: doc.daysOff?.length ?? 0 } });
    });
    return doc;
  }

  /** Adds the days off of an iCalendar file to a year (days already listed keep their entry). */
  async importIcs(year: number, ics: string, actor: string): Promise<{ added: number; document: Doc }> {
    const days = parseIcsDaysOff(ics);
    const outside = days.filter((d) => !d.date.startsWith(`${year}-`));
    if (outside.length) throw new UnprocessableError(`the file has days outside ${year}: ${outside.slice(0, 5).map((d) => d.date).join(', ')}`);
    const current = await this.get(year).catch(() => ({ year, timezone: 'Asia/Ho_Chi_Minh', daysOff: [] }) as Doc);
    const listed = new WorkingCalendar([parseCalendarDocument(current)]);
    const fresh = days.filter((d) => listed.specialDayName(d.date) === undefined);
    const document = { ...current, daysOff: [...(current.daysOff ?? []), ...fresh.map((d) => ({ date: d.date, name: d.name }))] };
    return { added: fresh.length, document: await this.put(year, document, actor) };
  }

  private async seedFromFiles(): Promise<void> {
    const folder = join(this.config.configDir, 'calendars');
    const files = readdirSync(folder).filter((f) => /\.ya?ml$/.test(f));
    for (const f of files) {
      const doc = JSON.parse(JSON.stringify(parse(readFileSync(join(folder, f), 'utf8')))) as Doc;
      parseCalendarDocument(doc, `${folder}/${f}`);
      await this.ds.query(`INSERT INTO calendars (year, document) VALUES ($1, $2) ON CONFLICT (year) DO NOTHING`, [doc.year, JSON.stringify(doc)]);
    }
  }
}
