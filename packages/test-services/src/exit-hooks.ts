/**
 * Last-resort cleanup when the Node process ends without calling stop(): on 'exit' (sync only), and on SIGINT /
 * SIGTERM / SIGHUP. Each running service registers a synchronous "kill everything now" function here.
 */

type SyncCleanup = () => void;

const cleanups = new Set<SyncCleanup>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // keep going: the other services must be cleaned up too
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  runAll();
  // If nobody else handles this signal, behave like Node's default: die of it.
  if (process.listenerCount(sig) === 1) {
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

function uninstallIfIdle(): void {
  if (!installed || cleanups.size > 0) return;
  installed = false;
  process.removeListener('exit', runAll);
  for (const sig of SIGNALS) process.removeListener(sig, onSignal);
}

/** Registers `cleanup` to run if the process exits or is signalled; returns the function that unregisters it. */
export function onProcessExit(cleanup: SyncCleanup): () => void {
  cleanups.add(cleanup);
  install();
  return () => {
    cleanups.delete(cleanup);
    uninstallIfIdle();
  };
}
