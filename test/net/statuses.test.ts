/**
 * Issue 11 item 9: statuses.
 * - The `TlsStatus` union is read from the source (src/base/errors.ts), so a status anyone
 *   adds is caught: each must have a row in the README's status table, with the category
 *   `categoryOf` gives it and a retry answer; the table has no row for a status that does
 *   not exist; a status no code produces must say "reserved" in its row.
 * - `getErrorStatus(err)` for real Node socket errors (refused, reset, lookup failure, a
 *   write after the peer reset), for errors the Node adapter emits, for wrappers, for Deno's
 *   error classes, and for anything else (`Unknown`); it agrees with the Node adapter's own
 *   mapping of socket errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as dns from 'node:dns';
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { TlsError, categoryOf, getErrorStatus, transportStatusOf, type TlsStatus } from '../../src/base/errors.js';
import { connect, mapTransportError } from '../../src/transport/node.js';
import { mapTransportError as mapStreamsTransportError } from '../../src/transport/streams.js';

const root = path.resolve(__dirname, '../..');

/** The members of the TlsStatus union, from the source text. */
function statusUnion(): string[] {
  const src = fs.readFileSync(path.join(root, 'src/base/errors.ts'), 'utf8');
  const start = src.indexOf('export type TlsStatus =');
  expect(start).toBeGreaterThan(-1);
  // Up to the member that ends the declaration (`| 'Last';`); comments inside may hold `;`.
  const end = /\|\s*'[A-Za-z]+';/.exec(src.slice(start));
  expect(end).not.toBeNull();
  const body = src.slice(start, start + end!.index + end![0].length);
  const names = [...body.matchAll(/\|\s*'([A-Za-z]+)'/g)].map((m) => m[1]!);
  expect(names.length).toBeGreaterThan(40);
  return names;
}

/** Rows of the README's status table: status → { category, retry, meaning }. */
function readmeRows(): Map<string, { category: string; retry: string; meaning: string }> {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Error statuses');
  expect(start).toBeGreaterThan(-1);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows = new Map<string, { category: string; retry: string; meaning: string }>();
  for (const line of section.split('\n')) {
    const m = /^\| `([A-Za-z]+)` \| ([a-z-]+) \| ([a-z]+) \| (.+) \|$/.exec(line);
    if (m) {
      expect(rows.has(m[1]!), `duplicate README row for ${m[1]}`).toBe(false);
      rows.set(m[1]!, { category: m[2]!, retry: m[3]!, meaning: m[4]! });
    }
  }
  return rows;
}

/** Every .ts under src/, concatenated: errors.ts only from its mapping of foreign errors on. */
function sourcesOutsideErrors(): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && p !== path.join(root, 'src/base/errors.ts')) out.push(fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(root, 'src'));
  // errors.ts itself produces statuses from its mapping of foreign errors on (not in the union or categoryOf).
  const errors = fs.readFileSync(path.join(root, 'src/base/errors.ts'), 'utf8');
  out.push(errors.slice(errors.indexOf('const TRANSPORT_CODES')));
  return out.join('\n');
}

describe('the README status table documents the whole TlsStatus union', () => {
  const union = statusUnion();
  const rows = readmeRows();

  it('every status in the union has a README row with its category and a retry answer', () => {
    const missing = union.filter((s) => !rows.has(s));
    expect(missing, `statuses without a README row (add "| \`Status\` | category | retry | meaning |" to "## Error statuses")`).toEqual([]);
    for (const s of union) {
      const row = rows.get(s)!;
      expect(row.category, `README category of ${s}`).toBe(categoryOf(s as TlsStatus));
      expect(['no', 'later', 'depends'], `README retry of ${s}`).toContain(row.retry);
      expect(row.meaning.length, `README meaning of ${s}`).toBeGreaterThan(10);
    }
  });

  it('the table has no row for a status that does not exist', () => {
    expect([...rows.keys()].filter((s) => !union.includes(s))).toEqual([]);
  });

  it('a status no source file produces is marked "reserved" in its row (the table lists what the code can produce)', () => {
    const src = sourcesOutsideErrors();
    for (const s of union) {
      // Certificate statuses are made from the verifier's error codes (src/handshake/cert-status.ts:
      // `Certificate${code}`), so 'Untrusted' in src/ produces CertificateUntrusted.
      const viaCode = s.startsWith('Certificate') && src.includes('`Certificate${code}`') && src.includes(`'${s.slice('Certificate'.length)}'`);
      const produced = src.includes(`'${s}'`) || src.includes(`"${s}"`) || viaCode;
      if (!produced) expect(rows.get(s)!.meaning, `${s} is produced nowhere in src/`).toMatch(/^reserved/);
      else expect(rows.get(s)!.meaning, `${s} is produced in src/`).not.toMatch(/^reserved/);
    }
  });
});

function errno(code: string, message = `connect ${code} 127.0.0.1:1`): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  e.syscall = 'connect';
  return e;
}

async function freePortClosed(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('getErrorStatus: any error an adapter throws or emits', () => {
  it('real Node socket errors: ECONNREFUSED, ECONNRESET, EPIPE/ECONNRESET on write, ENOTFOUND', async () => {
    const port = await freePortClosed();
    const refused = await new Promise<Error>((resolve) => net.connect({ host: '127.0.0.1', port }).once('error', resolve));
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(getErrorStatus(refused)).toBe('ConnectionRefused');

    const resetter = net.createServer((c) => c.resetAndDestroy());
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', () => resolve()));
    try {
      const rport = (resetter.address() as net.AddressInfo).port;
      const reset = await new Promise<Error | null>((resolve) => {
        const c = net.connect({ host: '127.0.0.1', port: rport });
        c.once('error', resolve);
        c.once('connect', () => {
          // Keep writing: the peer's reset surfaces on read (ECONNRESET) or write (EPIPE).
          const t = setInterval(() => c.write(Buffer.alloc(1024)), 5);
          c.once('close', () => {
            clearInterval(t);
            resolve(null);
          });
        });
      });
      expect(reset, 'the reset surfaced as an error').not.toBeNull();
      expect(['ECONNRESET', 'EPIPE']).toContain((reset as NodeJS.ErrnoException).code);
      expect(getErrorStatus(reset)).toBe('ConnectionReset');
    } finally {
      resetter.close();
    }

    const notFound = await new Promise<Error | null>((resolve) => dns.lookup('no-such-host.invalid', (e) => resolve(e)));
    if (notFound) {
      expect(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA']).toContain((notFound as NodeJS.ErrnoException).code);
      expect(getErrorStatus(notFound)).toBe('HostNotFound');
    }
  });

  it('a server adapter\'s listen error (EADDRINUSE) and Node\'s synchronous argument errors', async () => {
    const a = net.createServer();
    await new Promise<void>((resolve) => a.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (a.address() as net.AddressInfo).port;
      const b = net.createServer();
      const inUse = await new Promise<Error>((resolve) => b.once('error', resolve).listen(port, '127.0.0.1'));
      expect((inUse as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      expect(getErrorStatus(inUse)).toBe('TransportError');
    } finally {
      a.close();
    }
    let bad: unknown;
    try {
      connect({ host: '127.0.0.1', port: 70000, servername: 'x.example' });
    } catch (e) {
      bad = e;
    }
    expect(bad).toBeDefined();
    expect(getErrorStatus(bad)).toBe('InvalidConfig');
  });

  it('Node error codes that cannot be provoked on loopback, as Node builds them', () => {
    const expected: Record<string, TlsStatus> = {
      ETIMEDOUT: 'TimedOut',
      ERR_SOCKET_CONNECTION_TIMEOUT: 'TimedOut',
      ENOTFOUND: 'HostNotFound',
      EAI_AGAIN: 'HostNotFound',
      EPIPE: 'ConnectionReset',
      ECONNABORTED: 'ConnectionReset',
      ENETUNREACH: 'NetworkUnreachable',
      EHOSTUNREACH: 'NetworkUnreachable',
      ERR_STREAM_DESTROYED: 'Closed',
      EADDRNOTAVAIL: 'TransportError',
    };
    for (const [code, status] of Object.entries(expected)) expect(getErrorStatus(errno(code)), code).toBe(status);
  });

  it('agrees with the Node adapter\'s own socket-error mapping for every code it knows', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN']) {
      expect(getErrorStatus(errno(code)), code).toBe(mapTransportError(errno(code)).status);
    }
  });

  it('agrees with the Deno/Bun/Web adapters\' mapping (src/transport/streams.ts) for Node/Bun codes and Deno class names', () => {
    const codes = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN'];
    for (const code of codes) expect(getErrorStatus(errno(code)), code).toBe(mapStreamsTransportError(errno(code)).status);
    for (const name of ['ConnectionRefused', 'ConnectionReset', 'ConnectionAborted', 'BrokenPipe', 'NotConnected', 'TimedOut', 'NetworkUnreachable', 'HostUnreachable']) {
      const e = Object.assign(new Error(`${name} (os error)`), { name });
      expect(getErrorStatus(e), name).toBe(mapStreamsTransportError(e).status);
    }
    const lookup = new Error('failed to lookup address information: Name or service not known');
    expect(getErrorStatus(lookup)).toBe('HostNotFound');
    expect(mapStreamsTransportError(lookup).status).toBe('HostNotFound');
  });

  it('what the Node adapter emits: its TlsError for a refused connection, a plain destroy error', async () => {
    const port = await freePortClosed();
    const s = connect({ host: '127.0.0.1', port, servername: 'x.example' });
    const e = await new Promise<Error>((resolve) => s.once('error', resolve));
    expect(e).toBeInstanceOf(TlsError);
    expect(getErrorStatus(e)).toBe('ConnectionRefused');
    expect(getErrorStatus(new TlsError('CertificateExpired'))).toBe('CertificateExpired');
  });

  it('wrappers: a cause (undici\'s "fetch failed"), an AggregateError (Happy Eyeballs), nested causes', () => {
    const tlsCause = new TlsError('CertificateUntrusted');
    expect(getErrorStatus(new TypeError('fetch failed', { cause: tlsCause }))).toBe('CertificateUntrusted');
    expect(getErrorStatus(new TypeError('fetch failed', { cause: errno('ECONNRESET') }))).toBe('ConnectionReset');
    const agg = Object.assign(new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' });
    expect(getErrorStatus(agg)).toBe('ConnectionRefused');
    expect(getErrorStatus(new AggregateError([new Error('x'), errno('ETIMEDOUT')]))).toBe('TimedOut');
    expect(getErrorStatus(new Error('a', { cause: new Error('b', { cause: new TlsError('Truncated') }) }))).toBe('Truncated');
    // A TlsError below a wrapper that has a code of its own wins (it says more).
    expect(getErrorStatus(Object.assign(new Error('w', { cause: tlsCause }), { code: 'ECONNRESET' }))).toBe('CertificateUntrusted');
  });

  it('Deno\'s error classes (by name) and DOMException names', () => {
    class ConnectionRefused extends Error {
      override name = 'ConnectionRefused';
    }
    class BrokenPipe extends Error {
      override name = 'BrokenPipe';
    }
    expect(getErrorStatus(new ConnectionRefused('Connection refused (os error 111)'))).toBe('ConnectionRefused');
    expect(getErrorStatus(new BrokenPipe('Broken pipe (os error 32)'))).toBe('ConnectionReset');
    expect(getErrorStatus(new DOMException('timed out', 'TimeoutError'))).toBe('TimedOut');
    expect(getErrorStatus(new DOMException('aborted', 'AbortError'))).toBe('Closed');
  });

  it('anything else is Unknown (fatal, do not retry), never a throw', () => {
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    for (const x of [new Error('boom'), new RangeError('r'), 'string', 42, null, undefined, {}, { code: 42 }, { code: 'toString' }, { code: '__proto__' }, cyclic, Object.create(null)]) {
      expect(getErrorStatus(x)).toBe('Unknown');
    }
    expect(transportStatusOf('hasOwnProperty')).toBeUndefined();
  });
});
