import type { FakeService } from './base.js';
import { catboxFake } from './catbox.js';
import { litterboxFake } from './litterbox.js';
import { zeroXZeroFake } from './0x0.js';
import { x0atFake } from './x0at.js';
import { uguuFake } from './uguu.js';
import { tmpfilesFake } from './tmpfiles.js';
import { tmpfilelinkFake } from './tmpfilelink.js';
import { senditFake } from './sendit.js';
import { tempshFake } from './tempsh.js';
import { pixeldrainFake } from './pixeldrain.js';
import { filebinFake } from './filebin.js';
import { falFake } from './fal.js';
import { dropboxFake } from './dropbox.js';

/** A provider wired to its local server: the env and options that point the provider at it. */
export interface Harness {
  id: string;
  fake: FakeService;
  env: Record<string, string>;
  providerOptions: Record<string, unknown>;
  stop(): Promise<void>;
}

export const PIXELDRAIN_KEY = 'pd-test-key';
export const FAL_KEY = 'fal-key-id:fal-key-secret';
export const DROPBOX_TOKEN = 'sl.dropbox-test-token';

function simple(id: string, envName: string, make: () => FakeService, extraEnv: Record<string, string> = {}) {
  return async (): Promise<Harness> => {
    const fake = await make().start();
    return { id, fake, env: { [envName]: fake.url, ...extraEnv }, providerOptions: {}, stop: () => fake.stop() };
  };
}

/** Local servers for every HTTP provider, by provider id (s3 has its own, over radosgw: see s3-harness.ts). */
export const HARNESSES: Record<string, () => Promise<Harness>> = {
  catbox: simple('catbox', 'UFS_CATBOX_URL', catboxFake),
  litterbox: simple('litterbox', 'UFS_LITTERBOX_URL', litterboxFake),
  '0x0': simple('0x0', 'UFS_0X0_URL', zeroXZeroFake),
  x0at: simple('x0at', 'UFS_X0AT_URL', x0atFake),
  uguu: simple('uguu', 'UFS_UGUU_URL', uguuFake),
  tmpfiles: simple('tmpfiles', 'UFS_TMPFILES_URL', tmpfilesFake),
  tmpfilelink: simple('tmpfilelink', 'UFS_TMPFILELINK_URL', tmpfilelinkFake),
  sendit: simple('sendit', 'UFS_SENDIT_URL', senditFake),
  tempsh: simple('tempsh', 'UFS_TEMPSH_URL', tempshFake),
  pixeldrain: simple('pixeldrain', 'UFS_PIXELDRAIN_URL', () => pixeldrainFake(PIXELDRAIN_KEY), {
    PIXELDRAIN_API_KEY: PIXELDRAIN_KEY,
  }),
  filebin: simple('filebin', 'UFS_FILEBIN_URL', filebinFake),
  fal: simple('fal', 'UFS_FAL_URL', () => falFake(FAL_KEY), { FAL_KEY }),
  dropbox: simple('dropbox', 'UFS_DROPBOX_URL', () => dropboxFake({ accessToken: DROPBOX_TOKEN }), {
    DROPBOX_ACCESS_TOKEN: DROPBOX_TOKEN,
  }),
};
