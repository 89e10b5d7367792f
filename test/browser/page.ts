/**
 * The browser side of the issue 11 browser proof, bundled by esbuild for Chromium
 * (test/browser/browser.test.ts): `puretls/web` over a WebSocket to the test bridge
 * (test/helpers/ws-bridge.mjs), which joins it to `openssl s_server`. The page has no raw
 * sockets: the WebSocket carries TLS records, the TLS engine runs here.
 *
 * `window.runTls(options)` connects, checks the server against the CA the test passed,
 * exchanges a line with `s_server -rev` (which answers each line reversed), closes, and
 * resolves with a summary the test asserts on; it also logs the handshake summary to the
 * console (the test forwards the page's console to its log).
 */
import { fromStreams, type ByteStreamPair } from '../../src/transport/web.js';
import { TlsError } from '../../src/base/errors.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';

/** What the test asks the page to do. */
export interface PageRun {
  wsUrl: string;
  caPem: string;
  servername: string;
  provider: 'pure' | 'webcrypto';
  line: string;
}

/** What the page reports. */
export interface PageResult {
  ok: boolean;
  info?: {
    version: string | null;
    cipherSuite: string | null;
    group: string | null;
    signatureScheme: string | null;
    serverName: string | null;
    peerCertificateSha256: string | null;
    peerIntermediates: number;
    certificateErrors: string[];
    certificateErrorSeverity: string;
    provider: string;
  };
  reply?: string;
  closed?: string | null;
  error?: { status: string; message: string };
  userAgent: string;
}

/** A WebSocket as a byte-stream pair (binary messages are bytes; its close is EOF both ways). */
function webSocketStreams(ws: WebSocket): ByteStreamPair {
  ws.binaryType = 'arraybuffer';
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      ws.addEventListener('message', (ev: MessageEvent) => {
        if (ev.data instanceof ArrayBuffer) c.enqueue(new Uint8Array(ev.data));
      });
      ws.addEventListener('close', () => {
        try {
          c.close();
        } catch {
          // already closed or errored
        }
      });
      ws.addEventListener('error', () => {
        try {
          c.error(new TlsError('ConnectionReset', { detail: 'WebSocket error', source: 'transport' }));
        } catch {
          // already closed
        }
      });
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (ws.readyState !== WebSocket.OPEN) throw new TlsError('ConnectionReset', { detail: 'WebSocket closed', source: 'transport' });
      ws.send(chunk);
      // Back-pressure: wait while the browser holds more than 1 MiB unsent.
      while (ws.bufferedAmount > 1 << 20 && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 5));
    },
    close() {
      ws.close(1000);
    },
    abort() {
      ws.close(1000);
    },
  });
  return { readable, writable };
}

async function sha256Hex(der: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', der.slice()));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function runTls(o: PageRun): Promise<PageResult> {
  const ws = new WebSocket(o.wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('WebSocket to the bridge failed')), { once: true });
  });
  const conn = fromStreams(webSocketStreams(ws), {
    servername: o.servername,
    ca: o.caPem,
    ...(o.provider === 'webcrypto' ? { crypto: webcryptoProvider() } : {}),
  });
  try {
    const i = await conn.handshake();
    const info = {
      version: i.version,
      cipherSuite: i.cipherSuite,
      group: i.group,
      signatureScheme: i.signatureScheme,
      serverName: i.serverName,
      peerCertificateSha256: i.peerCertificate ? await sha256Hex(i.peerCertificate) : null,
      peerIntermediates: i.peerIntermediates.length,
      certificateErrors: i.certificateErrors.map((e) => e.code),
      certificateErrorSeverity: i.certificateErrorSeverity,
      provider: o.provider,
    };
    console.log(
      `[page] TLS handshake done in ${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'browser'}: ${info.version} ${info.cipherSuite} ${info.group} ${info.signatureScheme}, ` +
        `server ${info.serverName}, certificate sha256 ${info.peerCertificateSha256?.slice(0, 16)}..., errors [${info.certificateErrors.join(',')}] (${info.certificateErrorSeverity}), provider ${o.provider}`,
    );
    const w = conn.writable.getWriter();
    await w.write(new TextEncoder().encode(o.line + '\n'));
    w.releaseLock();
    const r = conn.readable.getReader();
    let reply = '';
    while (!reply.includes('\n')) {
      const { value, done } = await r.read();
      if (done) break;
      reply += new TextDecoder().decode(value);
    }
    r.releaseLock();
    console.log(`[page] sent ${JSON.stringify(o.line)}, s_server -rev answered ${JSON.stringify(reply.trim())}`);
    const closed = await conn.close();
    return { ok: true, info, reply: reply.trim(), closed: closed ? closed.status : null, userAgent: navigator.userAgent };
  } catch (e) {
    const err = e instanceof TlsError ? { status: e.status, message: e.message } : { status: 'NotTlsError', message: String(e) };
    console.log(`[page] TLS failed: ${err.status}: ${err.message}`);
    await conn.close();
    return { ok: false, error: err, userAgent: navigator.userAgent };
  }
}

(globalThis as unknown as { runTls: typeof runTls }).runTls = runTls;
