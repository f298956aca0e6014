import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { CallerGoneError } from '@fr/domain';

/**
 * An AbortSignal that aborts (with CallerGoneError) when the caller closes the connection before the
 * answer is written, for handlers whose work is long enough to be worth stopping: nobody would read
 * its result. The response's `close` comes both when it was sent and when the connection dropped;
 * only the second leaves it unfinished.
 */
export const CallerSignal = createParamDecorator((_: unknown, ctx: ExecutionContext): AbortSignal => {
  const res = ctx.switchToHttp().getResponse<Response>();
  const controller = new AbortController();
  if (res.destroyed && !res.writableFinished) controller.abort(new CallerGoneError());
  else {
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new CallerGoneError());
    });
  }
  return controller.signal;
});
