import type { Command } from '@oclif/core';
import type { UfsError } from '@org/core';
import type { StorageNode } from '@org/storage';
import { BaseCommand } from '../base-command.js';
import { asUfsError, errorJson, exitCodeForFailures } from '../errors.js';
import { stdoutBroken } from '../output/stdout.js';
import { CliStorage } from './open-storage.js';

/** The `--json` item of an argument that failed. */
export interface ArgFailure {
  path: string;
  error: ReturnType<typeof errorJson>['error'];
}

/** A command over `mount:path` nodes: opens the configured mounts once and disposes them at the end. */
export abstract class StorageCommand<T extends typeof Command> extends BaseCommand<T> {
  private opened: CliStorage | undefined;

  protected async storage(): Promise<CliStorage> {
    this.opened ??= await CliStorage.open(await this.cliConfig());
    return this.opened;
  }

  protected async node(arg: string): Promise<StorageNode> {
    return (await this.storage()).node(arg);
  }

  protected override forUser(error: UfsError): UfsError {
    return this.opened ? this.opened.forUser(error) : error;
  }

  /** A node in results (JSON, listings): a local path absolute, others `mount:path`. */
  protected show(node: StorageNode): string {
    return this.opened ? this.opened.display(node) : node.fullpath;
  }

  /** A node in messages: a local path as the user typed it (see CliStorage.named). */
  protected named(node: StorageNode): string {
    return this.opened ? this.opened.named(node) : node.fullpath;
  }

  /**
   * Runs `one` for each argument in order and goes on past a failed one, as coreutils `rm a b c` and `cat` do: each
   * failure is reported on stderr when it happens and is `{path, error}` among the results (`--json`); the exit
   * status is that of the failures (their common code's, else 1: `exitCodeForFailures`). Without --json a single
   * argument's failure is the command's error, as for any command; with --json the output is the array of items
   * whatever the count, a failed path as its item's error, so a script reads one shape. The config is read first: its
   * error is about no path, and stays the command's own error (a mount that cannot be opened fails its paths). A
   * closed stdout stops everything (see output/stdout.ts). Results go to `emit` as they come when it is given
   * (streamed output), else they are returned.
   */
  protected async eachArg<R>(
    args: readonly string[],
    one: (arg: string) => Promise<R>,
    emit?: (result: R | ArgFailure) => Promise<void>,
  ): Promise<Array<R | ArgFailure>> {
    const results: Array<R | ArgFailure> = [];
    const add = async (result: R | ArgFailure) => (emit ? emit(result) : void results.push(result));
    await this.storage();
    if (args.length === 1 && !this.jsonEnabled()) {
      await add(await one(args[0]!));
      return results;
    }
    const failures: UfsError[] = [];
    for (const arg of args) {
      let result: R | ArgFailure;
      try {
        result = await one(arg);
      } catch (err) {
        if (stdoutBroken()) throw err;
        const error = asUfsError(err);
        failures.push(error);
        this.reportError(error);
        result = { path: await this.pathOf(arg), error: errorJson(this.forUser(error)).error };
      }
      await add(result);
    }
    this.setExitStatus(exitCodeForFailures(failures));
    return results;
  }

  /** An argument as results show it (the argument itself when it names no node, e.g. an unknown mount). */
  private async pathOf(arg: string): Promise<string> {
    try {
      return this.show(await this.node(arg));
    } catch {
      return arg;
    }
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    await this.opened?.dispose();
    return super.finally(err);
  }
}

/** The JSON form of a node's stat: `path` and `name` (its last segment), as `ls --json` entries have them. */
export function statJson(
  path: string,
  name: string,
  stat: { isFile: boolean; isDir: boolean; size: number; mtime?: Date; [k: string]: unknown },
) {
  const { mtime, key: _key, ...rest } = stat;
  return { path, name, ...rest, ...(mtime ? { mtime: mtime.toISOString() } : {}) };
}
