/**
 * Sixth adversarial campaign, part 4: `puretls/web` (src/transport/web.ts) given streams it
 * cannot take over. campaign3-streams covers the careless caller of a running connection;
 * here the pair handed to `fromStreams` is already held by someone else.
 */
import { describe, expect, it } from 'vitest';
import { fromStreams } from '../../src/transport/web.js';
import { TlsError } from '../../src/base/errors.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

const options = { servername: 'localhost', ignorableCertificateErrors: ['Untrusted' as const] };

function thrown(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error('expected a TlsError');
}

describe('fromStreams over streams someone else holds', () => {
  it('a locked readable → InvalidConfig naming it (was a TypeError from getReader)', () => {
    const readable = new ReadableStream<Uint8Array>();
    const reader = readable.getReader();
    const writable = new WritableStream<Uint8Array>();
    const e = thrown(() => fromStreams({ readable, writable }, options));
    expect(e.status).toBe('InvalidConfig');
    expect(e.message).toContain('readable is locked');
    // Nothing was taken: the writable is still free, and once released the pair works.
    expect(writable.locked).toBe(false);
    reader.releaseLock();
    const c = fromStreams({ readable, writable }, { ...options, handshakeTimeout: 50, lingerTimeout: 0 });
    expect(readable.locked).toBe(true);
    void c.close();
  });

  it('a locked writable → InvalidConfig naming it, and the readable is left unlocked', () => {
    const readable = new ReadableStream<Uint8Array>();
    const writable = new WritableStream<Uint8Array>();
    writable.getWriter();
    const e = thrown(() => fromStreams({ readable, writable }, options));
    expect(e.status).toBe('InvalidConfig');
    expect(e.message).toContain('writable is locked');
    expect(readable.locked).toBe(false);
  });
});
