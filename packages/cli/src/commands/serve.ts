import { Flags } from '@oclif/core';
import { UfsError, redactUrl } from '@org/core';
import {
  DEFAULT_BODY_IDLE_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
  contentLostOnRestart,
  createBootstrapKey,
  createDedupApp,
  bindContentMount,
  guardAgainstOlderVersions,
  openContentMount,
  openStore,
  probeContentMount,
  storeFileExposure,
  type ContentMount,
  type DedupApp,
} from '@org/server';
import { BaseCommand } from '../base-command.js';
import { BODY_IDLE_ENV, MAX_BODY_IDLE_SECONDS, bodyIdleFromEnv } from '../serve/body-idle.js';
import { hostPort, listen } from '../serve/listen.js';
import { placeFlags } from '../serve/server-flags.js';
import { serverPlaces, type ServerPlaces } from '../serve/server-setup.js';
import { parseSize } from '../output/size.js';

/** UFS_SHUTDOWN_TIMEOUT_SECONDS, read as apps/api reads it (config.ts): whole seconds, in the server's range. */
const SHUTDOWN_ENV = 'UFS_SHUTDOWN_TIMEOUT_SECONDS';
/** --adopt-content from the environment, as apps/api reads it. */
const ADOPT_ENV = 'UFS_ADOPT_CONTENT';
const DEFAULT_SHUTDOWN_SECONDS = DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000;
const MAX_SHUTDOWN_SECONDS = MAX_SHUTDOWN_TIMEOUT_MS / 1000;

export default class Serve extends BaseCommand<typeof Serve> {
  static override summary = 'Run a dedup server with embedded defaults.';
  static override description = [
    'Starts the ufs dedup server (PutPlace-compatible API, batch put, tus uploads, OpenAPI at /docs). With no options it needs nothing else installed: metadata in an embedded SQLite store and content in a local folder, both under the data directory ($XDG_DATA_HOME/ufs, i.e. ~/.local/share/ufs): the store in ufs.db and content in content/, the layout of UFS_DATA_DIR of the ufs API server, so either server can run on the folder of the other. A folder of an older version, with metadata.sqlite instead of ufs.db, is used as it is; one with both files is refused (exit status 64 or 78): keep the one with the records.',
    'On first start (no API key in the store yet) it creates a bootstrap key with every scope, once it is listening, and prints it once (a start that fails creates none). Prints the URL (and the key) on stdout; with --json one JSON line {url, apiKey?, dataDir, store, content}. Log lines (warnings, errors) go to stderr, coloured only when it is a terminal and NO_COLOR is unset.',
    'SIGTERM or SIGINT (Ctrl-C) stops it cleanly: it takes no new connections and ends within --shutdown-timeout seconds (default 25): the requests in flight (an upload, a download) get all of it but its last fifth (1 to 5 s) to finish, then what is left is closed and the handlers still under way get that last part to settle (a tus upload cut off records what arrived); a second signal stops it at once.',
    "The store and its content belong together: the content mount holds a marker (_ufs-store.json) naming the store. A store that is not its content's own (a typo in --data-dir beside the real --content, a store made anew beside content) is refused (exit status 78) before its gc could take that content for orphans; --adopt-content takes the content over on purpose. A data folder ufs makes is private (0700, ufs.db 0600; a readable ufs.db is warned about) and keeps a folder named metadata.sqlite, which older versions cannot open as their store.",
    'A port already in use ends it with one line naming the address and exit status 70 (as the ufs API server); a --data-dir or --content that is a file or empty (an unset variable), with exit status 64; a --content folder that cannot be made or written (below a file, a dangling link, /proc/…, no permission), a store file (ufs.db) that SQLite cannot open (a folder, a dangling link, no permission), a content mount it cannot write (an S3 secret or bucket that is wrong) or whose content a restart loses (memory://, beside a store that keeps its records), with exit status 78, before it listens (the checks of the ufs API server).',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Listen on all interfaces, port 9000, data in /srv/ufs',
      command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 9000 --data-dir /srv/ufs',
    },
    {
      description: 'Content in S3 (credentials from the environment)',
      command: '<%= config.bin %> <%= command.id %> --content "s3://bucket/ufs?region=eu-west-1"',
    },
    {
      description: 'Clients on slow links: an upload body may stay silent 5 minutes before its connection is closed',
      command: '<%= config.bin %> <%= command.id %> --body-idle-timeout 300',
    },
  ];
  static override flags = {
    ...placeFlags,
    host: Flags.string({ description: 'Address to listen on (default: config "serve.host", else 127.0.0.1).' }),
    port: Flags.integer({
      char: 'p',
      description: 'Port (0: any free port; default: config "serve.port", else 8000).',
      min: 0,
      max: 65_535,
    }),
    'max-upload': Flags.string({
      description: 'Largest accepted upload: bytes with an optional unit (KiB, MiB, GB, …), at least 1 byte.',
      default: '10GiB',
    }),
    'shutdown-timeout': Flags.integer({
      description: `Seconds the shutdown on SIGTERM/SIGINT may take, the requests in flight finishing in all but its last fifth (0: none; at most ${MAX_SHUTDOWN_SECONDS}; default: env ${SHUTDOWN_ENV}, as for the ufs API server, else ${DEFAULT_SHUTDOWN_SECONDS}).`,
      min: 0,
      max: MAX_SHUTDOWN_SECONDS,
    }),
    'body-idle-timeout': Flags.integer({
      description: `Seconds a request's body may send no byte before its connection is closed: an upload (PUT content, upload_file, tus PATCH) ends as if its client went away (a tus upload keeps what arrived), any other (a JSON body) is answered 408 (TIMEOUT; 1 to ${MAX_BODY_IDLE_SECONDS}; default: env ${BODY_IDLE_ENV}, as for the ufs API server, else ${DEFAULT_BODY_IDLE_TIMEOUT_MS / 1000}).`,
      min: 1,
      max: MAX_BODY_IDLE_SECONDS,
    }),
    'adopt-content': Flags.boolean({
      description:
        "Make the content mount this store's even though its marker names another store (or it holds content this store has no record of): after replacing a lost store on purpose. gc then removes every object this store has no record of.",
      env: ADOPT_ENV,
    }),
  };

  async run(): Promise<void> {
    // Flags first: a bad one creates no data folder.
    const maxUploadBytes = maxUpload(this.flags['max-upload']);
    const shutdownSeconds = this.flags['shutdown-timeout'] ?? shutdownFromEnv();
    const bodyIdleSeconds = this.flags['body-idle-timeout'] ?? bodyIdleFromEnv();
    const config = await this.cliConfig();
    const places = await serverPlaces(this.flags, config);
    const host = this.flags.host ?? config.serve.host ?? '127.0.0.1';
    const port = this.flags.port ?? config.serve.port ?? 8000;

    // The content mount first: one that a restart loses beside a store that keeps its records, or that cannot be
    // written (an S3 secret or bucket that is wrong), fails the start before the store is opened, as the API server's.
    const content = await openContentMount(places.content);
    try {
      await checkContent(content, places, this.flags.content);
    } catch (err) {
      await content.dispose();
      throw err;
    }
    // The store is opened once, here, and the app runs on it; the bootstrap key of a first start is written straight
    // into it once the server listens, so a start that fails (a port in use) does not use it up unseen.
    const { store, close: closeStore } = await openStore(places.store).catch(async (err: unknown) => {
      await content.dispose();
      throw err;
    });
    let app: DedupApp | undefined;
    let apiKey: string | undefined;
    try {
      // The content must be this store's (its marker names the store): a new store beside the content of another
      // would take all of it for orphans. Then the rollback guard beside ufs.db, and a warning for a readable store.
      const binding = await bindContentMount(store, content.backend, {
        refuse: contentRefusal(places, this.flags.content),
        adopt: this.flags['adopt-content'],
        adoptHint: `--adopt-content (or ${ADOPT_ENV}=true)`,
      });
      // A marker written at a first start is routine (--verbose); a mount taken over is said.
      if (binding.note) (this.flags['adopt-content'] ? this.note : this.debugNote).call(this, `[ufs] ${binding.note}`);
      if ('sqlitePath' in places.store) {
        await guardAgainstOlderVersions(places.store.sqlitePath);
        const exposed = storeFileExposure(places.store.sqlitePath);
        if (exposed) this.note(`[ufs] warning: ${exposed}`);
      }
      app = await createDedupApp({
        store: { instance: store },
        content: content.backend,
        contentDescription: content.description,
        maxUploadBytes,
        // SIGTERM/SIGINT: the app drains (see the description); a second signal ends the process at once.
        shutdownTimeoutMs: shutdownSeconds * 1000,
        bodyIdleTimeoutMs: bodyIdleSeconds * 1000,
        // stdout is the command's output (the URL and key, or the --json line): every log line goes to stderr.
        logStream: 'stderr',
      });
      await listen(app, host, port);
      if ((await store.listApiKeys()).length === 0)
        apiKey = (await createBootstrapKey(store, { name: 'bootstrap' })).apiKey;
    } catch (err) {
      await app?.close();
      await closeStore();
      await content.dispose();
      throw err;
    }
    const address = app.getHttpServer().address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${hostPort(host, actualPort)}`;
    if (this.jsonEnabled()) {
      process.stdout.write(
        `${JSON.stringify({ url, ...(apiKey ? { apiKey } : {}), dataDir: places.dataDir, store: places.storeDescription, content: content.description })}\n`,
      );
    } else {
      process.stdout.write(`${url}\n`);
      if (apiKey) process.stdout.write(`${apiKey}\n`);
      this.note(`ufs server listening on ${url} (API docs at ${url}/docs)`);
      this.note(`metadata: ${places.storeDescription}; content: ${content.description}`);
      if (apiKey) this.note('the line above is the bootstrap API key (every scope): it is shown only once, keep it');
    }
    // Listeners stay on (`on`, not `once`): Nest's own shutdown hook re-raises the signal after its cleanup, and
    // that second signal must not kill the process before the server is closed.
    const signal = await new Promise<string>((resolve) => {
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, () => resolve(name));
    });
    this.note(`${signal}: stopping…`);
    await app.close();
    await closeStore();
    await content.dispose();
    // Anything left open by then (keep-alive sockets of clients) must not hold the process.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  }
}

/**
 * The checks the API server makes of its content mount at start (@org/server): content a restart loses (a memory
 * mount) beside a store that keeps its records is refused, and a test write must succeed. Refusals are
 * configuration errors (78) naming --content (or the data folder's content folder).
 */
async function checkContent(content: ContentMount, places: ServerPlaces, flag: string | undefined): Promise<void> {
  const refuse = contentRefusal(places, flag);
  const where = contentWhere(places, flag);
  const lost = contentLostOnRestart(content.backend.protocol, places.store);
  if (lost) throw refuse(lost);
  await probeContentMount(content, where, refuse);
}

/** The content mount, for messages: without user info nor query (where an S3 URL may carry a secret). */
function contentWhere(places: ServerPlaces, flag: string | undefined): string {
  return flag !== undefined ? `--content "${redactUrl(flag).split('?')[0]}"` : `content folder "${places.content}"`;
}

/** A refused content mount: a configuration error (78) naming --content (or the data folder's content folder). */
function contentRefusal(places: ServerPlaces, flag: string | undefined) {
  const where = contentWhere(places, flag);
  return (why: string, cause?: unknown) =>
    new UfsError('CONFIG_INVALID', `[ufs] ${where} ${why}`, {
      ...(cause !== undefined && { cause }),
      context: { operation: 'serve' },
    });
}

/** --shutdown-timeout from the environment when not typed: a bad value is a configuration error (78) naming it. */
function shutdownFromEnv(): number {
  const text = process.env[SHUTDOWN_ENV]?.trim();
  if (text === undefined || text === '') return DEFAULT_SHUTDOWN_SECONDS;
  const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (seconds <= MAX_SHUTDOWN_SECONDS) return seconds;
  throw new UfsError(
    'CONFIG_INVALID',
    `[ufs] env ${SHUTDOWN_ENV} must be whole seconds from 0 to ${MAX_SHUTDOWN_SECONDS}, got ${JSON.stringify(text.slice(0, 40))} (or type --shutdown-timeout)`,
    { context: { operation: 'serve' } },
  );
}

/**
 * `--max-upload` in bytes, in the range apps/api allows for UFS_MAX_UPLOAD_BYTES (a positive whole number): 0 would
 * start a server that refuses every upload with 413.
 */
function maxUpload(text: string): number {
  const bytes = parseSize(text, '--max-upload');
  if (bytes >= 1 && Number.isSafeInteger(bytes)) return bytes;
  const why = bytes < 1 ? 'at least 1 byte (0 would refuse every upload)' : `at most ${Number.MAX_SAFE_INTEGER} bytes`;
  throw new UfsError('INVALID_INPUT', `[ufs] --max-upload must be ${why}, got ${JSON.stringify(text)}`, {
    context: { operation: 'serve' },
  });
}
