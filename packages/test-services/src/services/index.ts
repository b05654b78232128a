import { s3Service } from './s3.js';
import { sftpService } from './sshd.js';
import type { RunningService, ServiceDefinition, StartOptions } from './types.js';

/**
 * Every service this package can start. A new service (sftp via sshd, webdav, azurite) is one file under
 * src/services/ exporting a ServiceDefinition, plus one line here.
 */
export const SERVICES = {
  s3: s3Service,
  sftp: sftpService,
} as const satisfies Record<string, ServiceDefinition<unknown>>;

export type ServiceName = keyof typeof SERVICES;
export type ServiceInfo<N extends ServiceName> = (typeof SERVICES)[N] extends ServiceDefinition<infer I> ? I : never;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

/** Parses "s3, sftp" (or a list) into known service names; throws naming the unknown ones. */
export function parseServiceNames(input: string | readonly string[]): ServiceName[] {
  const list = (typeof input === 'string' ? input.split(',') : input).map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((n) => !isServiceName(n));
  if (unknown.length) {
    throw new Error(`unknown test service(s): ${unknown.join(', ')} (known: ${SERVICE_NAMES.join(', ')})`);
  }
  return [...new Set(list)] as ServiceName[];
}

function definition(name: ServiceName): ServiceDefinition<unknown> {
  return SERVICES[name] as ServiceDefinition<unknown>;
}

async function startOne(name: ServiceName, options: StartOptions): Promise<RunningService> {
  const def = definition(name);
  const started = await def.start(options);
  let stopping: Promise<void> | undefined;
  return {
    name,
    description: def.description,
    info: started.info,
    summary: def.describe(started.info),
    env: def.toEnv(started.info),
    reused: false,
    startupMs: started.startupMs,
    stop: () => (stopping ??= started.stop()),
  };
}

function reuseOne(name: ServiceName, info: unknown): RunningService {
  const def = definition(name);
  return {
    name,
    description: def.description,
    info,
    summary: def.describe(info),
    env: def.toEnv(info),
    reused: true,
    startupMs: 0,
    stop: async () => {},
  };
}

/**
 * Starts the named services (one after the other: the machine has few cores). If one fails, those already
 * started are stopped before the error is rethrown.
 */
export async function startServices(
  names: readonly ServiceName[],
  options: StartOptions = {},
): Promise<RunningService[]> {
  return collect(names, (name) => startOne(name, options));
}

/**
 * Like startServices, but reuses a service whose variables are already in `env` (an outer runner such as the
 * `ufs-test-services` bin started it); only the others are started.
 */
export async function ensureServices(
  names: readonly ServiceName[],
  env: NodeJS.ProcessEnv = process.env,
  options: StartOptions = {},
): Promise<RunningService[]> {
  return collect(names, (name) => {
    const existing = definition(name).fromEnv(env);
    return existing === undefined ? startOne(name, options) : Promise.resolve(reuseOne(name, existing));
  });
}

async function collect(
  names: readonly ServiceName[],
  get: (name: ServiceName) => Promise<RunningService>,
): Promise<RunningService[]> {
  const running: RunningService[] = [];
  try {
    for (const name of new Set(names)) running.push(await get(name));
    return running;
  } catch (err) {
    await stopServices(running);
    throw err;
  }
}

/** Stops services in reverse start order; reused ones are left alone. Errors are collected and rethrown. */
export async function stopServices(services: readonly RunningService[]): Promise<void> {
  const errors: unknown[] = [];
  for (const service of [...services].reverse()) {
    await service.stop().catch((err: unknown) => errors.push(err));
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'stopping test services failed');
}

/** The environment variables describing the services (UFS_TEST_S3_ENDPOINT, …). */
export function servicesEnv(services: readonly RunningService[]): Record<string, string> {
  return Object.assign({}, ...services.map((s) => s.env)) as Record<string, string>;
}

export type { RunningService, ServiceDefinition, StartOptions, StartedService } from './types.js';
