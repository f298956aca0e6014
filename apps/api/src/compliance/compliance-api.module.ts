import { Module } from '@nestjs/common';
import { AuthModule } from '@fr/auth';
import { BoardModule } from '@fr/board';
import { IntakeModule } from '@fr/intake';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { BoardPageController } from './board-page.controller';
import { ComplianceController, UnitFiguresController } from './compliance.controller';
import { NoticesController, PublicNoticesController } from './notices.controller';

/** The directive's targets, head counts, notices and the board (JSON, CSV, and the page at /board). */
@Module({
  imports: [AuthModule, BoardModule, IntakeModule],
  controllers: [ComplianceController, UnitFiguresController, NoticesController, PublicNoticesController, BoardPageController],
  providers: [ChannelKeyGuard],
})
export class ComplianceApiModule {}
