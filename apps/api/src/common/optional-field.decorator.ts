import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';

/**
 * An optional field, where `null` means the same as leaving the field out: many JSON serialisers
 * write null for an unset property, and class-validator's IsOptional let null through to the use
 * cases, which read it as a value (a 500). Fields where null has a meaning of its own (clearing a
 * designation or a webhook) say so with ValidateIf instead.
 */
export const OptionalField = () =>
  applyDecorators(
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (value === null ? undefined : value)),
  );
