/** What a health check found: up with its latency, or down with a short reason (never hosts or SQL). */
export interface ProbeResult {
  up: boolean;
  latencyMs: number | null;
  detail: string | null;
}

/**
 * Runs a check that resolves with its latency in ms, for at most `timeoutMs`,
 * as /readyz and adminHealth both report it. A failure names its code
 * (`ECONNREFUSED`, `timeout`), never its internals.
 */
export async function timedProbe(check: () => Promise<number>, timeoutMs = 2000): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'timeout' })), timeoutMs);
    timer.unref();
  });
  try {
    const latency = await Promise.race([check(), timedOut]);
    return { up: true, latencyMs: Math.round(latency * 100) / 100, detail: null };
  } catch (error) {
    return { up: false, latencyMs: null, detail: (error as { code?: string }).code ?? 'unavailable' };
  } finally {
    clearTimeout(timer);
  }
}
