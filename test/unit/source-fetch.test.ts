/**
 * The one retry loop of sources read over plain fetch (Clerk; Auth0 under its SDK), against a
 * local HTTP server that answers as told: 429s waited out and counted, 5xx and unreachable
 * retried then handed back or named, a stop honoured in the middle of a wait.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFromSource, SourceCallCounts, type SourceFetch } from '../../src/providers/source-fetch.js';

/** Statuses to answer, in order, per path; then 200. */
const script = new Map<string, number[]>();
const seen: string[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    const status = script.get(req.url!)?.shift() ?? 200;
    res.writeHead(status, { 'content-type': status >= 500 ? 'text/html' : 'application/json' });
    res.end(status === 200 ? '{"ok":true}' : status >= 500 ? '<html>busy</html>' : '{"error":"slow down"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function options(extra: Partial<SourceFetch> = {}): SourceFetch & { waits: number[] } {
  const waits: number[] = [];
  return {
    fetch,
    counts: new SourceCallCounts(),
    maxAttempts: 3,
    wait429: (_res, inARow) => 20 * (inARow + 1),
    onRateLimited: (ms) => waits.push(ms),
    unreachable: (error) => new Error(`unreachable: ${error.message}`),
    waits,
    ...extra,
  };
}

describe('fetchFromSource', () => {
  it('waits out each 429 (longer each time in a row), says so, and sends the same request again', async () => {
    script.set('/limited', [429, 429]);
    seen.length = 0;
    const o = options();
    const res = await fetchFromSource(`${base}/limited`, { headers: { Authorization: 'Bearer k' } }, o);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen).toEqual(['GET /limited Bearer k', 'GET /limited Bearer k', 'GET /limited Bearer k']);
    expect(o.waits).toEqual([20, 40]);
    expect(o.counts).toMatchObject({ calls: 3, rateLimited: 2, retried: 0 });
    expect(o.counts.stats().waitedMs).toBeGreaterThanOrEqual(55);
  });

  it('retries a 5xx, and hands the last one back when every try got one', async () => {
    script.set('/flaky', [503, 502]);
    const o = options();
    expect((await fetchFromSource(`${base}/flaky`, {}, o)).status).toBe(200);
    expect(o.counts).toMatchObject({ calls: 3, retried: 2 });

    script.set('/down', [500, 500, 500, 500]);
    const d = options();
    const res = await fetchFromSource(`${base}/down`, {}, d);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('<html>busy</html>');
    expect(d.counts).toMatchObject({ calls: 3, retried: 2 });
  }, 30_000);

  it('names a source it cannot reach, after every try', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const o = options();
    await expect(fetchFromSource(`http://127.0.0.1:${port}/x`, {}, o)).rejects.toThrow(/^unreachable: fetch failed/);
    expect(o.counts).toMatchObject({ calls: 3, retried: 2 });
  }, 30_000);

  it('paces every try, and a stop in the middle of a 429 wait ends the call', async () => {
    script.set('/slow', [429, 429]);
    const stop = new AbortController();
    let paced = 0;
    const o = options({
      signal: stop.signal,
      pace: async () => {
        paced++;
      },
      // Longer than the test's timeout: only the stop ends it.
      wait429: () => 600_000,
      onRateLimited: () => setTimeout(() => stop.abort(new Error('stopped by the operator')), 20),
    });
    await expect(fetchFromSource(`${base}/slow`, {}, o)).rejects.toThrow(/stopped by the operator/);
    expect(paced).toBe(1);
    expect(o.counts).toMatchObject({ calls: 1, rateLimited: 1 });
  }, 60_000);
});
