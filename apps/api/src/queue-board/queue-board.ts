import { ForbiddenException, HttpException, INestApplication, UnauthorizedException } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AccessTokens } from '@fr/auth';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { METRICS_ROUTE } from '@fr/metrics';
import { QueueInspector } from '@fr/queue';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** The board's own API calls that retry jobs: every failed job of a queue, or one job. */
const RETRY = /^\/api\/queues\/[^/]+\/(?:retry\/failed|[^/]+\/retry)$/;

/**
 * The queue board (bull-board) at /admin/queues, for ADMIN only, by the API's own bearer tokens
 * (bull-board itself answers anyone). Read-only: only GET passes, unless FR_QUEUE_BOARD_RETRIES=true,
 * which lets retries through as well: every failed job of a queue, or one job (bull-board retries a
 * failed or a completed one; jobs are idempotent). Never cleaning, removing or promoting: the
 * reconcilers rebuild jobs from PostgreSQL, and a removed job would only be made again. Mounted
 * before the application's routes; the board and its queue connections are made on first use.
 */
export function mountQueueBoard(app: INestApplication): void {
  const tokens = app.get(AccessTokens);
  const config = app.get<AppConfig>(APP_CONFIG);
  const retries = config.queueBoardRetries;
  let board: RequestHandler | null = null;
  const boardRouter = (): RequestHandler => {
    if (!board) {
      const adapter = new ExpressAdapter();
      adapter.setBasePath(QUEUE_BOARD_PATH);
      createBullBoard({
        queues: app
          .get(QueueInspector)
          .all()
          .map((q) => new BullMQAdapter(q, { readOnlyMode: !retries, allowRetries: retries })),
        serverAdapter: adapter,
        options: { uiConfig: { boardTitle: 'feedback-router' } },
      });
      board = adapter.getRouter() as RequestHandler;
    }
    return board;
  };

  app.use(QUEUE_BOARD_PATH, (req: Request, res: Response, next: NextFunction) => {
    // One series for the board's pages and calls, whatever their paths.
    res.locals[METRICS_ROUTE] = QUEUE_BOARD_PATH;
    adminOnly(tokens, req)
      .then(() => {
        if (!boardAllows(req.method, req.path, retries)) {
          return refuse(
            res,
            403,
            'Forbidden',
            `the queue board is read-only${retries ? ' except for retries' : ' (FR_QUEUE_BOARD_RETRIES=true allows retries)'}`,
          );
        }
        boardRouter()(req, res, next);
      })
      .catch((e: unknown) => {
        if (e instanceof UnauthorizedException) return refuse(res, 401, 'Unauthorized', e.message);
        if (e instanceof ForbiddenException) return refuse(res, 403, 'Forbidden', e.message);
        if (e instanceof HttpException) return refuse(res, e.getStatus(), 'Error', e.message);
        next(e);
      });
  });
}

/** Reading always; of the board's changes, only retries, and only when allowed. */
export function boardAllows(method: string, path: string, retries: boolean): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return retries && method === 'PUT' && RETRY.test(path);
}

async function adminOnly(tokens: AccessTokens, req: Request): Promise<void> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
  if (!m) throw new UnauthorizedException('missing access token: send Authorization: Bearer <token> from POST /v1/auth/login');
  const officer = await tokens.authenticate(m[1]);
  if (officer.role !== 'ADMIN') throw new ForbiddenException(`role ${officer.role} may not see the queue board (allowed: ADMIN)`);
}

/** The API's error body (ErrorDto), written here because the board lives outside the Nest routes and their filter. */
function refuse(res: Response, statusCode: number, error: string, message: string): void {
  res.status(statusCode).json({ statusCode, error, message });
}
