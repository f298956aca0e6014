import { foldVietnamese } from './text';

/**
 * Masks for citizens' contact details, for every response whose reader may not see them. Enough is
 * kept for an officer to recognise a repeat caller ("Nguyễn T. H.", "09******78"), not to reach them.
 */
export function maskName(name: string | null): string | null {
  if (!name) return null;
  const parts = name.trim().split(/\s+/);
  // A one-word name would otherwise be shown whole.
  if (parts.length === 1) return `${[...parts[0]][0]}.`;
  return parts.map((p, i) => (i === 0 ? p : `${[...p][0]}.`)).join(' ');
}

export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}

export function maskEmail(email: string | null): string | null {
  if (!email) return null;
  const [local, domain] = email.split('@');
  return `${[...local][0] ?? ''}***@${domain ?? ''}`;
}

/**
 * Vietnamese phone numbers as people write them: mobiles (0912345678, 0912 345 678, 091.234.5678,
 * 0912_345_678, 0912 - 345 - 678, +84 912 345 678, 84912345678) and landlines with their area code
 * (024 3825 1234): a national prefix (0, 84 or +84) and 9 or 10 more digits, with up to three
 * spaces, tabs, dots, underscores or dashes between them, not inside a longer run of digits.
 * A word may run into the number ("sđt0912345678", "ĐT:0912345678"), except a hex digit (below).
 */
// Not after a hex letter, nor followed by a letter or digit: inside an identifier (a UUID's hex
// groups look like '0123-4567-89ab', 'e09123456789') a run of digits is not a phone number. Not
// after a digit and a decimal point either ("21.0285 105.8542" is a place). Neither a slash nor a
// comma separates: "01/02/2026 09 giờ" is a date and an hour, and "thửa số 01, 02, 03, 04, 05",
// "0,5 0,5 0,5 0,5 0,5" and "84,500,000,000 đồng" are lists and amounts; each was masked as a number.
// 0084 is +84 dialled from abroad; any dash (a non-breaking hyphen U+2011 too, \p{Pd}) separates.
// Nor where a date begins ("08-12-2026 07 giờ 30", "12-07-2026 09 30": a date and an hour read as a mobile's
// ten digits): no one writes a phone number in twos and a year.
const PHONE_IN_TEXT =
  /(?<![\p{N}+a-fA-F]|\p{N}[.,])(?!0\d([-./])(?:\d\d?\1)?(?:19|20)\d\d(?!\d))(?:\(?(?:\+|00)84\)?|84|\(?0)(?:[ \t._)\p{Pd}]{0,3}\d){9,10}(?![\p{L}\p{N}])/gu;
/**
 * A citizen identity card's number (CCCD, Circular 59/2021/TT-BCA: 12 digits, the first three the
 * province of birth, 001 to 096), written whole. After a dash too ("VNeID-001…": iHaNoi's accounts are
 * VNeID's, whose id is the CCCD, and integrators make externalIds of it), unless it is a UUID's last group.
 */
const ID_NUMBER_IN_TEXT = /(?<![\p{N}+a-fA-F]|\p{N}[.,]|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-)0\d{11}(?![\p{L}\p{N}])/gu;
/**
 * A CCCD written in groups, as citizens copy it from the card or a form: "001 190 012 345", "0011-9001-2345",
 * "001190-012345", "001.190.012.345", "0011 - 9001 - 2345", "0011_9001_2345" (a photo's file name). Two to
 * five groups, one separator throughout, the first group holding the province code whole (three digits or
 * more), and twelve digits in all counting every group the separator joins (GROUPED_ID_DIGITS): the
 * groups of a bank card ("0123 4567 8901 2345"), of a UUID ("…-0123-4567-8901-…") and a run of dates
 * and hours ("07-12-2026 08-30") are longer, shorter or begin with two digits, and stay (a card's last three groups,
 * after its first and a space, are twelve digits: partOfACard keeps them). An amount
 * ("012.345.678.901 đồng") stays too, and so does an area ("012 345 678 901 m2": m² reads as m2 once folded).
 * A nine-digit CMND alone is not looked for: without its name before it ("CMND 012 345 678", KEYED_ID_IN_TEXT)
 * nine digits are as often an amount, a count, a zero-padded code or a bank account (VPBank's are nine digits),
 * and a CMND may begin with 0, 1, 2 or 3 as they do.
 * "đồng" after it is the currency unless it begins a word ("đồng ý", "đồng thời"): a card number followed
 * by "đồng ý" was kept as an amount (after "CCCD", masked in part as a CMND's nine digits).
 */
const NOT_A_QUANTITY = String.raw`(?![ \t]*(?:đồng(?![ \t]+(?:ý|thời|chí|bào|nghiệp|hành|tình|thuận|loạt|hồ)(?![\p{L}\p{N}]))|đ|vnđ|vnd|usd|triệu|nghìn|ngàn|m2|m3|km2|mét vuông|mét khối|met vuong|met khoi)(?![\p{L}\p{N}]))`;
const GROUPED_ID_IN_TEXT = new RegExp(
  String.raw`(?<![\p{L}\p{N}+]|\p{N}[._,:/\p{Pd}]|\p{N} \p{Pd} |[0-9a-fA-F]{4}\p{Pd})0\d{2,}(?:( \p{Pd} |[ ._\p{Pd}])\d+)(?:\1\d+){0,3}(?![\p{L}\p{N}]|\1\p{N}|\p{Pd}[\p{L}\p{N}]|[.,:/]\p{N})${NOT_A_QUANTITY}`,
  'giu',
);
/**
 * A CCCD in three groups of four digits or four of three, whatever separates them: mixed ("001-190.012 345"),
 * slashes ("0011/9001/2345"), tabs, two spaces or more. Each was shown whole. Only a whole run is one: not
 * after a digit and a separator (spaces alone excepted: partOfACard), nor followed by one and a digit (a bank card's
 * "0123-4567 8901.2345", hours "0730-1130 / 1330-1700"), so the exclusions of GROUPED_ID_IN_TEXT hold; groups of three or four digits
 * that come to twelve are three of four or four of three.
 */
// A dot right after a digit and before a space or tab ends a sentence or a list number ("năm 1990. 001-190.012 345",
// "1. 001-190.012 345", "…2345. 100 người"): read as a separator, it joined the CCCD to that number, which was shown whole;
// before the number (the look-behind of LOOSELY_GROUPED_ID_IN_TEXT), it is not taken for one either.
const ID_SEPARATOR = String.raw`(?:[ \t]{1,3}(?:[._/\p{Pd}][ \t]{0,3})?|\.(?![ \t])|[_/\p{Pd}][ \t]{0,3})`;
const LOOSELY_GROUPED_ID_IN_TEXT = new RegExp(
  String.raw`(?<![\p{L}\p{N}+]|\p{N}[,:]|\p{N}[ \t]{0,3}(?:[_/\p{Pd}]|\.(?![ \t]))[ \t]{0,3}|[0-9a-fA-F]{4}\p{Pd})0\d{2,3}(?:${ID_SEPARATOR}\d{3,4}){2,3}(?![\p{L}\p{N}]|${ID_SEPARATOR}\p{N}|\p{Pd}\p{L}|[,:]\p{N})${NOT_A_QUANTITY}`,
  'giu',
);
const GROUPED_ID_DIGITS = 12;
/**
 * Rooms listed in a row after "phòng" ("phòng 0101 - 0102 - 0103", "phòng số 010-011-012-013"): each group one
 * more than the one before, all as wide. The number alone is a CCCD's as much as any (010 Lào Cai, 1 a woman
 * born in the 1900s, 01 the year), so both the word and the run are asked for: a card number after "phòng" is
 * masked, and so are numbers in a row without it ("0012 - 0013 - 0014" is a man's born in Hà Nội in 2000).
 * Nothing tells other groups that make a CCCD from one ("0012 0034 0056", three codes or a card): they are masked.
 */
const ROOM_BEFORE = /(?<![\p{L}\p{N}])(?:phòng|phong)(?:[ \t]{1,3}(?:số|so))?[ \t.:]{0,3}$/iu;
function roomsInARow(found: string, before: string): boolean {
  if (!ROOM_BEFORE.test(before)) return false;
  const groups = found.match(/\d+/g) ?? [];
  return groups.every((g, i) => i === 0 || (g.length === groups[i - 1]?.length && Number(g) === Number(groups[i - 1]) + 1));
}
/**
 * A bank card's last twelve digits ("9704 0123 4567 8901") are a CCCD's shape: three groups of four after a
 * group of four that stands alone. Only the card is kept whole: a number after another and a space was never
 * looked at, which kept the cards whole and showed a CCCD after a date ("ngày 07/12/2026 0011 9001 2345": the
 * year is a date's, not a group standing alone) or after a short number ("Tổ 5 0011 9001 2345") whole.
 */
const CARD_GROUP_BEFORE = /(?<![\p{L}\p{N}]|\p{N}[^\p{L}\p{N}\s]?[ \t]*)\d{4}[ \t]+$/u;
function partOfACard(found: string, before: string): boolean {
  return /^\d{4}(?:\D+\d{4}){2}$/.test(found) && CARD_GROUP_BEFORE.test(before);
}
function groupedId(found: string, before: string): boolean {
  return found.replace(/\D/g, '').length === GROUPED_ID_DIGITS && !roomsInARow(found, before) && !partOfACard(found, before);
}
/**
 * A number named as an identity document's (not an amount: "lệ phí hộ chiếu 12.000.000 đồng"): an old identity card (CMND, 9 digits), a CCCD written in
 * groups of dashes, a passport (a letter and 7 digits), a personal identification number. After its
 * name ("CMND", "CCCD", "CMT", "căn cước", "chứng minh", "định danh", "hộ chiếu", each with or without
 * diacritics, "số" or a colon between) any run of 8 to 12 digits is one: ID_NUMBER_IN_TEXT alone took
 * only a CCCD's 12 digits, and "CMND 012345678" was shown as written.
 */
const KEYED_ID_IN_TEXT =
  /(?<=(?:cmtnd|cmnd|cccd|cmt|căn cước(?: công dân)?|can cuoc(?: cong dan)?|chứng minh(?: nhân dân| thư(?: nhân dân)?)?|chung minh(?: nhan dan| thu(?: nhan dan)?)?|định danh(?: cá nhân)?|dinh danh(?: ca nhan)?|hộ chiếu|ho chieu|passport)[^\p{L}\p{N}]{0,3}(?:(?:số|so|no)\.?[^\p{L}\p{N}]{0,3})?)(?:\p{L}\d{7}|\d(?:[ .\p{Pd}]?\d){7,11})(?![\p{L}\p{N}])(?![ \t]*(?:đồng(?![ \t]+(?:ý|thời|chí|bào|nghiệp|hành|tình|thuận|loạt|hồ)(?![\p{L}\p{N}]))|đ|vnđ|vnd|usd|triệu|nghìn|ngàn)(?![\p{L}\p{N}]))/giu;
// A match starts only where a local part can: without the lookbehind, each position of a long run of
// letters or digits with no '@' began a scan to the run's end, quadratic (16 s on 100 KB of digits,
// 0.55 s on a 5,000-character description); with it, linear.
const EMAIL_IN_TEXT = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

/** Which phone numbers and e-mail addresses found in a text are masked: by default, every one. */
export type ContactMasking = (kind: 'phone' | 'email', found: string) => boolean;
const EVERY_CONTACT: ContactMasking = () => true;

/**
 * For a text an office writes to the citizen about where to turn (a redirection's `whereToGo`), read by the
 * citizen and by Open311's keyless readers: an office's landline and its gov.vn address stay readable, the one
 * thing the citizen needed (masking every number hid them); every mobile number and every other e-mail address
 * is masked, as are the citizens' own contacts whatever they are (the case's, and in a merged group every
 * member's), names and ID numbers. Masking the citizens' own only left a number they had since corrected, or a
 * neighbour's, in clear. A match that holds an own number or address is masked: the phone pattern runs on over a
 * digit after a space ("0912345678 2 lần" is one match of 11 digits) and the e-mail pattern over letters after
 * the address ("...@gmail.comđể").
 */
export function officeContactsReadable(...owners: readonly { phone: string | null; email: string | null }[]): ContactMasking {
  // A number's digits after its national prefix: what any written form of it holds.
  const phones = owners.flatMap((o) => normalisePhone(o.phone)?.slice(1) ?? []);
  const emails = owners.flatMap((o) => o.email?.normalize('NFKC').trim().toLowerCase() || []);
  return (kind, found) => {
    if (kind === 'phone') {
      const digits = found.normalize('NFKC').replace(/\D/g, '');
      if (phones.some((p) => digits.includes(p))) return true;
      // Landlines are 02x (eleven digits); a mobile (03, 05, 07, 08, 09) or anything else read is someone's.
      return !normalisePhone(found)?.startsWith('02');
    }
    const address = found.toLowerCase();
    if (emails.some((e) => address.includes(e))) return true;
    return !/[@.]gov\.vn$/.test(address);
  };
}

/**
 * Free text (a description, an answer, a note) for a reader without contact rights: citizens write
 * their numbers and addresses into it, so each phone number and e-mail address in it is masked by
 * the same rule as the contact fields, and so is each of `names` (the case's citizen's, and for a
 * duplicate closed with its original's answer the original's): handlers write "đã liên hệ ông Trần
 * Văn Hùng" into answers, which reached the keyless Open311 reads and the other citizen of a merged
 * duplicate whole. The rest of the text is left as written (a reader sees the answer the handler
 * wrote: "m²", "①", an emoji joined by zero-width joiners), except for the direction controls, which
 * could make a masked text read otherwise than it is.
 */
export function maskContactsInText(text: string, names?: readonly (string | null)[], masks?: ContactMasking): string;
export function maskContactsInText(text: string | null, names?: readonly (string | null)[], masks?: ContactMasking): string | null;
export function maskContactsInText(text: string | null, names: readonly (string | null)[] = [], masks: ContactMasking = EVERY_CONTACT): string | null {
  if (!text) return text;
  const { folded, from: fromOf, to: toOf } = foldWithOrigins(text);
  let spans: Span[] = [];
  const add = (re: RegExp, mask: (m: string) => string, kind?: 'phone' | 'email', holds: (m: string, before: string) => boolean = () => true) => {
    spans = withFound(spans, function* () {
      for (const m of folded.matchAll(re)) {
        // What comes before is read only as far as a word before the number (ROOM_BEFORE).
        if (!holds(m[0], folded.slice(Math.max(0, m.index - 16), m.index))) continue;
        const from = fromOf(m.index);
        const to = toOf(m.index + m[0].length - 1);
        // A number kept is still claimed, so a shorter pattern (an ID number's) does not mask part of it.
        yield { from, to, mask: () => (kind && !masks(kind, m[0]) ? text.slice(from, to) : mask(m[0])) };
      }
    });
  };
  add(EMAIL_IN_TEXT, (m) => maskEmail(m)!, 'email');
  add(KEYED_ID_IN_TEXT, (m) => (/^\p{L}/u.test(m) ? `${m[0]}*****${m.slice(-2)}` : maskPhone(m)!));
  add(ID_NUMBER_IN_TEXT, (m) => maskPhone(m)!);
  add(GROUPED_ID_IN_TEXT, (m) => maskPhone(m)!, undefined, groupedId);
  add(LOOSELY_GROUPED_ID_IN_TEXT, (m) => maskPhone(m)!, undefined, groupedId);
  add(PHONE_IN_TEXT, maskPhoneInText, 'phone');
  const named = names.filter((n): n is string => !!n && namePattern(n) !== null);
  if (named.length) {
    // Names are looked for in the text without diacritics or case, so "Trần Văn Hùng", "TRAN VAN HUNG"
    // and a name stored as "Tran Van Hung" find each other, and so do "Hoà" and "Hòa".
    const plain = lettersWithOrigins(folded);
    for (const name of named) {
      spans = withFound(spans, function* () {
        for (const m of plain.folded.matchAll(namePattern(name)!)) {
          const from = fromOf(plain.from(m.index));
          let to = toOf(plain.to(m.index + m[0].length - 1) - 1);
          // The accents of the name's last letter, when the text is decomposed (NFD), go with it.
          while (to < text.length && /\p{M}/u.test(text[to])) to++;
          yield { from, to, mask: () => maskName(name)! };
        }
      });
    }
  }
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.from) + s.mask;
    at = s.to;
  }
  return (out + text.slice(at)).replace(DIRECTION_CONTROLS, '');
}

type Span = { from: number; to: number; mask: string };

/**
 * The spans kept so far (in order, apart) with those one pattern found (in order), each unless it overlaps
 * one kept or found before it: a merge. Each found span checked against every span kept, a text dense with
 * numbers (6,250 CCCDs in 100 KB, each found by two patterns) took 60-95 ms, growing as the square of the matches.
 */
function withFound(spans: readonly Span[], found: () => Iterable<{ from: number; to: number; mask: () => string }>): Span[] {
  const out: Span[] = [];
  let k = 0;
  for (const { from, to, mask } of found()) {
    while (k < spans.length && spans[k].to <= from) out.push(spans[k++]);
    if (k < spans.length && spans[k].from < to) continue;
    // One this pattern found just before may end inside this one (a character folded into two: "½", "⑫").
    if (out.length && out[out.length - 1].to > from) continue;
    out.push({ from, to, mask: mask() });
  }
  while (k < spans.length) out.push(spans[k++]);
  return out;
}

const namePatternsKept = new Map<string, RegExp | null>();

/**
 * Where a citizen's name stands in a text folded by lettersWithOrigins: its words without diacritics, in
 * lower case, any spacing between them, as a whole name, not inside a longer word. A name of one word
 * ("Hoa", "An") is also an everyday word, so it is not looked for (null): masking it garbled answers.
 */
function namePattern(name: string): RegExp | null {
  let pattern = namePatternsKept.get(name);
  if (pattern === undefined) {
    const words = foldVietnamese(name).split(' ').filter(Boolean);
    // A name entered with its form of address ("Ông Trần Văn Hùng") is written without it in answers.
    while (words.length > 2 && HONORIFICS.has(words[0])) words.shift();
    const gap = '[^\\p{L}\\p{N}]+';
    const whole = words.join(gap);
    // Three words or more: also the family and given names alone ("ông Trần Hùng"), as officers shorten
    // them; four or more, also without the first middle name ("Nguyễn Hồng Nhung" for "Nguyễn Thị Hồng
    // Nhung": "Thị" and "Văn" are the ones dropped most).
    const short =
      (words.length >= 3 ? `|${words[0]}${gap}${words[words.length - 1]}` : '') + (words.length >= 4 ? `|${[words[0], ...words.slice(2)].join(gap)}` : '');
    pattern = words.length < 2 ? null : new RegExp(`(?<![\\p{L}\\p{N}])(?:${whole}${short})(?![\\p{L}\\p{N}])`, 'gu');
    if (namePatternsKept.size >= 10_000) namePatternsKept.clear();
    namePatternsKept.set(name, pattern);
  }
  return pattern;
}

/** Forms of address written before a name (folded): ông, bà, anh, chị, cô, chú, bác, em, cụ. */
const HONORIFICS = new Set(['ong', 'ba', 'anh', 'chi', 'co', 'chu', 'bac', 'em', 'cu']);

/**
 * The text's letters as foldVietnamese reads them (no diacritics, lower case, đ as d), character by
 * character, with where each came from: a combining mark folds to nothing, a letter to one letter.
 */
function lettersWithOrigins(text: string): FoldedText {
  // eslint-disable-next-line no-control-regex -- ASCII: each character folds to itself in lower case
  if (/^[\x00-\x7f]*$/.test(text)) return { folded: text.toLowerCase(), from: (k) => k, to: (k) => k + 1 };
  return foldByCharacter(text, (ch) =>
    ch
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/[đĐðÐ]/g, 'd')
      .toLowerCase(),
  );
}

/**
 * A number in brackets, "(0944 777 888)", is matched with its opening bracket (which may open an
 * area code, "(024) 3826 1234"): the bracket stays unless it closes inside the number.
 */
function maskPhoneInText(m: string): string {
  return (m.startsWith('(') && !m.includes(')') ? '(' : '') + maskPhone(m)!;
}

const FORMAT_CHARACTER = /\p{Cf}/u;

/** Bidirectional embeddings, overrides and isolates (and the marks): shown, they reorder what is read. */
const DIRECTION_CONTROLS = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/**
 * The text as the masks read it: format characters (zero-width spaces, direction marks: \p{Cf})
 * removed and compatibility forms folded (NFKC: full-width digits to ASCII, a no-break space to a
 * space), character by character, with where each folded unit came from in the text. Written with
 * those, `0912\u200b345\u200b678`, `０９１２３４５６７８` and `0 912 345 678` (no-break spaces) were shown
 * unmasked. A match in the folded text masks the whole stretch of the text it came from.
 */
function foldWithOrigins(text: string): FoldedText {
  // Most texts fold to themselves (NFC Vietnamese is its own NFKC): then each unit comes from itself.
  // Measured on a 2,000-character description: 1 us to tell, against 335 us character by character.
  if (!FORMAT_CHARACTER.test(text) && text.normalize('NFKC') === text) return { folded: text, from: (k) => k, to: (k) => k + 1 };
  return foldByCharacter(text, (ch) => (FORMAT_CHARACTER.test(ch) ? '' : ch.normalize('NFKC')));
}

/** A text folded one character at a time, with the stretch of the text each folded unit came from. */
type FoldedText = { folded: string; from: (k: number) => number; to: (k: number) => number };

function foldByCharacter(text: string, fold: (ch: string) => string): FoldedText {
  let folded = '';
  const start: number[] = [];
  const end: number[] = [];
  let i = 0;
  for (const ch of text) {
    const at = i;
    i += ch.length;
    const f = fold(ch);
    folded += f;
    for (let k = 0; k < f.length; k++) {
      start.push(at);
      end.push(i);
    }
  }
  return { folded, from: (k) => start[k], to: (k) => end[k] };
}

function withoutFormatCharacters(text: string): string {
  return text.replace(/\p{Cf}/gu, '');
}

/**
 * The text as a reader sees it: without format characters (zero-width spaces and joiners, the BOM,
 * soft hyphens, direction marks: Unicode's Cf), trimmed. Sixty zero-width spaces made an answer long
 * enough, and a description of nothing but them was not blank.
 */
export function visibleText(text: string): string {
  return withoutFormatCharacters(text).trim();
}

/** Text that shows nothing: whitespace, format characters (zero-width spaces), combining marks over no letter. */
export function showsNothing(text: string): boolean {
  return visibleText(text).replace(/\p{M}/gu, '').trim() === '';
}

/**
 * Citizens' most common complaint is a vague answer without substance ("đã xử lý"). An answer must
 * say what was done: a minimum length and number of different words, most of them words rather than
 * numbers, so neither a bare acknowledgement repeated to length ("Đã xử lý. Đã xử lý. ...") nor a
 * count from 1 to 20 passes.
 */
export const ANSWER_MIN_CHARS = 50;
export const ANSWER_MIN_WORDS = 10;
export function answerProblem(answer: string): string | null {
  const text = visibleText(answer);
  const words = new Set(
    text
      .split(/\s+/)
      .map((w) => w.toLocaleLowerCase('vi').replace(/[^\p{L}\p{N}]/gu, ''))
      .filter((w) => w !== ''),
  );
  const lettered = [...words].filter((w) => /\p{L}/u.test(w)).length;
  if ([...text].length < ANSWER_MIN_CHARS || words.size < ANSWER_MIN_WORDS || lettered < ANSWER_MIN_WORDS / 2) {
    return `answer must say what was done and with what result (at least ${ANSWER_MIN_CHARS} characters and ${ANSWER_MIN_WORDS} different words, not a phrase repeated); a bare 'đã xử lý' is not an answer`;
  }
  return null;
}

/**
 * A phone number as one key, whichever way it was written: digits only, the international prefix
 * (+84, 84, 0084) read as the national 0; full-width digits read as digits. Null when what remains is not 9 to 11 digits. Used to find a
 * caller's cases by exact match (never a partial one).
 * The national 0 is kept once: written after the country code ('+84 (0)912 345 678', as business cards
 * and e-mail signatures have it) it was kept as well, and a number said or typed without it
 * ('912 345 678': every Vietnamese number has it) went without; each was a key of its own, so the
 * hotline did not find the caller by the number as they say it.
 */
export function normalisePhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  let digits = phone.normalize('NFKC').replace(/\D/g, '');
  // 0084: +84 as dialled from abroad.
  if (digits.startsWith('0084') && digits.length >= 13) digits = digits.slice(2);
  if (digits.startsWith('84') && digits.length >= 11) digits = `0${digits.slice(2).replace(/^0/, '')}`;
  // A mobile (9 digits after the 0) or a landline (10) without its national 0.
  else if (/^[1-9]\d{8,9}$/.test(digits)) digits = `0${digits}`;
  return /^\d{9,11}$/.test(digits) ? digits : null;
}

/**
 * The forms normalisePhone gave the same number before it kept the national 0 once: the keys of cases
 * stored then, which the hotline's search looks up beside the number's own.
 */
export function earlierPhoneForms(normalised: string): string[] {
  if (!/^0[1-9]\d{8,9}$/.test(normalised)) return [];
  // '+84 (0)…' kept its 0 (a landline's twelve digits were no number, and no key); a number without its 0 stayed so.
  return [`0${normalised}`, normalised.slice(1)].filter((form) => form.length <= 11);
}
