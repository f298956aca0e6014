import { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, AppConfig, AppConfigModule } from './config.module';

/**
 * Structured JSON logs. Requests are logged by method, route and status only: headers carry API
 * keys and tokens, and bodies carry citizens' names and phones, so neither is ever serialised.
 */
export function loggingModule(): DynamicModule {
  return LoggerModule.forRootAsync({
    imports: [AppConfigModule],
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({
      // process.stdout (not pino's own fd writer) so a test can read every line the engine logs.
      pinoHttp: [
        {
        level: config.logLevel,
        base: { service: 'feedback-router' },
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        redact: { paths: ['req.headers', 'citizen', '*.citizen', 'citizenName', 'citizenPhone', 'phone', 'password'], censor: '[redacted]' },
        customLogLevel: (_req: unknown, res: { statusCode: number }, err?: unknown) =>
          err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        },
        process.stdout,
      ],
    }),
  });
}
