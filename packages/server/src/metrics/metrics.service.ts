import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one server instance (its own registry, so several instances can live in one process).
 * Counters are per process; Prometheus sums them across replicas.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'ufs_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'ufs_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'ufs_bytes_in_total',
    help: 'Content bytes received by uploads',
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'ufs_bytes_out_total',
    help: 'Content bytes sent by downloads',
    registers: [this.registry],
  });
  readonly dedupHits = new Counter({
    name: 'ufs_dedup_hits_total',
    help: 'Uploads whose content the server already held',
    registers: [this.registry],
  });
  readonly storeLatency = new Histogram({
    name: 'ufs_store_operation_duration_seconds',
    help: 'Metadata store operation latency by operation',
    labelNames: ['operation'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  readonly readinessProbes = new Counter({
    name: 'ufs_readiness_probes_total',
    help:
      'Readiness checks of this replica, once per check and round, by check (database, storage) and result ' +
      '(ok; failed, a check with no answer within readinessTimeoutMs included)',
    labelNames: ['check', 'result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ufs_' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
