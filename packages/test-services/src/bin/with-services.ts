#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ensureServices, parseServiceNames, SERVICE_NAMES, servicesEnv, stopServices } from '../services/index.js';
import type { RunningService, ServiceName } from '../services/index.js';

const USAGE = `usage: ufs-test-services [--services s3[,…]] [--print-env] [-- <command> [args…]]

Starts throwaway test services on 127.0.0.1 (default: all of ${SERVICE_NAMES.join(', ')}), runs <command> with their
UFS_TEST_* variables added to the environment, stops the services and exits with the command's exit code.
Services whose variables are already set in the environment are reused, not started.
  --services LIST  comma-separated services to start
  --print-env      print the variables as shell \`export\` lines; without a command, keep the services running
                   until Ctrl-C / SIGTERM
  -h, --help       this text`;

const log = (message: string): void => {
  process.stderr.write(`[ufs test-services] ${message}\n`);
};

interface Args {
  services: ServiceName[];
  printEnv: boolean;
  command: string[];
}

function parseArgs(argv: string[]): Args | 'help' {
  const args: Args = { services: [...SERVICE_NAMES], printEnv: false, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.command = argv.slice(i + 1);
      break;
    } else if (arg === '-h' || arg === '--help') {
      return 'help';
    } else if (arg === '--print-env') {
      args.printEnv = true;
    } else if (arg === '--services' || arg.startsWith('--services=')) {
      const value = arg === '--services' ? argv[++i] : arg.slice('--services='.length);
      if (value === undefined) throw new Error('--services needs a value');
      args.services = parseServiceNames(value);
    } else {
      throw new Error(`unknown argument "${arg}" (put the command after --)`);
    }
  }
  if (args.command.length === 0 && !args.printEnv) throw new Error('nothing to do: give a command after --');
  return args;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`ufs-test-services: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { services: names, printEnv, command } = args;

  // A signal during startup or while the command runs: remember it, stop everything, exit 128+n.
  let signalled: NodeJS.Signals | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  let wakeIdle: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = sig;
    log(`${sig}: stopping`);
    if (child && child.exitCode === null) child.kill(sig);
    wakeIdle?.();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

  let services: RunningService[] = [];
  try {
    services = await ensureServices(names, process.env, { log });
    const env = servicesEnv(services);
    if (printEnv) {
      for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${shellQuote(v)}\n`);
    }
    if (signalled) return 128 + (constants.signals[signalled] ?? 0);
    if (command.length === 0) {
      log('services running; press Ctrl-C to stop them');
      // The daemons do not keep Node's event loop alive (they are unref'd): a timer does, until a signal.
      const keepAlive = setInterval(() => {}, 1 << 30);
      await new Promise<void>((resolve) => (wakeIdle = resolve));
      clearInterval(keepAlive);
      return signalled ? 128 + (constants.signals[signalled] ?? 0) : 0;
    }
    const [cmd, ...cmdArgs] = command as [string, ...string[]];
    const code = await new Promise<number>((resolve) => {
      child = spawn(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
      child.once('error', (err) => {
        log(`cannot run ${cmd}: ${err.message}`);
        resolve(127);
      });
      child.once('exit', (exitCode, sig) => resolve(exitCode ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
    });
    return signalled ? 128 + (constants.signals[signalled] ?? 0) : code;
  } catch (err) {
    log(`ERROR: ${(err as Error).message}`);
    return 1;
  } finally {
    await stopServices(services).catch((err: unknown) => log(`ERROR while stopping: ${(err as Error).message}`));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ufs-test-services: ${String(err)}\n`);
    process.exit(1);
  },
);
