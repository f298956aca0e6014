import { ValidationError } from '../errors';
import { parseIcsDaysOff } from './ics';
import { WorkingCalendar } from './working-calendar';

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

const SAMPLE = crlf([
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Bo Noi vu//Lich nghi 2025//VI',
  'BEGIN:VEVENT',
  'UID:tet-2025@example.vn',
  'DTSTART;VALUE=DATE:20250125',
  'DTEND;VALUE=DATE:20250203',
  'SUMMARY:Tết Nguyên',
  '  đán',
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'SUMMARY:Nhắc nghỉ',
  'TRIGGER:-P1D',
  'END:VALARM',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20250101',
  'SUMMARY:Tết Dương lịch',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART:20250406T170000Z',
  'DTEND:20250407T170000Z',
  'SUMMARY:Giỗ Tổ Hùng Vương',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;TZID="Asia/Ho_Chi_Minh":20250430T000000',
  'DURATION:P2D',
  'SUMMARY:Ngày Giải phóng miền Nam\\, Quốc tế Lao động',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'dtstart;value=date:20250502',
  'SUMMARY:Nghỉ hoán đổi',
  'STATUS:CONFIRMED',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20250310',
  'SUMMARY:Đã huỷ',
  'STATUS:CANCELLED',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20250901',
  'DTEND;VALUE=DATE:2025090',
  ' 3',
  'SUMMARY:Quốc khánh',
  'END:VEVENT',
  'END:VCALENDAR',
]);

describe(parseIcsDaysOff.name, () => {
  const sut = parseIcsDaysOff;

  it('reads all-day ranges (exclusive DTEND), single days, date-times, durations and folded lines', () => {
    const days = sut(SAMPLE);
    expect(days.map((d) => d.date)).toEqual([
      '2025-01-01',
      '2025-01-25',
      '2025-01-26',
      '2025-01-27',
      '2025-01-28',
      '2025-01-29',
      '2025-01-30',
      '2025-01-31',
      '2025-02-01',
      '2025-02-02',
      '2025-04-07',
      '2025-04-30',
      '2025-05-01',
      '2025-05-02',
      '2025-09-01',
      '2025-09-02',
    ]);
    expect(days.find((d) => d.date === '2025-01-28')?.name).toBe('Tết Nguyên đán');
    expect(days.find((d) => d.date === '2025-04-07')?.name).toBe('Giỗ Tổ Hùng Vương');
    expect(days.find((d) => d.date === '2025-05-01')?.name).toBe('Ngày Giải phóng miền Nam, Quốc tế Lao động');
  });

  it('feeds a WorkingCalendar', () => {
    const calendar = new WorkingCalendar({ daysOff: sut(SAMPLE), extraWorkingDays: [] });
    expect(calendar.isWorkingDay('2025-01-31')).toBe(false);
    expect(calendar.isWorkingDay('2025-02-03')).toBe(true);
    expect(calendar.isWorkingDay('2025-03-10')).toBe(true);
  });

  it('accepts LF line ends, a BOM, and keeps the first name of a date given twice', () => {
    const text =
      '\uFEFFBEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nSUMMARY:Tết Dương lịch\nEND:VEVENT\n' +
      'BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nSUMMARY:Trùng\nEND:VEVENT\n' +
      'BEGIN:VEVENT\nDTSTART:20260427T090000\nSUMMARY:Giỗ Tổ \n\tHùng Vương\nEND:VEVENT\nEND:VCALENDAR';
    expect(sut(text)).toEqual([
      { date: '2026-01-01', name: 'Tết Dương lịch' },
      { date: '2026-04-27', name: 'Giỗ Tổ Hùng Vương' },
    ]);
  });

  it('names an event without SUMMARY', () => {
    expect(sut(crlf(['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101', 'END:VEVENT', 'END:VCALENDAR']))).toEqual([
      { date: '2025-01-01', name: 'Ngày nghỉ' },
    ]);
  });

  it.each([
    [['BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101', 'END:VEVENT'], /no BEGIN:VCALENDAR/],
    [['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'SUMMARY:X', 'END:VEVENT', 'END:VCALENDAR'], /line 2: VEVENT 'X' has no DTSTART/],
    [['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250230', 'END:VEVENT', 'END:VCALENDAR'], /line 3: DTSTART '20250230' is not a date/],
    [
      ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101', 'RRULE:FREQ=YEARLY', 'SUMMARY:Tết Dương lịch', 'END:VEVENT', 'END:VCALENDAR'],
      /line 4: RRULE in 'Tết Dương lịch' is not supported/,
    ],
    [
      ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250105', 'DTEND;VALUE=DATE:20250101', 'END:VEVENT', 'END:VCALENDAR'],
      /DTEND of 'Ngày nghỉ' is before its DTSTART/,
    ],
    [['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101', 'END:VCALENDAR'], /END:VCALENDAR does not close BEGIN:VEVENT/],
    [['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101', 'END:VEVENT'], /BEGIN:VCALENDAR is never closed/],
    [['BEGIN:VCALENDAR', 'garbage', 'END:VCALENDAR'], /line 2: 'garbage' is not a content line/],
    [
      ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101', `SUMMARY:${'Nghỉ lễ '.repeat(30)}`, 'END:VEVENT', 'END:VCALENDAR'],
      /line 4: SUMMARY is 239 characters long; a day's name is at most 200/,
    ],
    [['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20250101T080000', 'END:VEVENT', 'END:VCALENDAR'], /does not match VALUE=DATE/],
  ])('refuses a broken file %#', (lines, message) => {
    const run = (): unknown => sut(crlf(lines));
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(message);
  });
});
