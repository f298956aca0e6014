import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ATTRIBUTE, MAX_DESCRIPTION_CHARS } from '@fr/open311';

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

/** The POST arguments (form-encoded per the specification; the same names in JSON are accepted). */
export class GeoReportPostDto {
  @ApiProperty({ description: "the channel's API key" }) api_key: string;
  @ApiPropertyOptional({ description: 'accepted and ignored: one jurisdiction' }) jurisdiction_id?: string;
  @ApiProperty({ example: 'sanitation' }) service_code: string;
  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    example: '21.0045',
    description: 'with long; or address_string, or attribute[ward_code]',
  })
  lat?: string | number;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }], example: '105.8466' }) long?: string | number;
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
  @ApiPropertyOptional({ name: `attribute[${ATTRIBUTE.externalId}]`, maxLength: 100 }) externalId?: string;
  @ApiPropertyOptional({ name: `attribute[${ATTRIBUTE.title}]`, maxLength: 200 }) title?: string;
}
