import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';

/** The /metrics endpoint; MetricsService itself is provided by the core of DedupModule. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
