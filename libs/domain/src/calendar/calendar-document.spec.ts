import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ValidationError } from '../errors';
import { calendarFromDocuments, parseCalendarDocument } from './calendar-document';
import { DEFAULT_OFFICE_HOURS } from './working-calendar';

const CALENDAR_DIR = join(__dirname, '../../../../config/calendars');

function load(file: string): unknown {
  return parse(readFileSync(join(CALENDAR_DIR, file), 'utf8')) as unknown;
}

/** A valid 2025 document to break one field at a time. */
function doc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    year: 2025,
    timezone: 'Asia/Ho_Chi_Minh',
    daysOff: [
      { date: '2025-01-01', name: 'Tết Dương lịch' },
      { from: '2025-01-25', to: '2025-02-02', name: 'Tết Nguyên đán' },
    ],
    extraWorkingDays: [{ date: '2025-04-26', name: 'Làm bù' }],
    ...overrides,
  };
}

function problemsOf(input: unknown, incoming = false): string[] {
  try {
    parseCalendarDocument(input, 'test.yaml', incoming);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).message.split('\n');
  }
  throw new Error('expected the document to be refused');
}

describe(parseCalendarDocument.name, () => {
  const sut = parseCalendarDocument;

  describe('the files in config/calendars', () => {
    it('has one valid file per year, named after it', () => {
      const files = readdirSync(CALENDAR_DIR).filter((f) => f.endsWith('.yaml'));
      expect(files.sort()).toEqual(['2024.yaml', '2025.yaml', '2026.yaml', '2027.yaml']);
      for (const file of files) expect(sut(load(file), file).years).toEqual([Number(file.slice(0, 4))]);
    });

    it.each([
      [
        '2024.yaml',
        ['2024-01-01', '2024-02-08', '2024-02-14', '2024-04-18', '2024-04-29', '2024-04-30', '2024-05-01', '2024-09-02', '2024-09-03'],
        ['2024-05-04'],
      ],
      [
        '2025.yaml',
        ['2025-01-01', '2025-01-27', '2025-01-31', '2025-04-07', '2025-04-30', '2025-05-01', '2025-05-02', '2025-09-01', '2025-09-02'],
        ['2025-04-26'],
      ],
      [
        '2026.yaml',
        ['2026-01-01', '2026-01-02', '2026-02-16', '2026-02-20', '2026-04-27', '2026-04-30', '2026-05-01', '2026-08-31', '2026-09-01', '2026-09-02'],
        ['2026-01-10', '2026-08-22'],
      ],
      ['2027.yaml', ['2027-01-01', '2027-02-08', '2027-02-09', '2027-04-16', '2027-04-30', '2027-05-03', '2027-09-02'], []],
    ])('%s lists the known days off and make-up days', (file, off, extra) => {
      const data = sut(load(file));
      const dates = data.daysOff.map((d) => d.date);
      for (const date of off) expect(dates).toContain(date);
      expect(data.extraWorkingDays.map((d) => d.date)).toEqual(extra);
      expect(data.officeHours).toEqual(DEFAULT_OFFICE_HOURS);
    });

    it('counts the weekday days off of Tết', () => {
      const calendar = calendarFromDocuments(['2024.yaml', '2025.yaml', '2026.yaml'].map(load));
      const weekdaysOff = (from: string, days: number): number =>
        Array.from({ length: days }, (_, i) => new Date(Date.parse(from) + i * 86_400_000).toISOString().slice(0, 10)).filter(
          (date) => ![0, 6].includes(new Date(date).getUTCDay()) && !calendar.isWorkingDay(date),
        ).length;
      expect(weekdaysOff('2024-02-08', 7)).toBe(5);
      expect(weekdaysOff('2025-01-25', 9)).toBe(5);
      expect(weekdaysOff('2026-02-14', 9)).toBe(5);
    });
  });

  describe('valid documents', () => {
    it('expands ranges and sorts dates', () => {
      const data = sut(
        doc({
          daysOff: [
            { date: '2025-09-02', name: 'Quốc khánh' },
            { from: '2025-01-30', to: '2025-02-01', name: 'Tết' },
          ],
        }),
      );
      expect(data.daysOff).toEqual([
        { date: '2025-01-30', name: 'Tết' },
        { date: '2025-01-31', name: 'Tết' },
        { date: '2025-02-01', name: 'Tết' },
        { date: '2025-09-02', name: 'Quốc khánh' },
      ]);
      expect(data.extraWorkingDays).toEqual([{ date: '2025-04-26', name: 'Làm bù' }]);
    });

    it('reads office hours by weekday name or number, as strings or objects', () => {
      const data = sut(
        doc({
          officeHours: { Mon: ['07:30-11:30', { start: '13:30', end: '17:00' }], 2: ['07:30 - 11:30'], sat: [], sun: [] },
          extraWorkingDays: [{ date: '2025-04-26', name: 'Làm bù', hours: ['08:00-11:00'] }],
        }),
      );
      expect(data.officeHours).toEqual({
        1: [
          { start: '07:30', end: '11:30' },
          { start: '13:30', end: '17:00' },
        ],
        2: [{ start: '07:30', end: '11:30' }],
      });
      expect(data.extraWorkingDays[0].hours).toEqual([{ start: '08:00', end: '11:00' }]);
    });

    it('accepts the Dates a YAML 1.1 parser makes of unquoted dates', () => {
      const text = 'year: 2025\ntimezone: Asia/Ho_Chi_Minh\ndaysOff:\n  - { date: 2025-01-01, name: Tết Dương lịch }\n';
      const parsed = parse(text, { version: '1.1' }) as { daysOff: { date: unknown }[] };
      expect(parsed.daysOff[0].date).toBeInstanceOf(Date);
      expect(sut(parsed).daysOff).toEqual([{ date: '2025-01-01', name: 'Tết Dương lịch' }]);
    });

    it('normalises names to NFC', () => {
      const decomposed = 'Te\u0302\u0301t'; // "Tết" with combining marks
      expect(sut(doc({ daysOff: [{ date: '2025-01-01', name: ` ${decomposed} ` }] })).daysOff[0].name).toBe('Tết');
    });

    it('treats missing lists as empty', () => {
      const data = sut({ year: 2027, timezone: 'Asia/Ho_Chi_Minh' });
      expect(data).toMatchObject({ daysOff: [], extraWorkingDays: [], years: [2027] });
    });
  });

  describe('invalid documents', () => {
    it('names the year and field of a date that does not exist', () => {
      const daysOff = [
        { date: '2025-01-01', name: 'a' },
        { date: '2025-01-02', name: 'b' },
        { date: '2025-01-03', name: 'c' },
        { date: '2025-02-30', name: 'd' },
      ];
      expect(problemsOf(doc({ daysOff }))).toEqual(["calendar 2025: daysOff[3].date '2025-02-30' is not a date"]);
    });

    it('refuses a name that shows nothing (zero-width characters, accents over nothing) in a document being stored, and loads one stored before', () => {
      const shown = doc({ daysOff: [{ date: '2025-01-01', name: '\u0301' }], extraWorkingDays: [{ date: '2025-01-04', name: ' \u200b ' }] });
      expect(problemsOf(shown, true)).toEqual([
        "calendar 2025: daysOff[0].name '\u0301' is not a name",
        "calendar 2025: extraWorkingDays[0].name ' \u200b ' is not a name",
      ]);
      // Stored under the rule of then (blank space only): read back at every start, it must still load.
      expect(sut(shown).daysOff).toHaveLength(1);
    });

    it('refuses a day name longer than 200 characters in a document being stored (it is shown in pages, notices and exports), and loads one stored before', () => {
      const long = 'Ngày nghỉ bù '.repeat(20);
      const named = doc({ daysOff: [{ date: '2025-01-01', name: long.slice(0, 200) }], extraWorkingDays: [{ date: '2025-04-26', name: long }] });
      expect(problemsOf(named, true)).toEqual([`calendar 2025: extraWorkingDays[0].name is ${long.trim().length} characters long; at most 200`]);
      expect(sut(named).extraWorkingDays[0].name).toBe(long.trim());
    });

    it('lists every problem at once and the fields involved', () => {
      let error: ValidationError | undefined;
      try {
        sut(doc({ timezone: 'Asia/Bangkok', daysOff: [{ date: '2025-13-01', name: '' }] }));
      } catch (e) {
        error = e as ValidationError;
      }
      expect(error?.message.split('\n')).toEqual([
        "calendar 2025: timezone 'Asia/Bangkok' is not supported; only Asia/Ho_Chi_Minh (fixed UTC+07:00)",
        "calendar 2025: daysOff[0].name '' is not a name",
        "calendar 2025: daysOff[0].date '2025-13-01' is not a date",
      ]);
      expect(error?.fields).toEqual(['timezone', 'daysOff[0].name', 'daysOff[0].date']);
    });

    it.each<[string, unknown, string]>([
      ['not a mapping', ['year: 2025'], 'calendar test.yaml: document must be a mapping'],
      ['no year', { timezone: 'Asia/Ho_Chi_Minh' }, 'calendar test.yaml: year is required'],
      ['a bad year', doc({ year: '2025' }), "calendar test.yaml: year '2025' is not a year"],
      ['no timezone', doc({ timezone: undefined }), 'calendar 2025: timezone is required and must be Asia/Ho_Chi_Minh'],
      ['an unknown field', doc({ dayOff: [] }), "calendar 2025: unknown field 'dayOff'"],
      ['daysOff not a list', doc({ daysOff: { date: '2025-01-01' } }), 'calendar 2025: daysOff must be a list'],
      ['an entry that is not a mapping', doc({ daysOff: ['2025-01-01'] }), 'calendar 2025: daysOff[0] must be a mapping'],
      ['an entry without a name', doc({ daysOff: [{ date: '2025-01-01' }] }), 'calendar 2025: daysOff[0].name is required'],
      ['an unknown entry field', doc({ daysOff: [{ date: '2025-01-01', name: 'x', nam: 'y' }] }), "calendar 2025: daysOff[0]: unknown field 'nam'"],
      ['neither date nor range', doc({ daysOff: [{ name: 'x', from: '2025-01-01' }] }), 'calendar 2025: daysOff[0] needs a date, or from and to'],
      [
        'both date and range',
        doc({ daysOff: [{ name: 'x', date: '2025-01-01', from: '2025-01-01', to: '2025-01-02' }] }),
        'calendar 2025: daysOff[0] has both date and from/to',
      ],
      [
        'a range ending before it starts',
        doc({ daysOff: [{ name: 'x', from: '2025-02-02', to: '2025-01-25' }] }),
        "calendar 2025: daysOff[0].to '2025-01-25' is before daysOff[0].from '2025-02-02'",
      ],
      ['a range too long', doc({ daysOff: [{ name: 'x', from: '2025-01-25', to: '2025-12-02' }] }), 'calendar 2025: daysOff[0] spans 312 days, more than 31'],
      ['a date of another year', doc({ daysOff: [{ name: 'x', date: '2024-12-31' }] }), "calendar 2025: daysOff[0].date '2024-12-31' is not in 2025"],
      [
        'a date listed twice',
        doc({
          daysOff: [
            { name: 'x', from: '2025-01-25', to: '2025-02-02' },
            { name: 'y', date: '2025-01-27' },
          ],
        }),
        'calendar 2025: daysOff[1]: 2025-01-27 is listed twice (also daysOff[0])',
      ],
      ['a non-string date', doc({ daysOff: [{ name: 'x', date: 20250101 }] }), 'calendar 2025: daysOff[0].date 20250101 is not a date'],
      [
        'a make-up day on a weekday',
        doc({ extraWorkingDays: [{ date: '2025-04-25', name: 'Làm bù' }] }),
        "calendar 2025: extraWorkingDays[0].date '2025-04-25' is a Friday, already a working day",
      ],
      [
        'a make-up day that is also off',
        doc({ extraWorkingDays: [{ date: '2025-01-25', name: 'Làm bù' }] }),
        "calendar 2025: extraWorkingDays[0].date '2025-01-25' is also listed in daysOff[1]",
      ],
      ['a make-up day without date', doc({ extraWorkingDays: [{ name: 'Làm bù' }] }), 'calendar 2025: extraWorkingDays[0].date is required'],
      [
        'bad make-up hours',
        doc({ extraWorkingDays: [{ date: '2025-04-26', name: 'x', hours: ['8h-12h'] }] }),
        "calendar 2025: extraWorkingDays[0].hours[0].start '8h' is not a time HH:MM",
      ],
      ['an unknown weekday', doc({ officeHours: { monday: ['08:00-12:00'], xyz: [] } }), "calendar 2025: officeHours: 'xyz' is not a weekday"],
      [
        'a weekday given twice',
        doc({ officeHours: { mon: ['08:00-12:00'], 1: ['08:00-12:00'] } }),
        "calendar 2025: officeHours: 'mon' and '1' are the same weekday",
      ],
      ['an hour out of range', doc({ officeHours: { mon: ['08:00-25:00'] } }), "calendar 2025: officeHours.mon[0].end '25:00' is not a time HH:MM"],
      [
        'a period ending before it starts',
        doc({ officeHours: { mon: ['13:00-12:00'] } }),
        "calendar 2025: officeHours.mon[0] '13:00-12:00' does not end after it starts",
      ],
      ['overlapping periods', doc({ officeHours: { mon: ['08:00-12:00', '11:00-17:00'] } }), 'calendar 2025: officeHours.mon[1] overlaps officeHours.mon[0]'],
      ['a period that is not one', doc({ officeHours: { mon: [8] } }), 'calendar 2025: officeHours.mon[0] 8 is not a period HH:MM-HH:MM'],
      ['hours not a list', doc({ officeHours: { mon: '08:00-12:00' } }), 'calendar 2025: officeHours.mon must be a list'],
      ['no office hours at all', doc({ officeHours: { sat: [], sun: [] } }), 'calendar 2025: officeHours gives no office hours on any weekday'],
    ])('refuses %s', (_, input, message) => {
      const problems = problemsOf(input);
      expect(problems).toContainEqual(expect.stringContaining(message));
    });
  });

  describe(calendarFromDocuments.name, () => {
    it('refuses two files for the same year', () => {
      expect(() => calendarFromDocuments([doc(), doc({ daysOff: [], extraWorkingDays: [] })])).toThrow(/year 2025 is also given by calendar 2025/);
    });

    it('refuses files with different office hours', () => {
      const other = { year: 2026, timezone: 'Asia/Ho_Chi_Minh', officeHours: { mon: ['08:00-16:00'] } };
      expect(() => calendarFromDocuments([doc(), other])).toThrow(/calendar 2026: officeHours differ from calendar 2025/);
    });
  });
});
