import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

function flatten(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
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
