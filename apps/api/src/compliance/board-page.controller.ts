import { Controller, Get, Header, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { JwtAuthGuard, RolesGuard } from '@fr/auth';
import { GetBoard } from '@fr/board';
import { Clock } from '@fr/sla';
import { BOARD_SCRIPT, BOARD_SHELL, BOARD_STYLE, PAGE_SECURITY_POLICY, renderBoardView } from './board-page';
import { ApiErrors } from '../common/error.dto';
import { TakesQuery } from '../common/known-query.interceptor';
import { BoardViewQueryDto } from './compliance.dto';
import { Roles } from '../common/roles.decorator';
import { boardInstants } from './board-query';

const HTML = { 'text/html': { schema: { type: 'string' as const } } };

/** The board as a read-only page in Vietnamese, for Home Affairs' (and the office's) log-in. */
@ApiTags('compliance')
@Controller('board')
export class BoardPageController {
  constructor(
    private readonly board: GetBoard,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_SECURITY_POLICY)
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({
    operationId: 'getBoardPage',
    summary: 'The board page: log in, then the table and a bar chart per target (Vietnamese)',
    description: 'An HTML shell for a browser; its script reads GET /board/view with the token it gets at login. Programs read GET /board/view themselves.',
  })
  @ApiQuery({ name: 'at', required: false, description: 'passed on to GET /board/view: a date or a date-time', schema: { type: 'string' } })
  @ApiQuery({ name: 'from', required: false, description: 'passed on to GET /board/view: a date or a date-time', schema: { type: 'string' } })
  // The shell passes its query on to /board/view, which checks it: a link to the board at a date is /board?at=...
  @TakesQuery('at', 'from')
  @ApiOkResponse({ content: HTML })
  page(): string {
    return BOARD_SHELL;
  }

  @Get('board.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @ApiExcludeEndpoint()
  script(): string {
    return BOARD_SCRIPT;
  }

  @Get('board.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @ApiExcludeEndpoint()
  style(): string {
    return BOARD_STYLE;
  }

  @Get('view')
  @ApiBearerAuth()
  @UseGuards(JwtAuthGuard, RolesGuard)
  @Roles('AUDITOR', 'SUPERVISOR')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_SECURITY_POLICY)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'getBoardView',
    summary: 'The board rendered as HTML (the page fetches it with the bearer token); same query as /v1/compliance/board',
  })
  @ApiOkResponse({ content: HTML })
  @ApiErrors(403)
  async view(@Query() q: BoardViewQueryDto): Promise<string> {
    const { at, from } = boardInstants(q, this.clock.now());
    const report = await this.board.execute(at, from);
    return renderBoardView(report);
  }
}
