import { DynamicModule, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig, loadConfig } from './app-config';

export type { AppConfig };

export const APP_CONFIG = Symbol('APP_CONFIG');

/** The configuration the process booted with, provided once by AppConfigModule.forRoot. */
const BOOT_CONFIG = Symbol('BOOT_CONFIG');

function bootConfig(ref: ModuleRef): AppConfig {
  let config: AppConfig | undefined;
  try {
    config = ref.get<AppConfig>(BOOT_CONFIG, { strict: false });
  } catch {
    config = undefined;
  }
  if (!config) throw new Error('no configuration: the bootstrap must import AppConfigModule.forRoot(config)');
  return config;
}

/**
 * APP_CONFIG, for each module that imports AppConfigModule: not global, so a module's imports say
 * that it reads the configuration. The value is the one the bootstrap (the API's, the worker's, a
 * test's) hands to AppConfigModule.forRoot, looked up across the application: one configuration per
 * application, whichever module asks.
 */
@Module({
  providers: [{ provide: APP_CONFIG, inject: [ModuleRef], useFactory: bootConfig }],
  exports: [APP_CONFIG],
})
export class AppConfigModule {
  /** For the bootstrap's root module only. */
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return { module: AppConfigRootModule, providers: [{ provide: BOOT_CONFIG, useValue: config }] };
  }
}

@Module({})
class AppConfigRootModule {}
