import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';

/** What a mounted sub-application (the queue board) names its requests by, in `res.locals`. */
export const METRICS_ROUTE = 'metricsRoute';

/**
 * Times every request by its route pattern (/v1/cases/:id, not the id itself, so the series stay
 * few), or by the name a mounted sub-application gave (`res.locals[METRICS_ROUTE]`); requests no
 * route matched count under "unmatched".
 */
export function httpMetricsMiddleware(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const named = (res.locals as Record<string, unknown>)[METRICS_ROUTE];
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof named === 'string' ? named : typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
