// `ufs server …` against servers that do not answer as a ufs server does: an answer of another shape is UNEXPECTED
// (70) naming the request and what was wrong, never a TypeError nor a false success; a server that takes the
// connection and never answers ends in TIMEOUT (75) naming the request, never in a hang.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;

/** A real HTTP server on 127.0.0.1 answering with `handle`; `seen` lists `METHOD /path` of each request. */
async function local(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.cleanup();
});

describe('ufs server …: answers of another shape', () => {
  const sha = 'ab'.repeat(32);
  const cases: Array<[string[], string, string]> = [
    [['key', 'list'], 'GET /api_keys', 'the answer: expected array, received object'],
    [['key', 'create', 'laptop'], 'POST /api_keys', '"api_key" is missing; "_id" is missing; "name" is missing'],
    [['key', 'revoke', 'k1'], 'PUT /api_keys/k1/revoke', '"message" is missing'],
    [['key', 'revoke', '--delete', 'k1'], 'DELETE /api_keys/k1', '"message" is missing'],
    [['gc'], 'POST /admin/gc', '"scanned" is missing'],
    [['verify'], 'POST /admin/verify', '"checked" is missing'],
    [['verify', sha], 'POST /admin/verify', '"checked" is missing'],
  ];

  it.each(cases)(
    'server %j against a server answering 200 {"foo":1}: 70, one line naming the request',
    async (args, request, problem) => {
      const srv = await local(json({ foo: 1 }));
      try {
        const run = await ufs(['server', ...args, '--server', srv.url, '--api-key', 'k'], { env: box.env });
        expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 70, stdout: '' });
        const [method, path] = request.split(' ');
        expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^\[ufs\] \[server\] /)]);
        expect(run.stderr).toContain(`[ufs] [server] ${method} ${path} "${srv.url}": unexpected answer: ${problem}`);
        expect(srv.seen).toEqual([`${method} ${path}`]);
      } finally {
        await srv.close();
      }
    },
  );

  it('revoke --json reports no success the server did not confirm', async () => {
    const srv = await local(json({ foo: 1 }));
    try {
      const run = await ufs(['server', 'key', 'revoke', 'k1', '--json', '-s', srv.url, '-k', 'k'], { env: box.env });
      expect(run.status).toBe(70);
      expect(run.json()).toMatchObject({ error: { code: 'UNEXPECTED', exitCode: 70 } });
      expect(run.stdout).not.toContain('revoked"');
    } finally {
      await srv.close();
    }
  });

  it('revoke and delete need the answer to say that the key was revoked (deleted)', async () => {
    const srv = await local((req, res) =>
      json({ message: req.method === 'DELETE' ? 'API key revoked successfully' : 'nothing to do' })(req, res),
    );
    try {
      const [revoke, remove] = await Promise.all([
        ufs(['server', 'key', 'revoke', 'k1', '-s', srv.url, '-k', 'k'], { env: box.env }),
        ufs(['server', 'key', 'revoke', '--delete', 'k1', '-s', srv.url, '-k', 'k'], { env: box.env }),
      ]);
      expect(revoke.status).toBe(70);
      expect(revoke.stdout).toBe('');
      expect(revoke.stderr.trim()).toBe(
        `[ufs] [server] PUT /api_keys/k1/revoke "${srv.url}": unexpected answer: "message" does not say that the key was revoked`,
      );
      expect(remove.status).toBe(70);
      expect(remove.stderr).toContain('"message" does not say that the key was deleted');
    } finally {
      await srv.close();
    }
  });

  it('a list with a key of another shape names the field; a create answer without the key is refused', async () => {
    const srv = await local((req, res) =>
      req.method === 'GET'
        ? json([{ _id: 'a', name: 'n', created_at: 't', is_active: true, scopes: 'read' }])(req, res)
        : json({ _id: 'a', name: 'n', scopes: ['read'] })(req, res),
    );
    try {
      const [list, create] = await Promise.all([
        ufs(['server', 'key', 'list', '-s', srv.url, '-k', 'k'], { env: box.env }),
        ufs(['server', 'key', 'create', 'n', '-s', srv.url, '-k', 'k'], { env: box.env }),
      ]);
      expect(list.status).toBe(70);
      expect(list.stderr.trim()).toBe(
        `[ufs] [server] GET /api_keys "${srv.url}": unexpected answer: "[0].scopes": expected array, received string`,
      );
      expect(create.status).toBe(70);
      expect(create.stdout).toBe('');
      expect(create.stderr).toContain('unexpected answer: "api_key" is missing');
    } finally {
      await srv.close();
    }
  });
});

describe('ufs server …: a server that never answers', () => {
  it.each([
    [['key', 'list'], 'GET /api_keys'],
    [['key', 'create', 'n'], 'POST /api_keys'],
    [['key', 'revoke', 'k1'], 'PUT /api_keys/k1/revoke'],
    [['gc'], 'POST /admin/gc'],
    [['verify'], 'POST /admin/verify'],
  ])('server %j --timeout 1: 75 after about a second, naming the request', async (args, request) => {
    const srv = await local(() => undefined);
    try {
      const started = Date.now();
      const run = await ufs(['server', ...args, '--timeout', '1', '-s', srv.url, '-k', 'k'], {
        env: box.env,
        timeoutMs: 20_000,
      });
      const took = Date.now() - started;
      expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 75, stdout: '' });
      expect(run.stderr.trim().split('\n')).toEqual([
        `[ufs] [server] ${request} "${srv.url}": no answer in 1 s (wait longer with --timeout SECONDS)`,
      ]);
      // Asked once: a request that timed out is not sent again (key list retries other failures).
      expect(srv.seen).toHaveLength(1);
      expect(took).toBeLessThan(10_000);
    } finally {
      await srv.close();
    }
  });

  it('--verbose says what it waits for, and how long', async () => {
    const srv = await local(() => undefined);
    try {
      const run = await ufs(['server', 'gc', '--timeout', '1', '--verbose', '-s', srv.url, '-k', 'k'], {
        env: box.env,
      });
      expect(run.status).toBe(75);
      expect(run.stderr).toContain(`waiting for the answer to POST ${srv.url}/admin/gc (up to 1 s, see --timeout)`);
    } finally {
      await srv.close();
    }
  });

  it('the deadlines by default: 30 s for the key commands, an hour for gc and verify (0: none)', async () => {
    const help = (command: string[]) => ufs(['server', ...command, '--help'], { env: box.env });
    const [keys, admin] = await Promise.all([
      Promise.all(
        [
          ['key', 'list'],
          ['key', 'create'],
          ['key', 'revoke'],
        ].map(help),
      ),
      Promise.all([['gc'], ['verify']].map(help)),
    ]);
    for (const run of keys) expect(run.stdout).toMatch(/--timeout=<value>\s+\[default: 30\]/);
    for (const run of admin) {
      expect(run.stdout).toMatch(/--timeout=<value>\s+\[default: 3600\]/);
      expect(run.stdout).toContain('0: no limit');
    }
  });

  it('gc --timeout 0 waits as long as the server takes', async () => {
    const report = {
      scanned: 1,
      deleted: [],
      orphans: [],
      tempObjects: 0,
      expiredUploads: 0,
      dryRun: true,
    };
    const srv = await local((req, res) => setTimeout(() => json(report)(req, res), 1500));
    try {
      const run = await ufs(['server', 'gc', '--timeout', '0', '-s', srv.url, '-k', 'k'], { env: box.env });
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^scanned 1 contents; would remove 0 unreferenced/);
    } finally {
      await srv.close();
    }
  });
});
