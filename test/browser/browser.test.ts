/**
 * Issue 11 item 2, the browser proof: headless Chromium (Debian's package, driven by
 * playwright-core) loads a page whose script is `puretls/web` bundled by esbuild; the page
 * opens a WebSocket to the test bridge (test/helpers/ws-bridge.mjs), which joins it to an
 * `openssl s_server -rev` on loopback, and completes TLS 1.3 there: it checks the server
 * certificate against the CA the test passed, exchanges a line, closes, and reports `info`.
 * The page's console is forwarded to this test's log, so the log shows the handshake summary
 * produced inside the page.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllPeers, makePkiFiles, opensslAvailable, removeTempDirs, startOpensslServer, type PkiFiles } from '../helpers/peers.js';
import { startWsBridge, type WsBridge } from '../helpers/ws-bridge.mjs';
import type { PageResult, PageRun } from './page.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.PURETLS_CHROMIUM ?? '/usr/bin/chromium';

function chromiumCheck(): { ok: boolean; detail: string } {
  if (!fs.existsSync(CHROMIUM)) return { ok: false, detail: `${CHROMIUM} absent (apt-get install chromium)` };
  const o = opensslAvailable();
  return o.ok ? { ok: true, detail: CHROMIUM } : o;
}

const avail = chromiumCheck();
const t = avail.ok ? it : it.skip;
const skip = avail.ok ? '' : ` (skipped: ${avail.detail})`;

type Browser = Awaited<ReturnType<typeof import('playwright-core')['chromium']['launch']>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

let pki: PkiFiles;
let other: PkiFiles;
let bundle: Uint8Array;
let bundleBytes = 0;
let site: http.Server;
let siteUrl: string;
let browser: Browser | undefined;
const pageLog: string[] = [];

/** The page script: src/transport/web.ts and its imports, bundled for the browser. */
async function bundlePage(): Promise<Uint8Array> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [path.join(ROOT, 'test/browser/page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const out = r.outputFiles[0]!.contents;
  // What a browser build must not carry: a node: import would fail to load in the page.
  expect(new TextDecoder().decode(out)).not.toMatch(/from\s*["']node:/);
  return out;
}

beforeAll(async () => {
  if (!avail.ok) return;
  [pki, other, bundle] = await Promise.all([makePkiFiles('ecdsa-p256'), makePkiFiles('rsa-2048'), bundlePage()]);
  bundleBytes = bundle.length;
  site = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>puretls browser proof</title><script type="module" src="/page.js"></script>');
    }
  });
  site.listen(0, '127.0.0.1');
  await new Promise((r) => site.once('listening', r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (site ? site.close(() => r()) : r()));
  await killAllPeers();
  removeTempDirs();
  if (pageLog.length > 0) console.log(`browser proof (page bundle ${(bundleBytes / 1024).toFixed(1)} KiB minified):\n  ${pageLog.join('\n  ')}`);
});

/** Opens the page, forwards its console to the log, and runs `runTls` in it. */
async function runInPage(run: PageRun): Promise<PageResult> {
  const page: Page = await browser!.newPage();
  try {
    page.on('console', (m) => pageLog.push(m.text()));
    page.on('pageerror', (e) => pageLog.push(`[page error] ${e.message}`));
    await page.goto(siteUrl);
    await page.waitForFunction(() => typeof (globalThis as { runTls?: unknown }).runTls === 'function');
    return await page.evaluate((o) => (globalThis as unknown as { runTls(o: PageRun): Promise<PageResult> }).runTls(o), run);
  } finally {
    await page.close();
  }
}

async function serverAndBridge(f: PkiFiles): Promise<{ bridge: WsBridge; stop(): Promise<void> }> {
  const o = await startOpensslServer(['-cert', f.chainFile, '-key', f.keyFile, '-tls1_3', '-rev', '-naccept', '1']);
  const bridge = await startWsBridge({ target: { host: '127.0.0.1', port: o.port } });
  return { bridge, stop: async () => {
    await bridge.close();
    await o.process.kill();
  } };
}

describe('browser proof: puretls/web in headless Chromium through a WebSocket bridge to openssl s_server', () => {
  for (const provider of ['pure', 'webcrypto'] as const) {
    t(`TLS 1.3 with the ${provider} provider: peer certificate checked against the CA, a line exchanged, info reported${skip}`, async () => {
      const { bridge, stop } = await serverAndBridge(pki);
      try {
        const line = `hello from chromium via puretls (${provider})`;
        const r = await runInPage({ wsUrl: bridge.url, caPem: pki.pki.caCertPem, servername: 'localhost', provider, line });
        expect(r.error).toBeUndefined();
        expect(r.ok).toBe(true);
        expect(r.userAgent).toMatch(/HeadlessChrome|Chrome/);
        expect(r.info).toMatchObject({
          version: 'TLSv1.3',
          cipherSuite: expect.stringMatching(/^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/),
          signatureScheme: 'ecdsa_secp256r1_sha256',
          serverName: 'localhost',
          certificateErrors: [],
          certificateErrorSeverity: 'none',
          provider,
        });
        // The very certificate s_server holds, as the page saw it.
        expect(r.info!.peerCertificateSha256).toBe(createHash('sha256').update(pki.pki.certDer).digest('hex'));
        expect(r.reply).toBe([...line].reverse().join(''));
        expect(r.closed).toBeNull();
        expect(bridge.stats.sockets).toBe(1);
        expect(pageLog.some((l) => l.startsWith('[page] TLS handshake done') && l.includes(`provider ${provider}`))).toBe(true);
      } finally {
        await stop();
      }
    });
  }

  t(`a server whose chain the page's CA did not issue: the page reports CertificateUntrusted (the error crosses back to the test as a status)${skip}`, async () => {
    const { bridge, stop } = await serverAndBridge(other);
    try {
      const r = await runInPage({ wsUrl: bridge.url, caPem: pki.pki.caCertPem, servername: 'localhost', provider: 'pure', line: 'must not be sent' });
      expect(r.ok).toBe(false);
      expect(r.error?.status).toBe('CertificateUntrusted');
    } finally {
      await stop();
    }
  });
});
