// Names stored in NFD on an SFTP server (as a Mac writes them), on the real OpenSSH sshd (its files are this
// machine's files, made here directly). A listing shows them under their NFC key, and every operation on that key
// reaches them, as on local mounts; a name no key can reach (its NFC twin beside it, or a mix of forms) is reported.
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const sshd = await sftpEndpoint();
afterAll(() => sshd.stop(), 30_000);

const NFC = 'r\u00e9sum\u00e9.txt';
const NFD = NFC.normalize('NFD');
const FOLDER = 'caf\u00e9';

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let out: string;
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-sftp-nfd-');
  const base = realpathSync(dir.path);
  root = join(base, 'remote');
  out = join(base, 'out');
  mkdirSync(join(root, FOLDER.normalize('NFD')), { recursive: true });
  mkdirSync(out);
  writeFileSync(join(root, NFD), 'from a mac');
  writeFileSync(join(root, FOLDER.normalize('NFD'), NFD), 'deeper');
  storage = new StorageManager();
  await storage.configure([sftpMount(sshd, root, 'remote'), { name: 'out', protocol: 'local', root: out }]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

async function listReported(path: string): Promise<{ listed: string[]; reported: UfsError[] }> {
  const reported: UfsError[] = [];
  const listed: string[] = [];
  const report = (e: UfsError) => reported.push(e);
  for await (const node of storage.node(path).list({ recursive: true, onUnreadable: report, onInvalidName: report }))
    listed.push(node.path);
  return { listed, reported };
}

describe('SFTP: names stored in NFD', () => {
  it('are listed under their NFC key, and that key reads, stats and copies them', async () => {
    const { listed, reported } = await listReported('remote:');
    expect(listed.sort()).toEqual([FOLDER, `${FOLDER}/${NFC}`, NFC].sort());
    expect(reported).toEqual([]);
    expect(await storage.node(`remote:${NFC}`).readText()).toBe('from a mac');
    expect(await storage.node(`remote:${FOLDER}/${NFC}`).readText()).toBe('deeper');
    expect((await storage.node('remote:').backend.stat(`${FOLDER}/${NFC}`))?.key).toBe(`${FOLDER}/${NFC}`);
    const copied = await copyNode(storage.node('remote:'), storage.node('out:c'));
    expect([copied.files, copied.errors]).toEqual([2, []]);
    expect(readFileSync(join(out, 'c', FOLDER, NFC), 'utf8')).toBe('deeper');
  });

  it('a write overwrites the NFD file (no twin), a rename and a delete reach it', async () => {
    await storage.node(`remote:${NFC}`).writeText('again');
    expect(readdirSync(root).sort()).toEqual([FOLDER.normalize('NFD'), NFD].sort());
    expect(readFileSync(join(root, NFD), 'utf8')).toBe('again');
    await storage.node('remote:').backend.rename!(NFC, `${FOLDER}/moved.txt`);
    expect(readdirSync(join(root, FOLDER.normalize('NFD'))).sort()).toEqual([NFD, 'moved.txt'].sort());
    await storage.node(`remote:${FOLDER}`).delete({ recursive: true });
    expect(readdirSync(root)).toEqual([]);
  });

  it('beside its NFC twin the NFD name is reported, never listed under the same path', async () => {
    writeFileSync(join(root, NFC), 'nfc');
    const { listed, reported } = await listReported('remote:');
    expect(listed.filter((p) => p === NFC)).toEqual([NFC]);
    expect(reported.map((e) => e.code)).toEqual(['INVALID_INPUT']);
    expect(reported[0]!.message).toContain('differs from "r\\u00e9sum\\u00e9.txt" only in Unicode form');
    expect(await storage.node(`remote:${NFC}`).readText()).toBe('nfc');
  });

  it('a missing name is still missing', async () => {
    expect(await storage.node('remote:').backend.stat('na\u00efve.txt')).toBeNull();
    await rejectsWith(storage.node('remote:na\u00efve/x.txt').readText(), 'NOT_FOUND');
  });
});
