import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { MAX_PROBLEMS_LISTED } from '@fr/domain';
import { cacheValidationRules } from './validation-rules-cache';

/** class-validator's checks of a value's type; when one fails, the field's other checks only say the same thing again. */
const TYPE_CHECKS = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject', 'isEnum']);

/**
 * A field's problems: its type's alone when the type is wrong (`"score": "5"` was told "must be from 1
 * to 5" twice, for a value in range), each said once.
 */
function problemsOf(constraints: Record<string, string>, takes: string): string[] {
  const typeOnly = Object.entries(constraints).filter(([key]) => TYPE_CHECKS.has(key));
  return [
    ...new Set(
      (typeOnly.length ? typeOnly : Object.entries(constraints)).map(([key, message]) =>
        key === 'whitelistValidation' && takes ? `${message}: ${takes}` : message,
      ),
    ),
  ];
}

/** "it takes a, b, c": the fields of the object that held an unknown one (its class's validated properties). */
function fieldsTaken(holder: object | undefined): string {
  const cls = holder?.constructor;
  if (typeof cls !== 'function' || cls === Object) return '';
  const names = [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(cls, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
  return names.length ? `it takes ${names.join(', ')}` : '';
}

/** `described`: the objects whose fields a problem already listed (once an object, not for each unknown field of it). */
function flatten(errors: ValidationError[], parent = '', described = new Set<object>()): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    let takes = '';
    if (e.constraints?.whitelistValidation && e.target && !described.has(e.target)) {
      described.add(e.target);
      takes = fieldsTaken(e.target);
    }
    // A required field left out failed every check it has; "category must be a string" for a body without
    // category did not say that it was missing.
    const missing =
      e.constraints !== undefined && !e.constraints.whitelistValidation && (e.target as Record<string, unknown> | undefined)?.[e.property] === undefined;
    const own = e.constraints ? [{ field, problems: missing ? [`${field} is required`] : problemsOf(e.constraints, takes) }] : [];
    return [...own, ...flatten(e.children ?? [], field, described)];
  });
}

/** Whitelisted, no unknown fields; the message names each field and what is wrong with it (the first 50). */
export function buildValidationPipe(): ValidationPipe {
  cacheValidationRules();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // The target (the object validated) reaches exceptionFactory only, which names its fields when it holds an
    // unknown one; the answer carries neither it nor the value.
    validationError: { target: true, value: false },
    exceptionFactory: (errors) => {
      const all = flatten(errors);
      // The first problems are enough to mend a request; a list as long as a hostile body is not.
      const list = all.slice(0, MAX_PROBLEMS_LISTED);
      const more = all.length - list.length;
      const joined = list
        .map(({ field, problems }) => problems.map((p) => (p.startsWith(field) || p.includes(`property ${field}`) ? p : `${field}: ${p}`)).join('; '))
        .join('; ');
      // First, not last: the message is cut at 500 characters.
      const message = more > 0 ? `${all.length} problems, the first ${list.length} in errors: ${joined}` : joined;
      return new BadRequestException({ message: message || 'invalid request body', errors: list });
    },
  });
}
