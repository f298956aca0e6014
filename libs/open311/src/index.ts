export * from './georeport';
export * from './request-filter';
export * from './georeport-services.query';
export * from './georeport-requests.query';
export * from './open311.module';
