import type { Command } from '@oclif/core';
import type { UfsError } from '@org/core';
import type { StorageNode } from '@org/storage';
import { BaseCommand } from '../base-command.js';
import { CliStorage } from './open-storage.js';

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

  protected show(node: StorageNode): string {
    return this.opened ? this.opened.display(node) : node.fullpath;
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    await this.opened?.dispose();
    return super.finally(err);
  }
}

/** The JSON form of a node's stat. */
export function statJson(
  path: string,
  stat: { isFile: boolean; isDir: boolean; size: number; mtime?: Date; [k: string]: unknown },
) {
  const { mtime, key: _key, ...rest } = stat;
  return { path, ...rest, ...(mtime ? { mtime: mtime.toISOString() } : {}) };
}
