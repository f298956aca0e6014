import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { CASE_STATES } from '@fr/domain';

export class FieldErrorDto {
  @ApiProperty({
    example: 'location.wardCode',
    description:
      "the field, as a path into the body (`location.lat`, `attachments[0].url`) or a query parameter; in a CSV import a line's column (`line 3.as_of`), the line as a whole (`line 3`) or the file (`csv`)",
  })
  field: string;

  @ApiProperty({ type: [String], example: ["location.wardCode 'BK' is not a known area code; GET /v1/areas lists them"] })
  problems: string[];
}

export class UnitCalendarGapDto {
  @ApiProperty({ example: 'P_MINH_KHAI' }) unit: string;
  @ApiProperty({ type: 'integer', example: 2028 }) year: number;
}

export class DependencyCheckDto {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiPropertyOptional({ example: 'timeout after 2000 ms' }) message?: string;
  @ApiPropertyOptional({ type: [Number], example: [2028], description: "calendar check: the years the district's working calendar lacks that matter now" })
  missingYears?: number[];
  @ApiPropertyOptional({
    type: [UnitCalendarGapDto],
    description: 'calendar check: the years that matter now missing from the calendar of a unit that has one of its own',
  })
  unitsMissing?: UnitCalendarGapDto[];
  @ApiPropertyOptional({
    type: [Number],
    example: [2027],
    description: "calendar check: the years that matter now whose district calendar is provisional (the government's notice not typed in yet)",
  })
  provisionalYears?: number[];
  @ApiPropertyOptional({ type: [UnitCalendarGapDto], description: "calendar check: the same for units' own calendars" })
  unitsProvisional?: UnitCalendarGapDto[];
}

/** The one shape every error leaves in (HttpErrorFilter writes it). */
export class ErrorDto {
  @ApiProperty({ type: 'integer', example: 422, description: 'the HTTP status, repeated' })
  statusCode: number;

  @ApiProperty({ example: 'Unprocessable Entity', description: "the status's reason phrase" })
  error: string;

  @ApiProperty({
    example: "location.wardCode 'BK' is not a known area code; GET /v1/areas lists them",
    description: 'what is wrong, in one sentence that names the field or the state',
  })
  message: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'each field that is wrong and why: validation errors (400) and unknown codes (422)' })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({ enum: CASE_STATES, description: "the case's current state, when it does not allow the action (409)" })
  state?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DependencyCheckDto' },
    description: 'GET /health answering 503: the result of each dependency check',
  })
  checks?: Record<string, DependencyCheckDto>;
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } } };

/** What each status means across the API; an operation may say more about its own cases. */
export const ERROR_MEANINGS: Record<ErrorStatus, string> = {
  400: 'the request is malformed (JSON, UTF-8, a parameter or a field): `message` says what is wrong and `errors` names each field',
  401: 'missing or invalid credentials',
  403: "the caller's role may not do this",
  404: "not found, or outside the caller's scope",
  409: 'conflicts with the current state',
  413: 'the body is larger than the 256 kB allowed',
  415: 'the body is not JSON (send Content-Type: application/json)',
  422: 'well-formed, but names something unknown or refused',
  429: 'too many requests: from this caller at once (its channel key, or without credentials its address), or in a window; Retry-After says when to try again',
  503: 'PostgreSQL or Redis is unavailable or busy (a request undone for meeting another at the same records), or the server is working on as many requests as it takes at once: Retry-After says when to try again',
};

/** An error status's meaning here, and whether the answer carries Retry-After where the status usually does not. */
export type ErrorMeaning = string | { description: string; retryAfter: true };

/**
 * Declares error responses with the shared ErrorDto body: `ApiErrors(403, 404)` with the usual
 * meanings, or `ApiErrors({ 409: 'the username is taken' })` to say what the status means here
 * (`{ 409: { description, retryAfter: true } }` when that answer may carry Retry-After, as 429 and 503 always do).
 */
export function ApiErrors(...specs: (ErrorStatus | Partial<Record<ErrorStatus, ErrorMeaning>>)[]) {
  const entries = specs.flatMap((s) =>
    typeof s === 'number'
      ? [[s, ERROR_MEANINGS[s], false] as const]
      : (Object.entries(s) as [string, ErrorMeaning][]).map(
          ([k, v]) => [Number(k) as ErrorStatus, typeof v === 'string' ? v : v.description, typeof v !== 'string' && v.retryAfter] as const,
        ),
  );
  return applyDecorators(
    ...entries.map(([status, description, retryAfter]) =>
      ApiResponse({ status, description, type: ErrorDto, ...(retryAfter || status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}) }),
    ),
  );
}
