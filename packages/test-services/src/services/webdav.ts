import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v2 as webdav } from 'webdav-server';

export interface WebdavTestServer {
  /** Base URL of the served collection: `http://127.0.0.1:<port>/`. */
  url: string;
  username: string;
  password: string;
  /** The folder on this machine holding the served files. */
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real WebDAV server (npm `webdav-server` v2, in this process) on a free 127.0.0.1 port, serving a fresh temp
 * folder through its physical file system, with one user (basic or digest authentication) allowed everything.
 */
export async function startWebdavServer(auth: 'basic' | 'digest' = 'basic'): Promise<WebdavTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ufs-webdav-test-'));
  const username = 'alice';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const users = new webdav.SimpleUserManager();
  const user = users.addUser(username, password, false);
  const privileges = new webdav.SimplePathPrivilegeManager();
  privileges.setRights(user, '/', ['all']);
  const server = new webdav.WebDAVServer({
    hostname: '127.0.0.1',
    port: 0,
    requireAuthentification: true,
    httpAuthentication:
      auth === 'basic'
        ? new webdav.HTTPBasicAuthentication(users, 'ufs')
        : new webdav.HTTPDigestAuthentication(users, 'ufs'),
    privilegeManager: privileges,
    rootFileSystem: new webdav.PhysicalFileSystem(dir),
    maxRequestDepth: Infinity,
  });
  const http = await new Promise<Server>((resolve) => server.start((s) => resolve(s as Server)));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('webdav-server: no port');
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    username,
    password,
    dir,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        http.closeAllConnections();
        server.stop(() => resolve());
      }).finally(() => rmSync(dir, { recursive: true, force: true }))),
  };
}
