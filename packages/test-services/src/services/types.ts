/** What every service module under src/services/ provides. Adding a service = one file + one registry line. */
export interface ServiceDefinition<Info> {
  /** Short name used in `--services`, `UFS_TEST_SERVICES` and jest config: "s3". */
  readonly name: string;
  /** Human description for logs: "S3 (Ceph radosgw)". */
  readonly description: string;
  /** The environment variables that describe a running instance (all of them, for docs and cleanup). */
  readonly envNames: readonly string[];
  /** Starts a fresh instance. */
  start(options: StartOptions): Promise<StartedService<Info>>;
  /** Environment variables describing `info`, for tests and child processes. */
  toEnv(info: Info): Record<string, string>;
  /** Reads an instance from the environment (set by an outer runner); undefined when the variables are absent. */
  fromEnv(env: NodeJS.ProcessEnv): Info | undefined;
  /** One line for logs, without secrets: "http://127.0.0.1:40123". */
  describe(info: Info): string;
}

export interface StartOptions {
  /** Progress messages; default silent. */
  log?: (message: string) => void;
}

export interface StartedService<Info> {
  info: Info;
  startupMs: number;
  stop(): Promise<void>;
}

/** A service ready for tests: started here, or reused from the environment. */
export interface RunningService<Info = unknown> {
  readonly name: string;
  readonly description: string;
  readonly info: Info;
  /** One line without secrets, e.g. the endpoint. */
  readonly summary: string;
  readonly env: Record<string, string>;
  /** True when the instance came from the environment (an outer runner owns it; stop() leaves it alone). */
  readonly reused: boolean;
  /** Milliseconds the start took (0 when reused). */
  readonly startupMs: number;
  /** Stops the instance if it was started here; a no-op for reused ones. Safe to call more than once. */
  stop(): Promise<void>;
}
