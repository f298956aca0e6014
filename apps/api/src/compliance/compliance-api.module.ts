import { Module } from '@nestjs/common';
import { AuthModule } from '@fr/auth';
import { BoardModule } from '@fr/board';
import { IntakeModule } from '@fr/intake';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { ComplianceController, UnitFiguresController } from './compliance.controller';
import { NoticesController, PublicNoticesController } from './notices.controller';

/** The directive's targets, head counts, notices and the board (JSON, CSV). */
@Module({
  imports: [AuthModule, BoardModule, IntakeModule],
  controllers: [ComplianceController, UnitFiguresController, NoticesController, PublicNoticesController],
  providers: [ChannelKeyGuard],
})
export class ComplianceApiModule {}
