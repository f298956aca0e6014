import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { OptionalField } from './optional-field.decorator';
import { MaxLength, NoControlChars, NormaliseText, NotBlank } from './text.decorators';

/**
 * A channel's own id of what it sends, which makes a retry safe (the same id again is the same thing):
 * one rule for every body that takes one, so feedback and data requests cannot drift apart.
 */
export function ChannelExternalId(sameAgain: string): PropertyDecorator {
  // Listed as they would be stacked above the property; decorators apply from the bottom up. Not Nest's
  // applyDecorators, which does the same: its types refuse class-validator-style (object, name) decorators.
  const stacked: ((target: object, key: string) => void)[] = [
    ApiPropertyOptional({ maxLength: 100, description: `the channel's own id; the same id again ${sameAgain}` }),
    OptionalField(),
    IsString(),
    NormaliseText(),
    MaxLength(100),
    NotBlank(),
    NoControlChars(),
  ];
  return (target, key) => {
    for (const decorate of [...stacked].reverse()) decorate(target, key as string);
  };
}
