/**
 * TLS-aware mutations of one handshake message (header included): extension lists
 * (delete, duplicate, reorder, insert unknown or known types with odd bodies, edit one
 * body), the certificates inside Certificate messages (ASN.1 mutations with every enclosing
 * length fixed up), and the script-level mutations of lib/script.ts (entries, flags, the
 * record and chunk sizes).
 */
import { concatBytes } from '../../../src/base/bytes.js';
import { asn1Mutate } from './asn1.js';
import { HAVOC, mutate, pickWeighted, splice, writeBE, readBE, type MutateContext, type Mutator, type WeightedMutator } from './mutate.js';
import type { Rng } from './rng.js';
import { encodeScript, parseScript, F_ENC, F_FIX, K_ALERT, K_APP, K_CCS, K_CLOSE, K_EOF, K_HS, K_KEYUPDATE, K_RAW, K_WRITE, type Entry } from './script.js';

/** Extension types worth inserting (RFC 9846 §4.2 and common ones) plus GREASE and unknown. */
const EXT_TYPES = [0, 1, 5, 10, 11, 13, 14, 15, 16, 17, 18, 21, 23, 27, 28, 35, 41, 42, 43, 44, 45, 47, 48, 49, 50, 51, 57, 0xff01, 0x0a0a, 0xfe0d, 0x1234, 0xffff];

/** Offset of the extensions vector (its u16 length) in a message, or -1. */
function extensionsAt(msg: Uint8Array): number {
  const t = msg[0];
  let p = 4;
  const need = (n: number): boolean => p + n <= msg.length;
  switch (t) {
    case 1: // ClientHello: version, random, session_id<0..32>, suites<2..>, compression<1..>
      p += 34;
      if (!need(1)) return -1;
      p += 1 + msg[p]!;
      if (!need(2)) return -1;
      p += 2 + readBE(msg, p, 2);
      if (!need(1)) return -1;
      p += 1 + msg[p]!;
      break;
    case 2: // ServerHello: version, random, session_id, suite, compression
      p += 34;
      if (!need(1)) return -1;
      p += 1 + msg[p]! + 3;
      break;
    case 8: // EncryptedExtensions
      break;
    case 13: // TLS 1.3 CertificateRequest: context<0..255>
      if (!need(1)) return -1;
      p += 1 + msg[p]!;
      break;
    case 4: // TLS 1.3 NewSessionTicket: lifetime, age_add, nonce<0..255>, ticket<1..>
      p += 8;
      if (!need(1)) return -1;
      p += 1 + msg[p]!;
      if (!need(2)) return -1;
      p += 2 + readBE(msg, p, 2);
      break;
    default:
      return -1;
  }
  return need(2) ? p : -1;
}

function fixHeader(msg: Uint8Array): Uint8Array {
  if (msg.length >= 4) writeBE(msg, 1, 3, Math.min(0xffffff, msg.length - 4));
  return msg;
}

interface Ext {
  type: number;
  body: Uint8Array;
}

function u16(v: number): Uint8Array {
  return new Uint8Array([(v >> 8) & 0xff, v & 0xff]);
}

function encodeExts(list: readonly Ext[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of list) parts.push(u16(e.type), u16(e.body.length), e.body);
  return concatBytes(parts);
}

/** Mutates the extension list of a CH / SH / EE / CR / NST message. */
const extensionList: Mutator = (msg, rng, ctx) => {
  const at = extensionsAt(msg);
  if (at < 0) return null;
  const len = readBE(msg, at, 2);
  const block = msg.subarray(at + 2, Math.min(msg.length, at + 2 + len));
  const list: Ext[] = [];
  for (let p = 0; p + 4 <= block.length; ) {
    const type = readBE(block, p, 2);
    const l = readBE(block, p + 2, 2);
    list.push({ type, body: block.slice(p + 4, p + 4 + l) });
    p += 4 + l;
  }
  const op = rng.below(7);
  const i = rng.below(Math.max(1, list.length));
  if (op === 0 && list.length > 0) list.splice(i, 1);
  else if (op === 1 && list.length > 0) list.splice(i, 0, { ...list[i]! });
  else if (op === 2 && list.length > 1) {
    const j = rng.below(list.length);
    [list[i], list[j]] = [list[j]!, list[i]!];
  } else if (op === 3) {
    const body = rng.chance(0.3) ? new Uint8Array(0) : rng.chance(0.5) ? rng.bytes(rng.smallLength(40)) : (ctx.other()?.subarray(0, 64) ?? new Uint8Array(0));
    list.splice(rng.below(list.length + 1), 0, { type: rng.pick(EXT_TYPES), body });
  } else if (list.length > 0) {
    // Edit one body with byte-level mutations (its own length is rewritten).
    const e = list[i]!;
    e.body = mutate(e.body, rng, { ...ctx, maxLen: 4096 }, [], 0);
  } else {
    return null;
  }
  const exts = encodeExts(list);
  const out = splice(msg, at, Math.min(msg.length - at, 2 + len), new Uint8Array([...u16(exts.length), ...exts]));
  return fixHeader(out);
};

/** Positions of the DER certificates in a Certificate message (TLS 1.3 or 1.2 layout). */
function certificatesIn(msg: Uint8Array): { at: number; len: number; lengthFields: number[] }[] {
  if (msg[0] !== 11 || msg.length < 8) return [];
  const tryLayout = (tls13: boolean): { at: number; len: number; lengthFields: number[] }[] | null => {
    let p = 4;
    if (tls13) p += 1 + msg[4]!;
    if (p + 3 > msg.length) return null;
    const listAt = p;
    const listEnd = p + 3 + readBE(msg, p, 3);
    if (listEnd > msg.length) return null;
    p += 3;
    const out: { at: number; len: number; lengthFields: number[] }[] = [];
    while (p + 3 <= listEnd) {
      const l = readBE(msg, p, 3);
      if (p + 3 + l > listEnd) return null;
      out.push({ at: p + 3, len: l, lengthFields: [p, listAt] });
      p += 3 + l;
      if (tls13) {
        if (p + 2 > listEnd) return null;
        p += 2 + readBE(msg, p, 2);
      }
    }
    return p === listEnd ? out : null;
  };
  return tryLayout(true) ?? tryLayout(false) ?? [];
}

/** ASN.1-mutates one certificate inside a Certificate message and fixes every length around it. */
const certificateDer: Mutator = (msg, rng, ctx) => {
  const certs = certificatesIn(msg);
  if (certs.length === 0) return null;
  const c = rng.pick(certs);
  const der = msg.subarray(c.at, c.at + c.len);
  const next = asn1Mutate(der, rng, { ...ctx, maxLen: 65536 }) ?? mutate(der, rng, { ...ctx, maxLen: 65536 }, [], 0);
  const delta = next.length - der.length;
  const out = splice(msg, c.at, der.length, next);
  writeBE(out, c.lengthFields[0]!, 3, c.len + delta);
  writeBE(out, c.lengthFields[1]!, 3, readBE(msg, c.lengthFields[1]!, 3) + delta);
  return fixHeader(out);
};

/** Message-level mutators (for one handshake message). */
export const MESSAGE_MUTATORS: readonly WeightedMutator[] = [
  { name: 'extensionList', weight: 6, fn: extensionList },
  { name: 'certificateDer', weight: 4, fn: certificateDer },
  { name: 'bytes', weight: 6, fn: (m, rng, ctx) => mutate(m, rng, ctx, [], 0) },
  { name: 'fixHeader', weight: 1, fn: (m) => fixHeader(m.slice()) },
];

function mutateMessage(msg: Uint8Array, rng: Rng, ctx: MutateContext): Uint8Array {
  for (let i = 0; i < 4; i++) {
    const m = pickWeighted(MESSAGE_MUTATORS, rng);
    const r = m.fn(msg, rng, ctx);
    if (r) return r;
  }
  return mutate(msg, rng, ctx, [], 0);
}

function withEntries(input: Uint8Array, f: (entries: Entry[], s: ReturnType<typeof parseScript>) => boolean): Uint8Array | null {
  const s = parseScript(input);
  s.entries = s.entries.map((e) => ({ ...e }));
  if (!f(s.entries, s)) return null;
  return encodeScript(s);
}

const KINDS = [K_HS, K_ALERT, K_CCS, K_APP, K_RAW, K_EOF, K_WRITE, K_CLOSE, K_KEYUPDATE];

/** Script-level mutators for the client-hs / server-hs targets. */
export const SCRIPT_MUTATORS: readonly WeightedMutator[] = [
  {
    name: 'message',
    weight: 20,
    fn: (input, rng, ctx) =>
      withEntries(input, (entries) => {
        const hs = entries.map((e, i) => (e.kind === K_HS ? i : -1)).filter((i) => i >= 0);
        if (hs.length === 0) return false;
        const e = entries[rng.pick(hs)]!;
        e.payload = mutateMessage(e.payload, rng, ctx);
        return true;
      }),
  },
  {
    name: 'entryPayloadBytes',
    weight: 4,
    fn: (input, rng, ctx) =>
      withEntries(input, (entries) => {
        if (entries.length === 0) return false;
        const e = rng.pick(entries);
        e.payload = mutate(e.payload, rng, ctx, HAVOC, 0);
        return true;
      }),
  },
  {
    name: 'dropEntry',
    weight: 3,
    fn: (input, rng) => withEntries(input, (entries) => entries.length > 0 && entries.splice(rng.below(entries.length), 1).length === 1),
  },
  {
    name: 'duplicateEntry',
    weight: 3,
    fn: (input, rng) =>
      withEntries(input, (entries) => {
        if (entries.length === 0) return false;
        const i = rng.below(entries.length);
        const n = rng.chance(0.85) ? 1 : rng.range(2, 80);
        for (let k = 0; k < n; k++) entries.splice(i, 0, { ...entries[i]! });
        return true;
      }),
  },
  {
    name: 'swapEntries',
    weight: 2,
    fn: (input, rng) =>
      withEntries(input, (entries) => {
        if (entries.length < 2) return false;
        const i = rng.below(entries.length - 1);
        [entries[i], entries[i + 1]] = [entries[i + 1]!, entries[i]!];
        return true;
      }),
  },
  {
    name: 'flags',
    weight: 3,
    fn: (input, rng) =>
      withEntries(input, (entries) => {
        if (entries.length === 0) return false;
        const e = rng.pick(entries);
        e.flags ^= rng.chance(0.5) ? F_ENC : F_FIX;
        return true;
      }),
  },
  {
    name: 'insertEntry',
    weight: 4,
    fn: (input, rng, ctx) =>
      withEntries(input, (entries) => {
        const kind = rng.pick(KINDS);
        let payload: Uint8Array;
        if (kind === K_ALERT) payload = new Uint8Array([rng.pick([1, 2, 3]), rng.pick([0, 10, 20, 40, 42, 46, 48, 50, 90, 100, 109, 116, 255])]);
        else if (kind === K_HS) payload = rng.pick([new Uint8Array([0, 0, 0, 0]), new Uint8Array([24, 0, 0, 1, rng.below(3)]), new Uint8Array([4, 0, 0, 0]), new Uint8Array([rng.below(256), 0, 0, 0])]);
        else if (kind === K_CCS) payload = rng.pick([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([1, 1])]);
        else if (kind === K_KEYUPDATE) payload = new Uint8Array([rng.below(2)]);
        else if (kind === K_RAW) payload = ctx.other()?.subarray(0, rng.smallLength(64)) ?? rng.bytes(8);
        else payload = rng.chance(0.3) ? new Uint8Array(0) : rng.bytes(rng.smallLength(64));
        entries.splice(rng.below(entries.length + 1), 0, { kind, flags: rng.chance(0.6) ? F_ENC : 0, payload });
        return true;
      }),
  },
  {
    name: 'splitMessage',
    weight: 2,
    fn: (input, rng) =>
      withEntries(input, (entries) => {
        const i = rng.below(Math.max(1, entries.length));
        const e = entries[i];
        if (!e || e.kind !== K_HS || e.payload.length < 2) return false;
        const cut = rng.range(1, e.payload.length - 1);
        entries.splice(i, 1, { ...e, payload: e.payload.subarray(0, cut), flags: e.flags & ~F_FIX }, { ...e, payload: e.payload.subarray(cut), flags: e.flags & ~F_FIX });
        return true;
      }),
  },
  {
    name: 'header',
    weight: 3,
    fn: (input, rng) =>
      withEntries(input, (_e, s) => {
        const r = rng.below(4);
        if (r === 0) s.fragLen = rng.pick([0, 1, 2, 3, 5, 16, 100, 512, 16384, 16385, 18432]);
        else if (r === 1) s.chunk = rng.pick([0, 1, 2, 3, 5, 7, 64, 1000]);
        else if (r === 2) s.coalesce = !s.coalesce;
        else s.config = (s.config & 0xf0) | rng.below(16);
        return true;
      }),
  },
];
