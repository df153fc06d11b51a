/**
 * A real npm registry for the tests of `publish`, `install npm:`, `search`, `outdated`, `update`
 * and `flow --install-missing`: verdaccio (a devDependency), started in the test process on a
 * free port of 127.0.0.1 with its own storage folder, no uplinks (nothing leaves the machine),
 * publishing for logged-in users only. A user is created through the registry's own login
 * endpoint, and an `.npmrc` written with the registry and `${NPM_TOKEN}` for its token, as a
 * user's would be.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Registry {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** Where verdaccio keeps packages: `<storage>/<name>/<name>-<version>.tgz`. */
  storage: string;
  /** An `.npmrc` naming the registry and `${NPM_TOKEN}`. */
  npmrc: string;
  /** The environment for the CLI: the `.npmrc` as the user config and NPM_TOKEN. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-registry-'));
  const storage = join(dir, 'storage');
  const { runServer } = (await import('verdaccio')) as unknown as { runServer(config: unknown): Promise<{ listen(port: number, host: string, cb: () => void): Server }> };
  const app = await runServer({
    self_path: dir,
    storage,
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
    uplinks: {},
    // `owned-*` belongs to another user: publishing one is refused (403), as a taken name on npm is.
    packages: { 'owned-*': { access: '$all', publish: 'someone-else' }, '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' } },
    log: { type: 'stdout', format: 'pretty', level: 'error' },
    web: { enable: false },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const login = await fetch(`${url}-/user/org.couchdb.user:tester`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'tester', password: 'not-a-real-secret-1', type: 'user', roles: [], date: new Date().toISOString() }),
  });
  if (login.status !== 201) throw new Error(`verdaccio refused the test user: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const npmrc = join(dir, '.npmrc');
  writeFileSync(npmrc, `registry=${url}\n${url.replace(/^http:/, '')}:_authToken=\${NPM_TOKEN}\n`);
  return {
    url,
    storage,
    npmrc,
    env: { npm_config_userconfig: npmrc, NPM_TOKEN: token },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** npm sets npm_config_* for the scripts it runs (`npm test`); a test's CLI must read only the config it is given. */
export function clearNpmEnvironment(): void {
  for (const key of Object.keys(process.env)) if (/^npm_config_/i.test(key)) delete process.env[key];
}
