import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig, AppConfigModule } from '@fr/config';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(config: AppConfig): Promise<INestApplicationContext> {
  @Module({ imports: [AppConfigModule.forRoot(config), WorkerModule] })
  class WorkerRootModule {}

  const app = await NestFactory.createApplicationContext(WorkerRootModule, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  // On SIGTERM, Nest closes the BullMQ workers, which let in-flight jobs finish first.
  app.enableShutdownHooks();
  await app.init();
  return app;
}
