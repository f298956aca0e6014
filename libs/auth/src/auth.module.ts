import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { AccessTokens } from './access-tokens';
import { JwtAuthGuard } from './jwt-auth.guard';
import { LogIn } from './log-in.usecase';
import { RequestLimits } from './request-limits';
import { RolesGuard } from './roles.guard';

/**
 * Officers' authentication: login, HS256 access tokens, and the guards other modules put on their
 * routes. A module whose controllers use the guards imports AuthModule.
 */
@Module({
  imports: [
    AppConfigModule,
    JwtModule.registerAsync({
      imports: [AppConfigModule],
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256', expiresIn: config.jwtTtlSeconds },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [AccessTokens, LogIn, JwtAuthGuard, RolesGuard, RequestLimits],
  exports: [AccessTokens, LogIn, JwtAuthGuard, RolesGuard, RequestLimits],
})
export class AuthModule {}
