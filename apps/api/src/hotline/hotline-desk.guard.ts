import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OfficerRequest } from '@fr/auth';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { selectRow } from '@fr/persistence';

/**
 * Runs after JwtAuthGuard and RolesGuard: an OPERATOR is the desk's while their unit is the office or
 * one of FR_HOTLINE_UNITS. The unit is checked only when an account is created or moved, so the
 * operators of a unit the deployment took off the list (a call centre whose contract ended) went on
 * entering calls and reading the contacts of the callers they had entered.
 */
@Injectable()
export class HotlineDeskGuard implements CanActivate {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<OfficerRequest>();
    if (!req.officer) throw new UnauthorizedException('missing access token: send Authorization: Bearer <token> from POST /v1/auth/login');
    const unitCode = req.officer.unitCode;
    if (this.config.hotlineUnits.includes(unitCode.toUpperCase())) return true;
    // The office, ended or not: an account keeps the unit it was created in (VP after the 2025 plans).
    const unit = await selectRow<{ kind: string }>(this.ds, `SELECT kind FROM units WHERE code = $1`, [unitCode]);
    if (unit?.kind === 'office') return true;
    throw new ForbiddenException(
      `an OPERATOR of unit '${unitCode}' is not the hotline's: the desk is the office's and the units of FR_HOTLINE_UNITS (${this.config.hotlineUnits.join(', ') || 'none'})`,
    );
  }
}
