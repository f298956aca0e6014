import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, AppConfigModule, nestLogger, ROOT_LOGGER, rootLogger } from '@fr/config';
import { Clock, TimeSource } from '@fr/sla';
import { WorkerModule } from './worker.module';

/** The worker as production runs it; a test may give it a clock to follow, set before any sweep runs. */
export async function createWorkerApp(config: AppConfig, options: { clock?: TimeSource } = {}): Promise<INestApplicationContext> {
  @Module({ imports: [AppConfigModule.forRoot(config), WorkerModule] })
  class WorkerRootModule {}

  // The root logger from the first line, as the API's (a failed start's lines are JSON too).
  const app = await NestFactory.createApplicationContext(WorkerRootModule, { logger: nestLogger(rootLogger(config)), abortOnError: false });
  app.useLogger(nestLogger(app.get(ROOT_LOGGER)));
  if (options.clock) app.get(Clock).follow(options.clock);
  // On SIGTERM, Nest closes the BullMQ workers, which let in-flight jobs finish first.
  app.enableShutdownHooks();
  await app.init();
  return app;
}
