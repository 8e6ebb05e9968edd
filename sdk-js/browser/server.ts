/**
 * Starts the real CAAS server with its demo (`caas serve --demo`) for the
 * browser test, on a free port with a fresh data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The sdk-js folder. */
export const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A running server. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Its log lines so far (stdout and stderr), for diagnosis. */
  log: string[];
  /** Stops it (SIGTERM, then SIGKILL after 10 s) and removes its data folder. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL, like a crashed node) and resolves once it exited; `stop()` still removes its data folder. */
  kill(): Promise<void>;
}

/** How long the server may take to log `caas listening`. */
const START_TIMEOUT_MS = 60_000;

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /**
   * Data folder to use; the caller owns it (`stop()` leaves it in place), so a
   * test can stop the server and start it again on the same data. Default: a
   * fresh temporary folder, removed by `stop()`.
   */
  dataDir?: string;
  /** Address to listen on (`host:port`). Default `127.0.0.1:0` (a free port). */
  addr?: string;
  /** More environment for the server (e.g. `CAAS_DATABASE_URL`, `CAAS_REDIS_URL`, `CAAS_CLUSTER` for a cluster node). */
  env?: Record<string, string>;
}

/** The `caas` binary: `$CAAS_BIN`, default `../target/debug/caas` from sdk-js. */
export function caasBin(): string {
  const bin = process.env['CAAS_BIN'] ?? resolve(SDK_DIR, '../target/debug/caas');
  if (!existsSync(bin)) {
    throw new Error(`no CAAS server binary at ${bin}: build it (cargo build) or set CAAS_BIN`);
  }
  return bin;
}

/**
 * Runs `$CAAS_BIN serve --demo` (default `../target/debug/caas` from sdk-js)
 * and resolves once it logs `caas listening` (JSON logs: `fields.message`),
 * with the address it logged (`fields.addr`).
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const bin = caasBin();
  const ownsData = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'caas-browser-')));
  const child = spawn(bin, ['serve', '--demo'], {
    env: {
      ...process.env,
      CAAS_HTTP_ADDR: options.addr ?? '127.0.0.1:0',
      // The SFU's UDP port too, so that the test never collides with a server already running.
      CAAS_RTC_UDP_ADDR: '127.0.0.1:0',
      CAAS_DATA_DIR: dataDir,
      CAAS_LOG_FORMAT: 'json',
      CAAS_LOG: 'info',
      CAAS_DEMO_DIR: join(SDK_DIR, 'demo'),
      CAAS_DEMO_SDK_DIR: join(SDK_DIR, 'dist'),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const stop = async (): Promise<void> => {
    await terminate(child);
    if (ownsData) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const addr = await new Promise<string>((resolveAddr, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the server did not log "caas listening" within ${START_TIMEOUT_MS} ms:\n${tail(log)}`)),
        START_TIMEOUT_MS,
      );
      const onLine = (line: string): void => {
        log.push(line);
        const addr = listeningAddr(line);
        if (addr !== undefined) {
          clearTimeout(timer);
          resolveAddr(addr);
        }
      };
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', onLine);
      }
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${signal ?? code}) before listening:\n${tail(log)}`));
      });
    });
    const kill = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGKILL');
      await exited;
    };
    return { url: `http://${addr}`, log, stop, kill };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `fields.addr` of a JSON log line whose `fields.message` is `caas listening`. */
export function listeningAddr(line: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const fields = (parsed as { fields?: { message?: unknown; addr?: unknown } } | null)?.fields;
  return fields?.message === 'caas listening' && typeof fields.addr === 'string' ? fields.addr : undefined;
}

function tail(log: string[]): string {
  return log.slice(-30).join('\n');
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
