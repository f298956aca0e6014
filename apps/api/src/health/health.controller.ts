import { Controller, Get, Inject, OnModuleDestroy } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { describeCalendarGap, describeProvisionalYear } from '@fr/domain';
import { createRedisClient, RedisClient } from '@fr/queue';
import { CalendarCoverage } from '@fr/sla';
import { ApiErrors } from '../common/error.dto';

const CHECKS = { type: 'object' as const, additionalProperties: { $ref: '#/components/schemas/DependencyCheckDto' } };

/** What @nestjs/terminus answers when every check is up. */
export class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
  @ApiProperty({ ...CHECKS, description: 'the checks that are up' }) info: Record<string, unknown>;
  @ApiProperty({ ...CHECKS, description: 'the checks that are down (none)' }) error: Record<string, unknown>;
  @ApiProperty({ ...CHECKS, example: { postgres: { status: 'up' }, redis: { status: 'up' }, calendar: { status: 'up' } } }) details: Record<string, unknown>;
}

@ApiTags('operations')
@Controller('health')
export class HealthController implements OnModuleDestroy {
  private readonly redis: RedisClient;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    private readonly calendars: CalendarCoverage,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.redis = createRedisClient(config.redisUrl, 'producer', { lazyConnect: true, retryStrategy: () => 2000 });
    this.redis.on('error', () => undefined);
  }

  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'checkHealth',
    summary: 'PostgreSQL and Redis reachable: 200; otherwise 503 naming the dependency that is down',
    description:
      "`details.calendar` is always up; its `message`, `missingYears` and `unitsMissing` say when a year that has begun, or starts within 60 days, has no working calendar (the district's, or a unit's own); `provisionalYears` and `unitsProvisional`, when such a year's calendar is provisional (days guessed until the government's notice).",
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiErrors({ 503: 'a dependency is down: `checks` has the result of each check; Retry-After says when to look again' })
  check() {
    return this.health.check([() => this.db.pingCheck('postgres', { timeout: 2000 }), () => this.redisCheck(), () => this.calendarCheck()]);
  }

  private async redisCheck() {
    const probe = this.indicator.check('redis');
    try {
      if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect().catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const pong = await Promise.race([
        this.redis.ping(),
        new Promise<string>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout after 2000 ms')), 2000);
        }),
      ]).finally(() => clearTimeout(timer));
      return pong === 'PONG' ? probe.up() : probe.down({ message: `unexpected reply ${pong}` });
    } catch (e) {
      return probe.down({ message: (e as Error).message });
    }
  }

  /** A warning, not a failure: the engine still works, with holidays counted as working time. */
  private async calendarCheck() {
    const probe = this.indicator.check('calendar');
    try {
      const { gaps, provisional } = await this.calendars.yearsInUse();
      if (gaps.length === 0 && provisional.length === 0) return probe.up();
      const units = gaps.filter((g) => g.unit !== undefined).map((g) => ({ unit: g.unit, year: g.year }));
      const unitsProvisional = provisional.filter((p) => p.unit !== undefined).map((p) => ({ unit: p.unit, year: p.year }));
      const district = provisional.filter((p) => p.unit === undefined).map((p) => p.year);
      return probe.up({
        message: [...gaps.map(describeCalendarGap), ...provisional.map(describeProvisionalYear)].join('; '),
        missingYears: gaps.filter((g) => g.unit === undefined).map((g) => g.year),
        ...(units.length ? { unitsMissing: units } : {}),
        ...(district.length ? { provisionalYears: district } : {}),
        ...(unitsProvisional.length ? { unitsProvisional } : {}),
      });
    } catch {
      // The postgres probe says it is down; a socket's error text ("read ECONNRESET") tells a public caller nothing more.
      return probe.up({ message: 'not checked: the database did not answer' });
    }
  }

  onModuleDestroy() {
    this.redis.disconnect();
  }
}
