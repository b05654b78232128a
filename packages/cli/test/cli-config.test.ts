import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCliConfig } from '../src/config/cli-config-file.js';
import { sandbox, ufs } from './helpers/ufs.js';
import { defaultCliConfig, loadCliConfig } from '../src/config/cli-config.js';

let dir: string;
const env = () => ({ XDG_CONFIG_HOME: dir, HOME: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-cli-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the config file', () => {
  it('without a file: the defaults, the same as validating an empty config', async () => {
    expect(defaultCliConfig()).toEqual(parseCliConfig({}, undefined));
    expect(await loadCliConfig(undefined, env())).toEqual(defaultCliConfig());
  });

  it('a YAML file is parsed and validated (provider ids keep their text)', async () => {
    await mkdir(join(dir, 'ufs'), { recursive: true });
    await writeFile(
      join(dir, 'ufs', 'config.yaml'),
      'providers: [0x0, catbox]\nidleTimeoutMs: 30000\nproviderOptions:\n  0x0: { secret: true }\nscan:\n  batchSize: 200\nmounts:\n  data: { protocol: local, root: ./d }\n',
    );
    const config = await loadCliConfig(undefined, env());
    expect(config.path).toBe(join(dir, 'ufs', 'config.yaml'));
    expect(config.upload.providers).toEqual(['0x0', 'catbox']);
    expect(config.upload.providerOptions).toEqual({ '0x0': { secret: true } }); // unquoted: a name, not 0
    expect(config.scan).toEqual({ batchSize: 200 });
    expect(config.upload.idleTimeoutMs).toBe(30000); // a top-level upload key, like timeoutMs
    expect(config.mounts).toEqual([{ name: 'data', protocol: 'local', root: join(dir, 'ufs', 'd') }]);
  });

  it('a bad file is CONFIG_INVALID naming the file and the key', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'scan:\n  batchSize: "many"\n');
    await expect(loadCliConfig(bad, env())).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/config ".*bad\.yaml": scan\.batchSize: /),
    });
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "scan": ');
    await expect(loadCliConfig(broken, env())).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('not valid JSON'),
    });
    await expect(loadCliConfig(join(dir, 'missing.yaml'), env())).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('a bad mounts section says what is expected', () => {
  it.each([
    ['mounts: 5\n', /: mounts: expected a list of mounts or a map of name → mount \(e\.g\. .*\), got number 5$/],
    ['mounts: s3://b\n', /: mounts: expected a list of mounts or a map of name → mount .*, got the text "s3:\/\/b"$/],
    ['mounts:\n  data: 5\n', /: mounts\.data: expected a mount: a URL or a map of options \(e\.g\. /],
    ['mounts:\n  - 5\n', /: mounts\.0: expected a mount: a map of options with its name /],
  ])('%j', async (text, message) => {
    const box = await sandbox();
    try {
      const file = join(box.dir, 'config.yaml');
      await writeFile(file, text);
      const run = await ufs(['ls', '--config', file, 'x:'], { env: box.env });
      expect(run.status).toBe(78);
      expect(run.stderr.trim()).toMatch(message);
      expect(run.stderr).not.toMatch(/Invalid input/);
    } finally {
      await box.cleanup();
    }
  });
});
