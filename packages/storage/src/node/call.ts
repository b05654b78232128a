import { execFile } from 'node:child_process';
import { UfsError } from '@org/core';
import type { LocalPathHandle } from './local-path.js';
import type { StorageNode } from './storage-node.js';

/** One argument of `call`: text as is, a node (read), or a node a program writes. */
export type CallArgument = string | StorageNode | { node: StorageNode; mode: 'read' | 'write' };

export interface CallOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the program after this many ms. */
  timeoutMs?: number;
  /** Largest stdout/stderr kept, in bytes. Default 16 MiB. */
  maxBuffer?: number;
  signal?: AbortSignal;
}

export interface CallResult {
  stdout: string;
  stderr: string;
}

function isNode(value: unknown): value is StorageNode {
  return typeof value === 'object' && value !== null && 'fullpath' in value && 'localPath' in value;
}

/** The node of a node argument; INVALID_INPUT naming the argument for anything that is not an argument of `call`. */
function nodeOf(command: string, arg: unknown, index: number): StorageNode {
  if (isNode(arg)) return arg;
  const { node, mode } = (typeof arg === 'object' && arg !== null ? arg : {}) as { node?: unknown; mode?: unknown };
  if (isNode(node) && (mode === 'read' || mode === 'write')) return node;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] call "${command}": argument ${index} must be a string, a node or { node, mode: 'read' | 'write' }, not ${describe(arg)}`,
    { context: { operation: 'call', path: command } },
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}

function run(command: string, argv: string[], options: CallOptions): Promise<CallResult> {
  return new Promise<CallResult>((resolve, reject) => {
    execFile(
      command,
      argv,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs,
        maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
        signal: options.signal,
        shell: false,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = (error as { code?: unknown }).code;
        const context = { operation: 'call', path: command, exitCode: code };
        if (code === 'ENOENT')
          return reject(
            new UfsError('NOT_FOUND', `[ufs] call "${command}": program not found`, { context, cause: error }),
          );
        if (error.name === 'AbortError')
          return reject(new UfsError('ABORTED', `[ufs] call "${command}": aborted`, { context, cause: error }));
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        const why = (error as { killed?: boolean }).killed
          ? 'was killed (timeout?)'
          : `exited with code ${String(code)}`;
        reject(
          new UfsError('UNEXPECTED', `[ufs] call "${command}": ${why}${tail ? `: ${tail}` : ''}`, {
            context,
            cause: error,
          }),
        );
      },
    );
  });
}

/**
 * Runs a program (execFile, never a shell) with nodes as file arguments: each node becomes a local path (the file
 * itself on local mounts, a temporary copy elsewhere). Nodes given as `{ node, mode: 'write' }` get a copy (on local
 * mounts too) that is written back only after the program succeeds: a failed program leaves them as they were. A
 * non-zero exit is UNEXPECTED with the end of stderr in the message.
 */
export async function callProgram(
  command: string,
  args: readonly CallArgument[],
  options: CallOptions = {},
): Promise<CallResult> {
  if (typeof command !== 'string' || command === '')
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] call: the program must be a non-empty string, not ${describe(command)}`,
      {
        context: { operation: 'call' },
      },
    );
  if (!Array.isArray(args))
    throw new UfsError('INVALID_INPUT', `[ufs] call "${command}": args must be an array, not ${describe(args)}`, {
      context: { operation: 'call', path: command },
    });
  const handles: { handle: LocalPathHandle; write: boolean }[] = [];
  let result: CallResult;
  try {
    const argv: string[] = [];
    for (const arg of args) {
      if (typeof arg === 'string') {
        argv.push(arg);
        continue;
      }
      const node = nodeOf(command, arg, argv.length);
      const write = !isNode(arg) && arg.mode === 'write';
      const handle = await node.localPath({ mode: write ? 'write' : 'read' });
      handles.push({ handle, write });
      argv.push(handle.path);
    }
    result = await run(command, argv, options);
  } catch (err) {
    // The program failed (or a path could not be made): release everything, write nothing back.
    await Promise.allSettled(handles.map(({ handle }) => handle.discard()));
    throw err;
  }
  // Success: outputs are written back; the first failure to do so is the call's failure.
  const closed = await Promise.allSettled(
    handles.map(({ handle, write }) => (write ? handle.close() : handle.discard())),
  );
  const failed = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return result;
}
