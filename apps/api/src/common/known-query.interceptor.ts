import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ValidationError } from '@fr/domain';
import type { Request } from 'express';
import { Observable } from 'rxjs';

/**
 * Refuses query parameters that a handler does not take, when it takes its parameters one by one
 * (`@Query('at')`). A handler that takes a DTO (`@Query() q: SomeQueryDto`) is already held to the
 * DTO's fields by the validation pipe. Before, `GET /v1/units?inclde=inactive` answered 200 with the
 * active units only: the misspelt parameter was dropped without a word.
 */
@Injectable()
export class KnownQueryInterceptor implements NestInterceptor {
  private readonly allowedByHandler = new WeakMap<object, ReadonlySet<string> | null>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const allowed = this.allowed(context);
    if (allowed) {
      const unknown = Object.keys(context.switchToHttp().getRequest<Request>().query ?? {}).filter((k) => !allowed.has(k));
      if (unknown.length > 0) {
        const takes = allowed.size > 0 ? `it takes ${[...allowed].sort().join(', ')}` : 'it takes none';
        throw new ValidationError(`unknown query parameter(s) ${unknown.map((k) => `'${k}'`).join(', ')}: ${takes}`, unknown);
      }
    }
    return next.handle();
  }

  /** The names of the handler's `@Query('name')` parameters; null when it takes the whole query (a DTO) or none is declared. */
  private allowed(context: ExecutionContext): ReadonlySet<string> | null {
    const handler = context.getHandler();
    if (this.allowedByHandler.has(handler)) return this.allowedByHandler.get(handler)!;
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, { data?: unknown }>;
    const queries = Object.entries(args)
      .filter(([key]) => key.split(':')[0] === String(RouteParamtypes.QUERY))
      .map(([, v]) => v.data);
    const names = queries.every((d) => typeof d === 'string') && queries.length > 0 ? new Set(queries as string[]) : null;
    this.allowedByHandler.set(handler, names);
    return names;
  }
}
