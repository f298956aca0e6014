import { CallHandler, ExecutionContext, INestApplication, NestInterceptor } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { ValidationError } from '@fr/domain';
import type { Request } from 'express';
import { Observable } from 'rxjs';

/**
 * Refuses query parameters that a handler does not take, when it takes its parameters one by one
 * (`@Query('at')`), or, for a GET, none at all. A handler that takes a DTO (`@Query() q: SomeQueryDto`)
 * is already held to the DTO's fields by the validation pipe. Before, `GET /v1/units?inclde=inactive`
 * answered 200 with the active units only, and `GET /v1/privacy/requests?status=waiting` the whole
 * list: the parameter was dropped without a word.
 */
export class KnownQueryInterceptor implements NestInterceptor {
  /** `allowed`: the names of the handler's `@Query('name')` parameters, read once at start. */
  constructor(private readonly allowed: ReadonlySet<string>) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const unknown = Object.keys(context.switchToHttp().getRequest<Request>().query ?? {}).filter((k) => !this.allowed.has(k));
    if (unknown.length > 0) {
      const takes = this.allowed.size > 0 ? `it takes ${[...this.allowed].sort().join(', ')}` : 'it takes none';
      throw new ValidationError(`unknown query parameter(s) ${unknown.map((k) => `'${k}'`).join(', ')}: ${takes}`, unknown);
    }
    return next.handle();
  }
}

const TAKES_QUERY = Symbol('takes-query');

/**
 * Query parameters a handler takes without reading them (GeoReport's `jurisdiction_id`, which every
 * GeoReport client may send and one jurisdiction ignores): the check lets them through.
 */
export const TakesQuery =
  (...names: string[]): MethodDecorator =>
  (_target, _key, descriptor) => {
    Reflect.defineMetadata(TAKES_QUERY, names, descriptor.value as object);
  };

/**
 * The names of a handler's `@Query('name')` parameters (and those of `@TakesQuery`); none for a GET that declares no query; null
 * when it takes the whole query (a DTO), or for another method that declares none (intake's POST
 * among them: its body says everything, and it is spared the interceptor chain, below).
 */
function namedQueries(controller: object, method: string, handler: object): ReadonlySet<string> | null {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { data?: unknown }>;
  const queries = Object.entries(args)
    .filter(([key]) => key.split(':')[0] === String(RouteParamtypes.QUERY))
    .map(([, v]) => v.data);
  const taken = (Reflect.getMetadata(TAKES_QUERY, handler) ?? []) as string[];
  if (queries.length === 0) return Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.GET ? new Set(taken) : null;
  return queries.every((d) => typeof d === 'string') ? new Set([...(queries as string[]), ...taken]) : null;
}

/**
 * Puts the check on the handlers that take named query parameters, and only on them; to be called
 * before `app.init()`, which reads each route's interceptors once. Registered as a global interceptor
 * it ran on every request, and a route with any interceptor goes through Nest's interceptor chain
 * (an rxjs Observable and two `AsyncResource.bind` per request, 14 µs each on Node 20): in a CPU
 * profile of the API at 200 intake requests a second, about 3% of its samples, on routes (intake
 * among them) where the check has nothing to do.
 */
export function checkKnownQueries(app: INestApplication): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      for (let proto = metatype.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
        for (const method of Object.getOwnPropertyNames(proto)) {
          const handler = Object.getOwnPropertyDescriptor(proto, method)?.value as unknown;
          if (method === 'constructor' || typeof handler !== 'function') continue;
          const allowed = namedQueries(metatype, method, handler);
          if (!allowed) continue;
          const own = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[];
          // Apps built one after another in one process (the tests) share the controllers' classes.
          if (own.some((i) => i instanceof KnownQueryInterceptor)) continue;
          Reflect.defineMetadata(INTERCEPTORS_METADATA, [new KnownQueryInterceptor(allowed), ...own], handler);
        }
      }
    }
  }
}
