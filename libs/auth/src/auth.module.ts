import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { AccessTokens, TOKEN_ISSUER } from './access-tokens';
import { ChangePassword } from './change-password.usecase';
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
        signOptions: { algorithm: 'HS256', expiresIn: config.jwtTtlSeconds, issuer: TOKEN_ISSUER, audience: config.jwtAudience },
        // maxAge bounds a token by its iat as well as its exp; AccessTokens checks the rest (iat, lifetime).
        verifyOptions: { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: config.jwtAudience, maxAge: config.jwtTtlSeconds },
      }),
    }),
  ],
  providers: [AccessTokens, LogIn, ChangePassword, JwtAuthGuard, RolesGuard, RequestLimits],
  exports: [AccessTokens, LogIn, ChangePassword, JwtAuthGuard, RolesGuard, RequestLimits],
})
export class AuthModule {}
