/**
 * One shared copy of each peer certificate the live connections hold (memory, issue 9).
 *
 * A client keeps its peer's certificate chain for `info` (`peerCertificate`,
 * `peerIntermediates`); a thousand connections to one server would keep a thousand copies of
 * the same bytes. {@link internCertificate} returns the copy already held by some live
 * connection when the bytes are equal (compared byte for byte: the key only finds the
 * candidate), else a fresh copy of its own, so the connection never keeps a view into a
 * handshake buffer either.
 *
 * These bytes are only ever reported: nothing verifies or parses from them (the verifier has
 * its own cache, keyed and compared by the bytes it is given), and `info` hands out copies, so
 * no caller can change what another connection reports. Entries are weak: a certificate no
 * connection holds any more is collected, and its entry goes with it.
 *
 * @module
 */
import { bytesEqual } from './bytes.js';

/**
 * Interned copies by length and last 16 bytes (the end of the signature: unlike the DER
 * header, it differs between certificates); every hit is compared byte for byte, and a
 * collision keeps the newer one (the older stays valid where held). No pass over the whole
 * certificate besides that comparison.
 */
const interned = new Map<string, WeakRef<Uint8Array>>();
const cleanup = new FinalizationRegistry<string>((key) => {
  const ref = interned.get(key);
  if (ref !== undefined && ref.deref() === undefined) interned.delete(key);
});

function keyOf(der: Uint8Array): string {
  let k = `${der.length}:`;
  for (let i = Math.max(0, der.length - 16); i < der.length; i++) k += String.fromCharCode(der[i]!);
  return k;
}


/**
 * The shared copy of `der` (see the module documentation). The result must never be written.
 *
 * @param der - one certificate's DER, as received (not kept: a copy is made when none is shared)
 * @returns bytes equal to `der`, shared with other connections holding the same certificate
 */
export function internCertificate(der: Uint8Array): Uint8Array {
  const key = keyOf(der);
  const held = interned.get(key)?.deref();
  if (held !== undefined && bytesEqual(held, der)) return held;

  // A plain Uint8Array copy even when handed a Node Buffer (whose slice() is a view, not a copy).
  const copy = new Uint8Array(der);
  interned.set(key, new WeakRef(copy));
  cleanup.register(copy, key);
  return copy;
}
