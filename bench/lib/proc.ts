/** Child processes of the benchmark (servers under test) and what /proc says about them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { sleep } from './stats.js';

export interface ServerChild {
  readonly name: string;
  readonly child: ChildProcess;
  /** The node process itself (bash exec'd into it). */
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Payamak's Prometheus endpoint (its own listener), e.g. http://127.0.0.1:41235/metrics; undefined for the floor. */
  readonly metricsUrl: string | undefined;
  /** Sends SIGTERM, waits up to `timeoutMs`, then SIGKILL. */
  stop(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** Arguments to `node`. */
  nodeArgs: string[];
  env: Record<string, string>;
  cwd: string;
  /** The child's stdout and stderr go here. */
  logFile: string;
  startTimeoutMs?: number;
}

export const LISTENING = /listening on (http:\/\/[\d.]+:(\d+))/;
/** Printed by src/index.ts in the same write as its "listening on" line. */
const METRICS = /Metrics \(Prometheus\): (http:\/\/\S+)/;

/**
 * Starts `node …` through bash so the child's open-files limit can be raised
 * to the hard limit first (`ulimit -n`); `exec` keeps the pid. Resolves when
 * the child prints "listening on http://…".
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerChild> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec node "$@"', 'node', ...options.nodeArgs], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const recent: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    recent.push(chunk.toString());
    if (recent.length > 20) recent.shift();
  });

  let metricsUrl: string | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`${options.name} did not start in time`)), options.startTimeoutMs ?? 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${recent.join('').slice(-3000)}`));
    };
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      const match = LISTENING.exec(buffered);
      if (match) {
        clearTimeout(timer);
        metricsUrl = METRICS.exec(buffered)?.[1];
        child.stdout!.off('data', onData);
        child.stdout!.pipe(log);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => fail(new Error(`${options.name} exited during start-up (code ${code}, signal ${signal})`)));
  });

  const port = Number(new URL(url).port);
  const waitExit = async (ms: number) => {
    if (exited) return true;
    const timeout = sleep(ms).then(() => false);
    return Promise.race([once(child, 'exit').then(() => true), timeout]);
  };
  return {
    name: options.name,
    child,
    pid: child.pid!,
    url,
    port,
    metricsUrl,
    async stop(timeoutMs = 15_000) {
      if (exited) return;
      child.kill('SIGTERM');
      if (!(await waitExit(timeoutMs))) {
        child.kill('SIGKILL');
        await waitExit(5_000);
      }
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await waitExit(5_000);
    },
  };
}

async function statusField(pid: number | 'self', field: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Resident set size in bytes. */
export const rssBytes = (pid: number | 'self') => statusField(pid, 'VmRSS');
/** Peak resident set size since start or the last {@link resetPeakRss}. */
export const peakRssBytes = (pid: number | 'self') => statusField(pid, 'VmHWM');

/** Resets VmHWM (Linux: write 5 to clear_refs); false when not allowed. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The soft open-files limit of a process. */
export async function openFilesLimit(pid: number | 'self'): Promise<number> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)\s+/m.exec(text);
  if (!match) return 1024;
  return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat. */
export async function cpuTimeMs(pid: number | 'self'): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Total CPU time of every process of the machine (for "how busy was the box"), in ms, from /proc/stat. */
export async function machineCpuMs(): Promise<{ busy: number; total: number }> {
  const text = await readFile('/proc/stat', 'utf8');
  const parts = text.split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = parts.reduce((a, b) => a + b, 0);
  const idle = (parts[3] ?? 0) + (parts[4] ?? 0);
  return { busy: ((total - idle) * 1000) / 100, total: (total * 1000) / 100 };
}
