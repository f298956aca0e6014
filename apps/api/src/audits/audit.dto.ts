import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

export class VerifyQueryDto {
  @ApiPropertyOptional({ description: 'first event id to check (default: the first event)' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'fromId must be a positive event id' })
  fromId?: string;

  @ApiPropertyOptional({ description: 'last event id to check (default: the chain head)' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'toId must be a positive event id' })
  toId?: string;
}
