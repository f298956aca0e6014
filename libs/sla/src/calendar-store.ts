import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { parse } from 'yaml';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import {
  calendarFromDocuments,
  localDateKey,
  isProvisionalYear,
  NotFoundError,
  parseCalendarDocument,
  parseIcsDaysOff,
  UnprocessableError,
  ValidationError,
  WorkingCalendar,
} from '@fr/domain';
import { activeOfficersWithRole, execute, selectRow, selectRows, writeAuditEvent, writeNotifications } from '@fr/persistence';
import { Clock } from './clock';

type Doc = Record<string, unknown> & { year: number; daysOff?: { date?: string; from?: string; to?: string; name: string }[] };

/**
 * A year's document as stored and served: `null` in a field means the field is absent (as everywhere in
 * the API), and the two lists of the contract (`GET /v1/calendars/{year}` -> `{ year, daysOff,
 * extraWorkingDays }`) are always there, empty when the year has none. A PUT of `"daysOff": null` was
 * stored as null and served against the document's `array`.
 */
function withLists(document: Record<string, unknown>): Doc {
  const doc = Object.fromEntries(Object.entries(document).filter(([, v]) => v !== null)) as Doc;
  doc.daysOff ??= [];
  doc.extraWorkingDays ??= [];
  return doc;
}

/** Every day a district year lists as off, ranges expanded as the calendar reads them. */
function daysOffOf(district: Doc | undefined): readonly { date: string; name: string }[] {
  return district ? parseCalendarDocument(district).daysOff : [];
}

/** The district's days off of a year that `calendar` (a unit's own) counts as working days. */
function daysOffWorked(district: Doc | undefined, calendar: WorkingCalendar): { date: string; name: string }[] {
  return daysOffOf(district).filter((d) => calendar.isWorkingDay(d.date));
}

/**
 * What a replacement changes, date by date, for the audit trail: the days off and make-up days added and
 * removed, whether the office hours changed, and the changed dates already past on `today` (a day off
 * added to a past date, once deadlines are recomputed, takes late cases out of the late rate). Only the
 * lists that are not empty; dates and days' names are no personal data.
 */
function changesOf(before: Doc | undefined, after: Doc, today: string): Record<string, unknown> {
  const read = (doc: Doc | undefined) => (doc ? parseCalendarDocument(doc) : { daysOff: [], extraWorkingDays: [], officeHours: undefined });
  const [a, b] = [read(before), read(after)];
  const dates = (list: readonly { date: string }[]) => new Set(list.map((d) => d.date));
  const minus = (x: Set<string>, y: Set<string>) => [...x].filter((d) => !y.has(d)).sort();
  const offA = dates(a.daysOff);
  const offB = dates(b.daysOff);
  const extraA = dates(a.extraWorkingDays);
  const extraB = dates(b.extraWorkingDays);
  const lists: Record<string, string[]> = {
    daysOffAdded: minus(offB, offA),
    daysOffRemoved: minus(offA, offB),
    extraWorkingDaysAdded: minus(extraB, extraA),
    extraWorkingDaysRemoved: minus(extraA, extraB),
  };
  // A make-up day whose hours changed is a change of that date too.
  const hoursOf = (list: readonly { date: string; hours?: unknown }[]) => new Map(list.map((d) => [d.date, JSON.stringify(d.hours ?? null)]));
  const [hoursA, hoursB] = [hoursOf(a.extraWorkingDays), hoursOf(b.extraWorkingDays)];
  const rehoured = [...extraB].filter((d) => extraA.has(d) && hoursA.get(d) !== hoursB.get(d)).sort();
  if (rehoured.length) lists.extraWorkingDaysHoursChanged = rehoured;
  const changed: Record<string, unknown> = Object.fromEntries(Object.entries(lists).filter(([, v]) => v.length > 0));
  if (before && JSON.stringify(a.officeHours ?? null) !== JSON.stringify(b.officeHours ?? null)) changed.officeHoursChanged = true;
  const past = [...new Set(Object.values(lists).flat())].filter((d) => d < today).sort();
  if (past.length) changed.pastDatesChanged = past;
  return changed;
}

/** Inbox kind of the notice that a unit's own calendar works on the district's days off. */
export const CALENDAR_HOLIDAYS_WORKED_KIND = 'calendar.holidays_worked';

/** Days a calendar.holidays_worked notice lists by date and name; it says how many more there are. */
const DAYS_OFF_WORKED_LISTED = 20;
/** Characters of a day's name the notice shows. */
const DAY_NAME_SHOWN = 60;

/** '' is the district's calendar; a unit code is that unit's own. */
const DISTRICT = '';

/**
 * The working calendars, one document per (scope, year), in PostgreSQL. config/calendars seeds the
 * district's years the database lacks (at each start); afterwards ADMIN replaces a year over the API or imports an .ics of days
 * off, for the district or for one unit, and every process picks the change up through `version()`
 * without a restart. A unit with documents of its own works by those alone (they must cover the years
 * it needs); every other unit works by the district's.
 */
@Injectable()
export class CalendarStore {
  private readonly logger = new Logger(CalendarStore.name);
  private seeding: Promise<void> | null = null;

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly clock?: Clock,
  ) {}

  async documents(scope = DISTRICT): Promise<Doc[]> {
    if (scope === DISTRICT)
      await (this.seeding ??= this.seedFromFiles().catch((e: unknown) => {
        this.seeding = null;
        throw e;
      }));
    const rows = await selectRows<{ document: Doc }>(this.ds, `SELECT document FROM calendars WHERE scope = $1 ORDER BY year`, [scope]);
    return rows.map((r) => r.document);
  }

  /**
   * The years of each active unit that has a calendar of its own. Such a unit's calendar is made of
   * its documents alone (office hours may differ from the district's), so a year it lacks counts its
   * holidays as working time, as a year the district lacks does.
   */
  async unitYears(): Promise<Map<string, number[]>> {
    const rows = await selectRows<{ scope: string; year: number }>(
      this.ds,
      `SELECT c.scope, c.year FROM calendars c JOIN units u ON u.code = c.scope AND u.active WHERE c.scope <> '' ORDER BY c.scope, c.year`,
    );
    const years = new Map<string, number[]>();
    for (const r of rows) years.set(r.scope, [...(years.get(r.scope) ?? []), r.year]);
    return years;
  }

  /** The documents of each active unit that has a calendar of its own, by unit. */
  async unitDocuments(): Promise<Map<string, Doc[]>> {
    const rows = await selectRows<{ scope: string; document: Doc }>(
      this.ds,
      `SELECT c.scope, c.document FROM calendars c JOIN units u ON u.code = c.scope AND u.active WHERE c.scope <> '' ORDER BY c.scope, c.year`,
    );
    const byUnit = new Map<string, Doc[]>();
    for (const r of rows) byUnit.set(r.scope, [...(byUnit.get(r.scope) ?? []), r.document]);
    return byUnit;
  }

  /** The district's calendar and each unit's own. */
  async calendars(): Promise<{ district: WorkingCalendar; units: Map<string, WorkingCalendar> }> {
    const district = calendarFromDocuments(await this.documents());
    const rows = await selectRows<{ scope: string; document: Doc }>(this.ds, `SELECT scope, document FROM calendars WHERE scope <> '' ORDER BY scope, year`);
    const byUnit = new Map<string, Doc[]>();
    for (const r of rows) byUnit.set(r.scope, [...(byUnit.get(r.scope) ?? []), r.document]);
    return { district, units: new Map([...byUnit].map(([unit, docs]) => [unit, calendarFromDocuments(docs)])) };
  }

  async calendar(): Promise<WorkingCalendar> {
    return (await this.calendars()).district;
  }

  /**
   * The district's years stored from config/calendars whose notice of the deadlines they move is still
   * due, locked in `m` until it commits (a process starting at the same time skips them). The caller
   * tells and calls told() in that transaction: a process that ends before it commits leaves them due
   * for the next start, whichever process stored them.
   */
  async yearsToTell(m: EntityManager): Promise<number[]> {
    await this.documents();
    const rows = await selectRows<{ year: number }>(
      m,
      `SELECT year FROM calendars WHERE scope = $1 AND deadlines_notice_due ORDER BY year FOR UPDATE SKIP LOCKED`,
      [DISTRICT],
    );
    return rows.map((r) => r.year);
  }

  async told(m: EntityManager, years: readonly number[]): Promise<void> {
    if (years.length) await execute(m, `UPDATE calendars SET deadlines_notice_due = false WHERE scope = $1 AND year = ANY($2::int[])`, [DISTRICT, years]);
  }

  async version(): Promise<string> {
    const row = await selectRow<{ v: string }>(this.ds, `SELECT coalesce(max(updated_at)::text, '') || ':' || count(*) AS v FROM calendars`);
    return row?.v ?? '';
  }

  async list(): Promise<{ unit: string | null; year: number; daysOff: number }[]> {
    await this.documents();
    const rows = await selectRows<{ scope: string; year: number; document: Doc }>(this.ds, `SELECT scope, year, document FROM calendars ORDER BY scope, year`);
    return rows.map((r) => ({
      unit: r.scope || null,
      year: r.year,
      daysOff: r.document.daysOff?.length ?? 0,
    }));
  }

  async get(year: number, unit: string | null = null): Promise<Doc> {
    const row = await selectRow<{ document: Doc }>(this.ds, `SELECT document FROM calendars WHERE scope = $1 AND year = $2`, [unit ?? DISTRICT, year]);
    if (!row) throw new NotFoundError('calendar', unit ? `${unit} ${year}` : String(year));
    return withLists(row.document);
  }

  /** Replaces one year; the scope's years must still make one calendar (same office hours, no overlaps). */
  async put(year: number, document: unknown, actor: string, unit: string | null = null): Promise<Doc> {
    const scope = unit ?? DISTRICT;
    if (unit) {
      const u = await selectRow<{ code: string; active: boolean; successors: string[] | null }>(
        this.ds,
        `SELECT code, active, successors FROM units WHERE code = $1`,
        [unit],
      );
      if (!u) throw new UnprocessableError(`unit '${unit}' does not exist`);
      // An ended unit holds no case: a calendar of its own would count nothing, and its notices would mislead.
      if (!u.active) {
        const to = u.successors?.length ? `; its cases went to ${u.successors.join(', ')}` : '';
        throw new UnprocessableError(`unit '${unit}' has ended (a reorganisation)${to}: give the unit that holds its cases the calendar`);
      }
    }
    // The path names the year replaced; a body naming another was a mistake the path silently overrode.
    const stated = (document as { year?: unknown } | null)?.year;
    if (stated !== undefined && stated !== year && stated !== String(year)) {
      throw new ValidationError(
        `year in the body (${JSON.stringify(stated).slice(0, 20)}) is not the year of the path (${year}): send the year's days to PUT /v1/calendars/${year}, or leave year out`,
        ['year'],
      );
    }
    const doc = withLists({ ...(document as object), year });
    parseCalendarDocument(doc, `calendar ${unit ? `${unit} ` : ''}${year}`, true);
    const stored = await this.documents(scope);
    const others = stored.filter((d) => d.year !== year);
    const changes = changesOf(
      stored.find((d) => d.year === year),
      doc,
      localDateKey(this.clock?.now() ?? new Date()),
    );
    let calendar: WorkingCalendar;
    try {
      calendar = calendarFromDocuments([...others, doc]);
    } catch (e) {
      throw new UnprocessableError(`calendar ${year} does not fit the other years: ${(e as Error).message}`);
    }
    const previous = (await this.documents()).find((d) => d.year === year);
    const worked = unit ? daysOffWorked(previous, calendar) : [];
    // A district year that adds days off (a holiday added by law): each unit whose own year works them is told too.
    const unitsWorking = unit ? [] : await this.unitsWorkingNewDaysOff(year, doc, previous);
    await this.ds.transaction(async (m) => {
      await execute(
        m,
        `INSERT INTO calendars (scope, year, document, updated_at, updated_by) VALUES ($1, $2, $3, clock_timestamp(), $4)
         ON CONFLICT (scope, year) DO UPDATE SET document = EXCLUDED.document, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by,
                                                 deadlines_notice_due = false`,
        [scope, year, JSON.stringify(doc), actor],
      );
      await writeAuditEvent(m, {
        caseId: null,
        actor,
        action: 'calendar_replaced',
        data: {
          year,
          unit,
          daysOff: doc.daysOff?.length ?? 0,
          ...changes,
          ...(worked.length ? { districtDaysOffWorked: worked.map((d) => d.date) } : {}),
          ...(unitsWorking.length ? { unitsWorkingDaysOff: Object.fromEntries(unitsWorking.map((u) => [u.unit, u.worked.map((d) => d.date)])) } : {}),
        },
      });
      // A unit's own calendar replaces the district's wholly: one written for its Saturday hours that
      // lists only Tết counts every other holiday as working time, and nothing else would say so.
      if (unit && worked.length) await this.tellDaysOffWorked(m, unit, year, worked);
      for (const u of unitsWorking) await this.tellDaysOffWorked(m, u.unit, year, u.worked);
    });
    return doc;
  }

  private async tellDaysOffWorked(m: EntityManager, unit: string, year: number, worked: { date: string; name: string }[]): Promise<void> {
    // The first days, each name cut short: a year of days off named by an .ics feed's descriptions made a
    // notice of 660 kB for every ADMIN (and a log line as long); the audit event lists every date.
    const listed = worked
      .slice(0, DAYS_OFF_WORKED_LISTED)
      .map((d) => `${d.date} (${d.name.length > DAY_NAME_SHOWN ? `${d.name.slice(0, DAY_NAME_SHOWN - 1)}…` : d.name})`)
      .join(', ');
    const more = worked.length > DAYS_OFF_WORKED_LISTED ? `, and ${worked.length - DAYS_OFF_WORKED_LISTED} more (GET /v1/calendars/${year})` : '';
    const body =
      `unit ${unit}'s own calendar for ${year} counts ${worked.length} of the district's days off as working days: ` +
      `${listed}${more}; its cases' deadlines count them as working time. ` +
      `Unless the unit works those days, list them in its daysOff: PUT /v1/calendars/${year}?unit=${unit}`;
    this.logger.warn(body);
    await writeNotifications(
      m,
      { kind: 'calendar-change' },
      (await activeOfficersWithRole(m, ['ADMIN'])).map((officerId) => ({
        officerId,
        kind: CALENDAR_HOLIDAYS_WORKED_KIND,
        title: `Lịch riêng của đơn vị ${unit} năm ${year} tính ${worked.length} ngày nghỉ của quận là ngày làm việc`,
        body,
      })),
    );
  }

  /**
   * The days off a new district year adds (not in the year it replaces) that an active unit's own year
   * counts as working days, per unit: the unit's year was written before the law that added them.
   */
  private async unitsWorkingNewDaysOff(
    year: number,
    district: Doc,
    previous: Doc | undefined,
  ): Promise<{ unit: string; worked: { date: string; name: string }[] }[]> {
    const before = new Set(daysOffOf(previous).map((d) => d.date));
    const units = await selectRows<{ scope: string }>(
      this.ds,
      `SELECT c.scope FROM calendars c JOIN units u ON u.code = c.scope AND u.active WHERE c.scope <> '' AND c.year = $1 ORDER BY c.scope`,
      [year],
    );
    const found: { unit: string; worked: { date: string; name: string }[] }[] = [];
    for (const { scope } of units) {
      const worked = daysOffWorked(district, calendarFromDocuments(await this.documents(scope))).filter((d) => !before.has(d.date));
      if (worked.length) found.push({ unit: scope, worked });
    }
    return found;
  }

  /** Adds the days off of an iCalendar file to a year (days already listed keep their entry). */
  async importIcs(year: number, ics: string, actor: string, unit: string | null = null): Promise<{ added: number; document: Doc }> {
    const days = parseIcsDaysOff(ics);
    const outside = days.filter((d) => !d.date.startsWith(`${year}-`));
    if (outside.length)
      throw new UnprocessableError(
        `the file has days outside ${year}: ${outside
          .slice(0, 5)
          .map((d) => d.date)
          .join(', ')}`,
      );
    const current = await this.get(year, unit).catch(() => ({ year, timezone: 'Asia/Ho_Chi_Minh', daysOff: [] }) as Doc);
    const listed = new WorkingCalendar([parseCalendarDocument(current)]);
    const fresh = days.filter((d) => listed.specialDayName(d.date) === undefined);
    const document = { ...current, daysOff: [...(current.daysOff ?? []), ...fresh.map((d) => ({ date: d.date, name: d.name }))] };
    return { added: fresh.length, document: await this.put(year, document, actor, unit) };
  }

  /**
   * A year stored from its file (never replaced over the API) before the file said it was provisional,
   * with the same days: it gets the mark, so /health and the ADMINs are told its days are partly guessed.
   * Only the mark: a year's days reach the database through PUT, which moves deadlines knowingly.
   */
  private async markProvisional(stored: { document: Doc; updated_by: string }, file: Doc): Promise<void> {
    if (!isProvisionalYear(file) || isProvisionalYear(stored.document) || stored.updated_by !== 'config') return;
    const { provisional: _, ...days } = file;
    if (!isDeepStrictEqual(withLists(stored.document), withLists(days))) return;
    await execute(
      this.ds,
      `UPDATE calendars SET document = document || '{"provisional": true}'::jsonb WHERE scope = $1 AND year = $2 AND updated_by = 'config'`,
      [DISTRICT, file.year],
    );
    stored.document.provisional = true;
  }

  /**
   * Once per process, every year of config/calendars the database lacks: a file added for next year
   * must reach a deployment seeded long ago (the missing-year warning tells the operator to add one).
   * A year already stored is left alone, since an ADMIN may have replaced it over the API.
   */
  private async seedFromFiles(): Promise<void> {
    const folder = join(this.config.configDir, 'calendars');
    const files = readdirSync(folder)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    const stored = await selectRows<{ document: Doc; updated_by: string }>(
      this.ds,
      `SELECT document, updated_by FROM calendars WHERE scope = $1 ORDER BY year`,
      [DISTRICT],
    );
    const docs = stored.map((r) => r.document);
    for (const f of files) {
      const doc = JSON.parse(JSON.stringify(parse(readFileSync(join(folder, f), 'utf8')))) as Doc;
      parseCalendarDocument(doc, `${folder}/${f}`);
      const same = stored.find((r) => r.document.year === doc.year);
      if (same) {
        await this.markProvisional(same, doc);
        continue;
      }
      try {
        calendarFromDocuments([...docs, doc]);
      } catch (e) {
        this.logger.warn(`${folder}/${f} not loaded: it does not fit the stored calendar: ${(e as Error).message}`);
        continue;
      }
      // Stored with its notice due (yearsToTell): another process starting at the same time may have
      // stored it first, and the row tells it once either way.
      await execute(this.ds, `INSERT INTO calendars (scope, year, document, deadlines_notice_due) VALUES ('', $1, $2, true) ON CONFLICT DO NOTHING`, [
        doc.year,
        JSON.stringify(doc),
      ]);
      docs.push(doc);
    }
  }
}
