import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';

/**
 * Times every request by its route pattern (/v1/cases/:id, not the id itself, so the series stay
 * few); requests no route matched count under "unmatched".
 */
export function httpMetricsMiddleware(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      end({ method: req.method, route: typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched', status: String(res.statusCode) });
    });
    next();
  };
}
