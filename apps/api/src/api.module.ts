import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { loggingModule } from '@fr/config';
import { IntakeModule } from '@fr/intake';
import { DatabaseModule } from '@fr/persistence';
import { HealthController } from './health/health.controller';
import { ChannelKeyGuard } from './intake/channel-key.guard';
import { IntakeController } from './intake/intake.controller';

/** The HTTP API. AppConfigModule is provided by whoever boots it (main.ts or a test). */
@Module({
  imports: [loggingModule(), DatabaseModule.forRoot(), TerminusModule.forRoot({ logger: false }), IntakeModule],
  controllers: [IntakeController, HealthController],
  providers: [ChannelKeyGuard],
})
export class ApiModule {}
