/**
 * The native provider's part of identity files: `node:crypto`'s PBKDF2 (several times faster
 * than the pure one, which matters for GnuTLS's 600,000-iteration files) and DES-EDE3-CBC,
 * which has no pure implementation here. Registered with src/identity/primitives.ts when this
 * module loads (`puretls/node` and `puretls/native` load it) and used only when the
 * configured provider is the native one.
 *
 * RC2 is not taken from here: OpenSSL 3 keeps it in its legacy provider, which Node does not
 * load by default, so puretls always uses its own (src/identity/rc2.ts).
 *
 * @module
 */
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { type IdentityHash, registerNativeIdentityPrimitives } from './primitives.js';

/** The native primitives (exported for tests). */
export const nativeIdentityPrimitives = /* @__PURE__ */ Object.freeze({
  pbkdf2(hash: IdentityHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
    return new Uint8Array(pbkdf2Sync(password, salt, iterations, length, hash));
  },
  cbcDecrypt(cipher: 'des-ede3-cbc', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array | null {
    let d;
    try {
      d = createDecipheriv(cipher, key, iv);
    } catch {
      // This runtime's OpenSSL lacks the cipher (a FIPS build, or a runtime without it).
      return null;
    }
    d.setAutoPadding(false);
    const a = d.update(data);
    const b = d.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    a.fill(0);
    return out;
  },
});

registerNativeIdentityPrimitives(nativeIdentityPrimitives);

/**
 * `node:crypto`'s `X509Certificate`, for the Node adapter's `getPeerX509Certificate()` and
 * Node-shaped `getPeerCertificate()` (only this module and the native provider import
 * `node:crypto`; test/api/layering.test.ts).
 */
export { X509Certificate } from 'node:crypto';
