/**
 * A real redis-server for the tests of batches over a queue (`pocket-wit worker`, `flow --queue`).
 *
 * Each `startRedis()` starts Debian's redis-server on a free port of 127.0.0.1, with its own
 * temporary directory, and waits until it answers PING. Nothing listens on the default port, and
 * no test depends on a redis it did not start. Every server started here is killed (SIGKILL) when
 * the test process exits, also after a failed test, so none is left behind.
 *
 * redis-server is installed by scripts/install-toolchains.sh (package `redis-server`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RedisServer {
  /** `redis://127.0.0.1:PORT`, with `:PASSWORD@` when the server has a password. */
  url: string;
  port: number;
  password?: string;
  /** The server's own directory: its log (`redis.log`) and, with persistence, its append-only file. */
  dir: string;
  /** SIGKILL the server (no save) */
  kill(): Promise<void>;
  /** stop gracefully (SIGTERM; it saves if persistence is on) */
  stop(): Promise<void>;
  /** start again on the same port, same dir (same data if persistence on); stops it first (SIGTERM) if it runs */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

/** The redis-server executable on PATH, or undefined. */
function redisServerPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether redis-server is on PATH. */
export function haveRedis(): boolean {
  return redisServerPath() !== undefined;
}

/** Every server process started here that has not exited yet. */
const live = new Set<ChildProcess>();
let cleanupRegistered = false;

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Once per process: kill every server on exit, and on a terminating signal nobody else handles. */
function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Keep the default behaviour (terminate) unless the process handles the signal itself.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** A free TCP port on 127.0.0.1 (bound on port 0, then released). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no free port'))));
    });
  });
}

/** One RESP command as bytes. */
function command(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/**
 * One raw exchange: connect, (AUTH,) PING. `pong` when the server answered PONG, `busy` when it
 * is not listening yet or still loading its data, otherwise the server's error reply.
 */
function ping(port: number, password: string | undefined): Promise<'pong' | 'busy' | { error: string }> {
  return new Promise((resolvePing) => {
    let reply = '';
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const done = (result: 'pong' | 'busy' | { error: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePing(result);
    };
    const timer = setTimeout(() => done('busy'), 1000);
    socket.on('error', () => done('busy'));
    socket.on('close', () => done('busy'));
    socket.on('connect', () => {
      socket.write((password !== undefined ? command('AUTH', password) : '') + command('PING'));
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('+PONG\r\n')) return done('pong');
      const error = /^-(.*)\r\n/m.exec(reply)?.[1];
      if (error !== undefined) done(error.startsWith('LOADING') ? 'busy' : { error });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The end of the server's log (from byte `from`: one launch's output), for error messages. */
function logTail(log: string, from = 0): string {
  if (!existsSync(log)) return '(no output)';
  const text = readFileSync(log).subarray(from).toString('utf8').trimEnd();
  return text.split('\n').slice(-30).join('\n') || '(no output)';
}

/** Wait until `child` exits; SIGKILL it after `ms` if it has not. */
function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
  });
}

/**
 * Start a redis-server on a free port of 127.0.0.1 in a new temporary directory and wait until it
 * answers PING (10 s at most; the error then carries the server's output).
 * `password`: `--requirepass`. `persist`: an append-only file synced on every write
 * (`--appendonly yes --appendfsync always`), so that `kill()` then `restart()` keeps the data;
 * without it nothing is ever saved.
 */
export async function startRedis(opts: { password?: string; persist?: boolean } = {}): Promise<RedisServer> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not on PATH: install Debian\'s redis-server with `sh scripts/install-toolchains.sh` (or `apt-get install redis-server`)');
  registerCleanup();
  const dir = mkdtempSync(join(tmpdir(), 'pocket-wit-redis-'));
  const log = join(dir, 'redis.log');
  const password = opts.password;
  let port = 0;
  let child: ChildProcess | undefined;

  const args = (): string[] => [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--daemonize', 'no',
    '--save', '',
    ...(opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    '--protected-mode', 'no',
    ...(password !== undefined ? ['--requirepass', password] : []),
  ];

  /** Spawn the server on `port` and wait for PONG; false when it exited because the port was taken. */
  const launch = async (): Promise<boolean> => {
    const from = existsSync(log) ? statSync(log).size : 0;
    const fd = openSync(log, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(bin, args(), { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const started = proc;
    child = started;
    live.add(started);
    let exited = false;
    let spawnError: Error | undefined;
    started.once('error', (e) => {
      spawnError = e;
      exited = true;
      live.delete(started);
    });
    started.once('exit', () => {
      exited = true;
      live.delete(started);
    });
    // A server left running by a test must not keep the test process alive; kill/stop/restart
    // hold a reference while they wait.
    started.unref();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    started.ref();
    try {
      for (;;) {
        if (exited) {
          const tail = logTail(log, from);
          if (/Address already in use/i.test(tail)) return false;
          throw new Error(`redis-server on port ${port} exited before it was ready${spawnError ? ` (${spawnError.message})` : ''}; its output:\n${tail}`);
        }
        const answer = await ping(port, password);
        if (answer === 'pong') return true;
        if (answer !== 'busy') {
          started.kill('SIGKILL');
          throw new Error(`redis-server on port ${port} answered PING with an error: ${answer.error}; its output:\n${logTail(log, from)}`);
        }
        if (Date.now() > deadline) {
          started.kill('SIGKILL');
          throw new Error(`redis-server on port ${port} did not accept connections within ${READY_TIMEOUT_MS / 1000} s; its output:\n${logTail(log, from)}`);
        }
        await sleep(25);
      }
    } finally {
      started.unref();
    }
  };

  // The port is free when chosen but may be taken before the server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    if (await launch()) break;
    if (attempt === 5) throw new Error(`redis-server found no free port after 5 attempts; its output:\n${logTail(log)}`);
  }

  const running = (): ChildProcess | undefined =>
    child && child.exitCode === null && child.signalCode === null ? child : undefined;

  const halt = async (signal: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
    const c = running();
    if (!c) return;
    c.ref();
    try {
      c.kill(signal);
      await waitExit(c, STOP_TIMEOUT_MS);
    } finally {
      c.unref();
      live.delete(c);
    }
  };

  const auth = password !== undefined ? `:${encodeURIComponent(password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    ...(password !== undefined ? { password } : {}),
    dir,
    kill: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
    async restart() {
      await halt('SIGTERM');
      // Same port: nothing else should have taken it; if something did, say so.
      if (!(await launch())) throw new Error(`redis-server cannot restart: port ${port} is taken; its output:\n${logTail(log)}`);
    },
  };
}
