import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** class-validator's checks of a value's type; when one fails, the field's other checks only say the same thing again. */
const TYPE_CHECKS = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject', 'isEnum']);

/**
 * A field's problems: its type's alone when the type is wrong (`"score": "5"` was told "must be from 1
 * to 5" twice, for a value in range), each said once.
 */
function problemsOf(constraints: Record<string, string>): string[] {
  const typeOnly = Object.entries(constraints).filter(([key]) => TYPE_CHECKS.has(key));
  return [...new Set((typeOnly.length ? typeOnly : Object.entries(constraints)).map(([, message]) => message))];
}

function flatten(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    const own = e.constraints ? [{ field, problems: problemsOf(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const MAX_PROBLEMS = 50;

/** Whitelisted, no unknown fields; the message names each field and what is wrong with it (the first 50). */
export function buildValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const all = flatten(errors);
      // The first problems are enough to mend a request; a list as long as a hostile body is not.
      const list = all.slice(0, MAX_PROBLEMS);
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
