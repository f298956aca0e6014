import { Module } from '@nestjs/common';
import { GeoReportRequests } from './georeport-requests.query';
import { GeoReportServices } from './georeport-services.query';

/** Open311 GeoReport v2 reads; requests are created by intake's SubmitFeedback, like any channel's. */
@Module({ providers: [GeoReportServices, GeoReportRequests], exports: [GeoReportServices, GeoReportRequests] })
export class Open311Module {}
