import { Args, type Command } from '@oclif/core';
import { UfsError } from '@org/core';
import type { CopySummary } from '@org/storage';
import { exitCodeForFailures } from '../errors.js';
import { ProgressLine, progressWanted } from '../output/progress.js';
import { StorageCommand } from './storage-command.js';
import { addSummary, copyOptions, destinationFor, summaryLine, type TransferFlags } from './transfer.js';

export interface TransferJson {
  files: number;
  bytes: number;
  skipped: number;
  errors: Array<{
    path: string;
    dest: string;
    error: ReturnType<UfsError['toJSON']>;
  }>;
}

export const transferArgs = {
  src: Args.string({
    description: 'Source file(s) or folder(s)',
    required: true,
  }),
  dest: Args.string({ description: 'Destination', required: true }),
};

/** `cp` and `mv`: SRC… DEST through the storage copy engine, with progress, a summary and per-file failures. */
export abstract class TransferCommand<T extends typeof Command> extends StorageCommand<T> {
  protected async transfer(operation: 'copy' | 'move'): Promise<TransferJson> {
    const name = operation === 'copy' ? 'cp' : 'mv';
    if (this.argList.length < 2)
      throw new UfsError('INVALID_INPUT', `[ufs] ${name}: give at least one source and a destination`);
    const flags = this.flags as unknown as TransferFlags;
    const destArg = this.argList.at(-1)!;
    const sources = this.argList.slice(0, -1);
    const dest = await this.node(destArg);
    const progress = new ProgressLine(progressWanted(this.jsonEnabled()));
    const total: CopySummary = { files: 0, bytes: 0, skipped: 0, errors: [] };
    const options = copyOptions(flags, progress, (line) => {
      progress.done();
      this.debugNote(line);
    });
    try {
      for (const srcArg of sources) {
        const src = await this.node(srcArg);
        const target = await destinationFor(src, dest, destArg, sources.length > 1);
        addSummary(total, operation === 'copy' ? await src.copyTo(target, options) : await src.moveTo(target, options));
      }
    } finally {
      progress.done();
    }
    for (const failure of total.errors) this.reportError(failure.error);
    this.out(summaryLine(operation === 'copy' ? 'copied' : 'moved', total));
    this.setExitStatus(exitCodeForFailures(total.errors.map((e) => e.error)));
    return {
      ...total,
      errors: total.errors.map((e) => ({
        path: e.path,
        dest: e.dest,
        error: this.forUser(e.error).toJSON(),
      })),
    };
  }
}
