import { describe, expect, it } from 'vitest';
import { MemorySessionStore, sessionStoreKey, takeSession, trustFingerprint, type SessionStore } from '../../src/session/store.js';
import type { Tls13Session } from '../../src/session/session.js';
import { nobleProvider } from '../../src/crypto/noble.js';

function session(key: string, ticketByte: number, receivedAt = 1000, expiresAt = 10_000): Tls13Session {
  return {
    version: 'TLSv1.3', serverName: key.split('|')[0]!, storeKey: key, cipherSuite: 0x1301, alpn: null, receivedAt, expiresAt,
    peerCertificates: [], certificateErrors: [], certificateErrorSeverity: 'none', signatureScheme: null,
    psk: new Uint8Array(32), ticket: new Uint8Array([ticketByte]), lifetime: 9, ageAdd: 0, maxEarlyData: 0,
  };
}

describe('MemorySessionStore', () => {
  it('each session is taken once', async () => {
    const store = new MemorySessionStore({ now: () => 2000 });
    const k = sessionStoreKey('a.example', 't');
    store.put(k, session(k, 1));
    store.put(k, session(k, 2));
    expect((await takeSession(store, k, 2000))?.ticket[0]).toBe(2);
    expect((await takeSession(store, k, 2000))?.ticket[0]).toBe(1);
    expect(await takeSession(store, k, 2000)).toBeUndefined();
  });

  it('expired sessions are neither returned nor kept', async () => {
    let now = 2000;
    const store = new MemorySessionStore({ now: () => now });
    const k = sessionStoreKey('a.example', 't');
    store.put(k, session(k, 1, 1000, 5000));
    now = 5000;
    expect(store.get(k)).toBeUndefined();
    expect(store.size).toBe(0);
    // takeSession checks freshness itself too (a user store may not).
    const lax: SessionStore = { get: () => session(k, 3, 1000, 5000), put: () => {}, delete: () => {} };
    expect(await takeSession(lax, k, 5000)).toBeUndefined();
    expect(await takeSession(lax, k, 4999)).toBeDefined();
    // A clock that went backwards before receipt: not fresh either.
    expect(await takeSession(lax, k, 999)).toBeUndefined();
  });

  it('is bounded overall and per key, dropping the oldest', () => {
    const store = new MemorySessionStore({ maxSessions: 5, maxPerKey: 2, now: () => 2000 });
    for (let i = 0; i < 4; i++) store.put('k1|t', session('k1|t', i));
    expect(store.size).toBe(2);
    for (let i = 0; i < 10; i++) store.put(`n${i}|t`, session(`n${i}|t`, i));
    expect(store.size).toBe(5);
    expect(store.get('k1|t')).toBeUndefined();
    expect(store.get('n9|t')?.ticket[0]).toBe(9);
  });

  it('another server name or another trust decision finds nothing', async () => {
    const store = new MemorySessionStore({ now: () => 2000 });
    const fp1 = trustFingerprint(nobleProvider, { anchors: ['PEM A'], ignorable: [], verifier: 'basic', extra: '' });
    const fp2 = trustFingerprint(nobleProvider, { anchors: ['PEM B'], ignorable: [], verifier: 'basic', extra: '' });
    const fp3 = trustFingerprint(nobleProvider, { anchors: ['PEM A'], ignorable: ['Untrusted'], verifier: 'basic', extra: '' });
    const v1 = { verify: async () => { throw new Error(); } };
    const v2 = { verify: async () => { throw new Error(); } };
    const fp4 = trustFingerprint(nobleProvider, { anchors: ['PEM A'], ignorable: [], verifier: v1, extra: '' });
    const fp5 = trustFingerprint(nobleProvider, { anchors: ['PEM A'], ignorable: [], verifier: v2, extra: '' });
    expect(new Set([fp1, fp2, fp3, fp4, fp5]).size).toBe(5);
    expect(trustFingerprint(nobleProvider, { anchors: ['PEM A'], ignorable: [], verifier: v1, extra: '' })).toBe(fp4);
    const k = sessionStoreKey('a.example', fp1);
    store.put(k, session(k, 1));
    expect(await takeSession(store, sessionStoreKey('b.example', fp1), 2000)).toBeUndefined();
    expect(await takeSession(store, sessionStoreKey('a.example', fp2), 2000)).toBeUndefined();
    expect(await takeSession(store, sessionStoreKey('a.example', fp3), 2000)).toBeUndefined();
    expect(await takeSession(store, k, 2000)).toBeDefined();
  });

  it('a store returning a session filed under another key is not believed; a throwing store means no session', async () => {
    const k = sessionStoreKey('a.example', 't');
    const liar: SessionStore = { get: () => session(sessionStoreKey('evil.example', 't'), 1), put: () => {}, delete: () => {} };
    expect(await takeSession(liar, k, 2000)).toBeUndefined();
    const broken: SessionStore = { get: async () => { throw new Error('redis down'); }, put: () => {}, delete: () => {} };
    expect(await takeSession(broken, k, 2000)).toBeUndefined();
    // A session whose delete fails is not used (it could be used twice).
    const sticky: SessionStore = { get: () => session(k, 1), put: () => {}, delete: () => { throw new Error('no'); } };
    expect(await takeSession(sticky, k, 2000)).toBeUndefined();
  });
});
