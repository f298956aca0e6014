import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { Metrics } from '@fr/metrics';
import { ApiErrors } from '../common/error.dto';
import { METRICS_SCHEME } from '../openapi';

/**
 * Prometheus metrics of this API instance and of the engine's state (queues, outbox, sealing, open
 * cases, calendar). Not public: a token from the environment, and no endpoint at all without one.
 */
@ApiTags('operations')
@ApiBearerAuth(METRICS_SCHEME)
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'scrapeMetrics',
    summary: 'Prometheus text exposition; Authorization: Bearer <FR_METRICS_TOKEN>',
    description: 'For a Prometheus scraper, not a person: counts and latencies only, no personal data. Off (404) unless FR_METRICS_TOKEN is set.',
  })
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string', description: 'Prometheus text format 0.0.4' } } } })
  @ApiErrors({ 404: 'metrics are off: FR_METRICS_TOKEN is not set' })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: Response): Promise<string> {
    const token = this.config.metricsToken;
    if (!token) throw new NotFoundException('Cannot GET /metrics');
    if (!sameSecret(/^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1], token)) {
      throw new UnauthorizedException('send Authorization: Bearer <FR_METRICS_TOKEN>');
    }
    const text = await this.metrics.scrape();
    res.setHeader('Content-Type', this.metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    return text;
  }
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
