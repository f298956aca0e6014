import { Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { SlaService } from '@fr/sla';
import { loadComplianceConfig } from './compliance-config';
import { GetBoard } from './get-board.query';
import { Notices } from './notices';
import { RaiseComplianceAlerts } from './raise-compliance-alerts.usecase';
import { ComplianceTargets } from './targets';
import { UnitFigures } from './unit-figures';

/** config/compliance.yaml's targets on the first start (read at every start, so a broken file fails the boot). */
@Injectable()
export class ComplianceConfigLoader implements OnApplicationBootstrap {
  constructor(
    private readonly targets: ComplianceTargets,
    private readonly sla: SlaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.targets.loadOnce(loadComplianceConfig(this.config.configDir, this.sla.calendar.dayMinutes).targets);
  }
}

/** The board as a read model: what the API's board, the alerts and the quarterly report compute from. */
@Module({ providers: [GetBoard], exports: [GetBoard] })
export class BoardReadModule {}

/** The API side: targets, head counts, notices, the board. */
@Module({
  imports: [BoardReadModule],
  providers: [ComplianceTargets, UnitFigures, Notices, ComplianceConfigLoader],
  exports: [BoardReadModule, ComplianceTargets, UnitFigures, Notices],
})
export class BoardModule {}

/** The worker side: the alert sweep, and the payloads of notice and alert deliveries it sends. */
@Module({
  imports: [BoardReadModule],
  providers: [RaiseComplianceAlerts, Notices],
  exports: [RaiseComplianceAlerts],
})
export class BoardAlertsModule {}
