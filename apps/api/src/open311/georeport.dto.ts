import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ATTRIBUTE, MAX_DESCRIPTION_CHARS } from '@fr/open311';
import { given, SchemaRules } from '../common/schema-rules';
import { textPattern } from '../common/text.decorators';

/** Schemas of the GeoReport v2 answers, for the OpenAPI description; names and shapes are the specification's. */
export class GeoReportErrorDto {
  @ApiProperty({ example: 400, description: 'the HTTP status' }) code: number;
  @ApiProperty({ example: 'service_code is required; services.json lists them' }) description: string;
}

export class GeoReportEndpointDto {
  @ApiProperty({ example: 'http://wiki.open311.org/GeoReport_v2' }) specification: string;
  @ApiProperty({ example: 'https://phananh.hbt.gov.vn/open311/v2' }) url: string;
  @ApiProperty({ format: 'date-time' }) changeset: string;
  @ApiProperty({ enum: ['production', 'test'] }) type: string;
  @ApiProperty({ type: [String], example: ['application/json', 'text/xml'] }) formats: string[];
}

export class GeoReportDiscoveryDto {
  @ApiProperty({ format: 'date-time' }) changeset: string;
  @ApiProperty() contact: string;
  @ApiProperty({ description: 'how to obtain an api_key' }) key_service: string;
  @ApiProperty({ type: [GeoReportEndpointDto] }) endpoints: GeoReportEndpointDto[];
}

export class GeoReportServiceDto {
  @ApiProperty({ example: 'sanitation', description: 'a category code' }) service_code: string;
  @ApiProperty({ example: 'Vệ sinh môi trường' }) service_name: string;
  @ApiProperty() description: string;
  @ApiProperty({ description: 'true: see the service definition for its attributes' }) metadata: boolean;
  @ApiProperty({ enum: ['realtime'] }) type: string;
}

export class GeoReportAttributeValueDto {
  @ApiProperty({ example: 'BACH_KHOA' }) key: string;
  @ApiProperty({ example: 'Bách Khoa' }) name: string;
}

export class GeoReportAttributeDto {
  @ApiProperty() variable: boolean;
  @ApiProperty({ enum: Object.values(ATTRIBUTE) }) code: string;
  @ApiProperty({ enum: ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'] }) datatype: string;
  @ApiProperty() required: boolean;
  @ApiProperty() datatype_description: string;
  @ApiProperty() order: number;
  @ApiProperty() description: string;
  @ApiProperty({ type: [GeoReportAttributeValueDto] }) values: GeoReportAttributeValueDto[];
}

export class GeoReportServiceDefinitionDto {
  @ApiProperty() service_code: string;
  @ApiProperty({ type: [GeoReportAttributeDto] }) attributes: GeoReportAttributeDto[];
}

export class GeoReportRequestDto {
  @ApiProperty({ example: '7KM3Q-9X2AB', description: 'the tracking code' }) service_request_id: string;
  @ApiProperty({ enum: ['open', 'closed'] }) status: string;
  @ApiProperty({ example: 'resolved: UBND phường đã kiểm tra hiện trường...', description: "the case's own state, and once answered the answer" })
  status_notes: string;
  @ApiProperty() service_name: string;
  @ApiProperty() service_code: string;
  @ApiProperty({ type: String, nullable: true, description: 'the unit handling the case' }) agency_responsible: string | null;
  @ApiProperty({ type: String, nullable: true }) service_notice: string | null;
  @ApiProperty({ format: 'date-time' }) requested_datetime: string;
  @ApiProperty({ format: 'date-time' }) updated_datetime: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the resolve deadline, once the unit has acknowledged the case' })
  expected_datetime: string | null;
  @ApiProperty({ type: String, nullable: true }) address: string | null;
  @ApiProperty({ type: Number, nullable: true }) lat: number | null;
  @ApiProperty({ type: Number, nullable: true }) long: number | null;
  @ApiProperty({ type: String, nullable: true }) media_url: string | null;
}

export class GeoReportCreatedDto {
  @ApiProperty({ example: '7KM3Q-9X2AB' }) service_request_id: string;
  @ApiProperty({ format: 'uuid', description: 'tokens/{token} resolves it to the service_request_id' }) token: string;
  @ApiProperty({ type: String, nullable: true }) service_notice: string | null;
  @ApiProperty({ type: String, nullable: true }) account_id: string | null;
}

export class GeoReportTokenDto {
  @ApiProperty() service_request_id: string;
  @ApiProperty({ format: 'uuid' }) token: string;
}

// Degrees as GeoReport clients write them (a form's text, or a JSON number), within the range intake takes;
// or a text that shows nothing, which counts as left out (a form sends its empty fields).
const BLANK = { type: 'string' as const, not: { pattern: textPattern(['notBlank']) } };
const LATITUDE_TEXT = '^[+-]?(90(\\.0{1,15})?|[1-8]?\\d(\\.\\d{1,15})?)$';
const LONGITUDE_TEXT = '^[+-]?(180(\\.0{1,15})?|(1[0-7]\\d|[1-9]?\\d)(\\.\\d{1,15})?)$';

/** The attributes of a JSON POST given as one object, as `attribute[code]` fields are in a form. */
export class GeoReportAttributesDto {
  @ApiPropertyOptional({ name: ATTRIBUTE.wardCode, description: 'an area code (see the service definition)' }) wardCode?: string;
  @ApiPropertyOptional({ name: ATTRIBUTE.externalId, maxLength: 100, description: 'your own id: the same again answers 200 with the same request' })
  externalId?: string;
  @ApiPropertyOptional({ name: ATTRIBUTE.title, maxLength: 200 }) title?: string;
}

/**
 * The POST arguments (form-encoded per the specification; the same names in JSON are accepted, the
 * attributes also as one `attribute` object). A field sent empty counts as left out; null is not taken.
 */
@SchemaRules(
  { if: given('lat'), then: given('long') },
  { if: given('long'), then: given('lat') },
  {
    anyOf: [
      given('lat'),
      given('address_string'),
      given(`attribute[${ATTRIBUTE.wardCode}]`),
      { required: ['attribute'], properties: { attribute: { required: [ATTRIBUTE.wardCode], properties: { [ATTRIBUTE.wardCode]: { type: 'string' } } } } },
    ],
  },
)
export class GeoReportPostDto {
  @ApiPropertyOptional({ description: "the channel's API key (or the X-Api-Key header); without a valid one: 403" }) api_key?: string;
  @ApiPropertyOptional({ description: 'accepted and ignored: one jurisdiction' }) jurisdiction_id?: string;
  @ApiProperty({ example: 'sanitation' }) service_code: string;
  @ApiPropertyOptional({
    anyOf: [{ type: 'number', minimum: -90, maximum: 90 }, { type: 'string', pattern: LATITUDE_TEXT }, BLANK],
    example: '21.0045',
    description: 'WGS84 degrees, with long (a location is required: lat and long, address_string, or attribute[ward_code])',
  })
  lat?: string | number;
  @ApiPropertyOptional({
    anyOf: [{ type: 'number', minimum: -180, maximum: 180 }, { type: 'string', pattern: LONGITUDE_TEXT }, BLANK],
    example: '105.8466',
    description: 'WGS84 degrees, with lat',
  })
  long?: string | number;
  @ApiPropertyOptional({ maxLength: 500 }) address_string?: string;
  @ApiProperty({ maxLength: MAX_DESCRIPTION_CHARS, minLength: 1 }) description: string;
  @ApiPropertyOptional({ maxLength: 254 }) email?: string;
  @ApiPropertyOptional({ maxLength: 20 }) phone?: string;
  @ApiPropertyOptional({ description: 'family name first: last_name + first_name make the citizen name (at most 200 characters)' }) first_name?: string;
  @ApiPropertyOptional() last_name?: string;
  @ApiPropertyOptional({ maxLength: 2000, description: 'an http(s) URL of a photo' }) media_url?: string;
  @ApiPropertyOptional({ description: 'accepted and not stored' }) device_id?: string;
  @ApiPropertyOptional({ description: 'accepted and not stored' }) account_id?: string;
  @ApiPropertyOptional({ name: `attribute[${ATTRIBUTE.wardCode}]`, description: 'an area code (see the service definition)' }) wardCode?: string;
  @ApiPropertyOptional({
    name: `attribute[${ATTRIBUTE.externalId}]`,
    maxLength: 100,
    description: 'your own id: the same again answers 200 with the same request',
  })
  externalId?: string;
  @ApiPropertyOptional({ name: `attribute[${ATTRIBUTE.title}]`, maxLength: 200 }) title?: string;
  @ApiPropertyOptional({ type: GeoReportAttributesDto, description: 'in JSON, the attributes as one object instead' }) attribute?: GeoReportAttributesDto;
}
