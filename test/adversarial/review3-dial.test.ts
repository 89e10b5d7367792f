/**
 * review3: 9dca4dd / b87ae33 made `handshakeTimeout` (and a proxy's `timeout`) of puretls/deno
 * and puretls/bun count from `connect()`, "dialling included", as in puretls/node. With
 * `refusePrivateAddresses: true` the adapters first resolve the name themselves
 * (runtime-dial.ts planDial → lookupAll, node:dns getaddrinfo) to check every address: that
 * lookup was outside every deadline, so a resolver that never answers (a black-holed DNS
 * server; getaddrinfo retries for tens of seconds, or for ever with a hostile resolver) hung
 * `connect()` past both timeouts. puretls/node's lookup runs inside its handshake timer.
 *
 * The runtimes are faked (globalThis.Deno / globalThis.Bun) and node:dns is stubbed: the
 * lookup never answers.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as dns from 'node:dns';
import { connect as denoConnect } from '../../src/transport/deno.js';
import { connect as bunConnect } from '../../src/transport/bun.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const g = globalThis as { Deno?: unknown; Bun?: unknown };
afterEach(() => {
  vi.restoreAllMocks();
  delete g.Deno;
  delete g.Bun;
});

/** A resolver that never answers; the runtime's connect is never reached (and would never answer either). */
function blackHoledDns(): { connects: number } {
  const seen = { connects: 0 };
  vi.spyOn(dns.promises, 'lookup').mockImplementation(() => new Promise(() => undefined));
  const connect = (): Promise<never> => {
    seen.connects++;
    return new Promise(() => undefined);
  };
  g.Deno = { connect, listen: () => undefined };
  g.Bun = { connect, listen: () => undefined };
  return seen;
}

/** How `work` settles within `ms`: its error, or 'pending'. */
async function within(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'connected', (e: unknown) => e), late]);
  } finally {
    clearTimeout(timer);
  }
}

const runtimes = [
  ['deno', denoConnect],
  ['bun', bunConnect],
] as const;

describe('review3: refusePrivateAddresses resolves the name inside the dial deadlines (deno, bun)', () => {
  for (const [name, connect] of runtimes) {
    it(`${name}: handshakeTimeout 300 ms bounds a lookup that never answers (TimedOut)`, async () => {
      const seen = blackHoledDns();
      const started = Date.now();
      const e = await within(connect({ host: 'black-holed.example', port: 443, ca: pki.caCertPem, refusePrivateAddresses: true, handshakeTimeout: 300 }), 3000);
      expect(e, 'connect() still pending after 3 s').toBeInstanceOf(TlsError);
      expect((e as TlsError).status).toBe('TimedOut');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(seen.connects).toBe(0);
    });

    it(`${name}: a proxy's timeout (300 ms) bounds it too`, async () => {
      blackHoledDns();
      const e = await within(connect({ host: 'black-holed.example', port: 443, ca: pki.caCertPem, refusePrivateAddresses: true, proxy: { url: 'http://127.0.0.1:3128', timeout: 300 } }), 3000);
      expect(e, 'connect() still pending after 3 s').toBeInstanceOf(TlsError);
      expect((e as TlsError).status).toBe('TimedOut');
    });

    it(`${name}: control: without a timeout the lookup is waited for`, async () => {
      blackHoledDns();
      expect(await within(connect({ host: 'black-holed.example', port: 443, ca: pki.caCertPem, refusePrivateAddresses: true, handshakeTimeout: 0 }), 500)).toBe('pending');
    });
  }
});
