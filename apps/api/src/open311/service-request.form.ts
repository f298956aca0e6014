import { plainToInstance } from 'class-transformer';
import { validate, ValidationError as ClassValidationError } from 'class-validator';
import { showsNothing, ValidationError } from '@fr/domain';
import { SubmitFeedbackCommand } from '@fr/intake';
import { ATTRIBUTE, ATTRIBUTE_CODES, MAX_DESCRIPTION_CHARS } from '@fr/open311';
import { SubmitFeedbackDto } from '../intake/feedback.dto';

/** The arguments of GeoReport's POST requests; the others are refused by name. */
const FIELDS = [
  'api_key',
  'jurisdiction_id',
  'service_code',
  'lat',
  'long',
  'address_string',
  'address_id',
  'email',
  'device_id',
  'account_id',
  'first_name',
  'last_name',
  'phone',
  'description',
  'media_url',
] as const;
type Field = (typeof FIELDS)[number];

/** Where each intake field came from, to name it as the client sent it. */
const SOURCE_OF: Record<string, string> = {
  category: 'service_code',
  description: 'description',
  title: `attribute[${ATTRIBUTE.title}]`,
  externalId: `attribute[${ATTRIBUTE.externalId}]`,
  'location.address': 'address_string',
  'location.wardCode': `attribute[${ATTRIBUTE.wardCode}]`,
  'location.lat': 'lat',
  'location.lng': 'long',
  'citizen.name': 'first_name and last_name',
  'citizen.phone': 'phone',
  'citizen.email': 'email',
  'attachments[0].url': 'media_url',
};
const COORDINATE = /^[+-]?\d{1,3}(\.\d{1,15})?$/;

/**
 * A GeoReport POST (form fields, or the same names in JSON; attributes as `attribute[code]` or an
 * `attribute` object) read into the intake command and checked by intake's own rules (the
 * SubmitFeedbackDto), so a request is held to exactly what a channel's POST /v1/feedback is.
 * Empty fields count as absent: form clients send every field of their form. So do fields that show
 * nothing (blanks, zero-width characters): an address_string of spaces passed for a location, and was
 * then dropped as absent, leaving a case located nowhere.
 */
export async function readGeoReportSubmission(body: Record<string, unknown>): Promise<Omit<SubmitFeedbackCommand, 'channel'>> {
  const fields = new Map<Field, string | number>();
  const attributes = new Map<string, string>();
  const text = (name: string, v: unknown): string | number | null => {
    if (Array.isArray(v)) throw new ValidationError(`${name} is given more than once`, [name]);
    // A JSON number is a coordinate's other form; every other field is text, as in a form.
    if ((name === 'lat' || name === 'long') && typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v !== 'string') throw new ValidationError(`${name} must be text`, [name]);
    return showsNothing(v) ? null : v;
  };
  const attribute = (code: string, v: unknown) => {
    if (!ATTRIBUTE_CODES.includes(code)) {
      throw new ValidationError(`unknown attribute '${code.slice(0, 40)}'; the service definition lists ${ATTRIBUTE_CODES.join(', ')}`, [`attribute[${code}]`]);
    }
    const value = text(`attribute[${code}]`, v);
    if (value !== null) attributes.set(code, String(value));
  };
  for (const [key, v] of Object.entries(body ?? {})) {
    const bracket = /^attribute\[([^\]]*)\]$/.exec(key);
    if (bracket) attribute(bracket[1], v);
    else if (key === 'attribute' && v && typeof v === 'object' && !Array.isArray(v)) for (const [code, a] of Object.entries(v)) attribute(code, a);
    else if ((FIELDS as readonly string[]).includes(key)) {
      const value = text(key, v);
      if (value !== null) fields.set(key as Field, value);
    } else throw new ValidationError(`unknown field '${key.slice(0, 40)}'; GeoReport v2 requests take ${FIELDS.join(', ')} and attribute[code]`, [key]);
  }

  const str = (f: Field) => (fields.has(f) ? String(fields.get(f)) : undefined);
  const coordinate = (f: 'lat' | 'long') => {
    const v = fields.get(f);
    if (v === undefined || typeof v === 'number') return v;
    if (!COORDINATE.test(v)) throw new ValidationError(`${f} must be a decimal number of degrees (WGS84), such as 21.0045`, [f]);
    return Number(v);
  };
  if (!str('service_code')) throw new ValidationError('service_code is required; services.json lists them', ['service_code']);
  if (str('address_id')) throw new ValidationError('address_id is not supported: send lat and long, or address_string', ['address_id']);
  const lat = coordinate('lat');
  const lng = coordinate('long');
  if ((lat === undefined) !== (lng === undefined)) throw new ValidationError('lat and long go together: send both or neither', ['lat', 'long']);
  if (lat === undefined && !str('address_string') && !attributes.has(ATTRIBUTE.wardCode)) {
    throw new ValidationError(`a location is required: lat and long, address_string, or attribute[${ATTRIBUTE.wardCode}]`, ['lat', 'long', 'address_string']);
  }
  const description = str('description');
  if (!description) throw new ValidationError('description is required: say what the problem is', ['description']);
  // Counted as stored (NFC): decomposed Vietnamese has up to a third more code points than the same text composed.
  if ([...description.normalize('NFC')].length > MAX_DESCRIPTION_CHARS) {
    throw new ValidationError(`description is longer than the ${MAX_DESCRIPTION_CHARS} characters GeoReport v2 allows`, ['description']);
  }
  // Vietnamese names are written family name first: last_name then first_name.
  const name = [str('last_name'), str('first_name')].filter((s) => s !== undefined).join(' ') || undefined;
  const citizen = { name, phone: str('phone'), email: str('email') };
  const media = str('media_url');

  const dto = plainToInstance(SubmitFeedbackDto, {
    category: str('service_code'),
    description,
    title: attributes.get(ATTRIBUTE.title),
    externalId: attributes.get(ATTRIBUTE.externalId),
    location: { address: str('address_string'), wardCode: attributes.get(ATTRIBUTE.wardCode), lat, lng },
    citizen: Object.values(citizen).some((v) => v !== undefined) ? citizen : undefined,
    attachments: media ? [{ url: media, kind: 'image' }] : undefined,
  });
  const problems = flatten(
    await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: false, value: false } }),
  );
  if (problems.length) {
    throw new ValidationError(
      problems.map((p) => `${p.source}: ${p.problem}`).join('; '),
      problems.map((p) => p.source),
    );
  }
  return {
    externalId: dto.externalId,
    category: dto.category,
    title: dto.title,
    description: dto.description,
    location: dto.location,
    citizen: dto.citizen,
    attachments: dto.attachments,
  };
}

function flatten(errors: ClassValidationError[], parent = ''): { source: string; problem: string }[] {
  return errors.flatMap((e) => {
    const path = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    const source = SOURCE_OF[path] ?? path;
    const own = Object.values(e.constraints ?? {}).map((problem) => ({ source, problem: problem.replace(new RegExp(`^${e.property}\\b`), source) }));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}
