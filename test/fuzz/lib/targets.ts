/**
 * The fuzz targets: each decodes or runs one input and throws a {@link Finding} when an
 * invariant breaks (lib/invariants.ts). Seeds come from vectors/fuzz and from real
 * in-memory handshakes (lib/script.ts).
 */
import { Deframer } from '../../../src/record/deframer.js';
import { decodeHandshake, encodeHandshake } from '../../../src/wire/handshake.js';
import { decodeClientHello, decodeServerHello, encodeClientHello, encodeServerHello } from '../../../src/wire/hello.js';
import { decodeExtensions, decodeServerHelloExtensions, encodeExtensions, encodeServerHelloExtensions, extensionTypes, type ExtensionMessage } from '../../../src/wire/extensions.js';
import { decodeCertificate, decodeCertificateRequest, decodeCertificateVerify } from '../../../src/wire/certificate.js';
import {
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeCertificateStatus,
  decodeClientKeyExchange,
  decodeHelloRequest,
  decodeNewSessionTicket12,
  decodeServerHelloDone,
  decodeServerKeyExchange,
} from '../../../src/wire/tls12.js';
import { decodeAlert } from '../../../src/wire/alert.js';
import { decodeInnerPlaintext } from '../../../src/wire/record.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { parseCertificate, unprocessedCriticalExtensions, certificateSignatureScheme, nameToString } from '../../../src/verify/x509.js';
import { verifyOcspResponse } from '../../../src/verify/ocsp.js';
import { verifyCertificateChain } from '../../../src/verify/chain.js';
import { pemDecode, base64Decode, isPem, bytesToText } from '../../../src/crypto/pem.js';
import { DerReader } from '../../../src/crypto/der.js';
import { parsePublicKey, parsePrivateKey, rsaPssKeyParams } from '../../../src/crypto/keys.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { concatBytes } from '../../../src/base/bytes.js';
import { TlsError } from '../../../src/base/errors.js';
import { ASN1_MUTATORS, DER_DICTIONARY, parseAll, encodeAll, type Node } from './asn1.js';
import { capturedEncryptedMessages, pki, readDir, readVector } from './harness.js';
import { checkDetails, checkThrown, checkTlsError, Finding, guard, guardAsync } from './invariants.js';
import type { WeightedMutator } from './mutate.js';
import { fixedRandom } from './rng.js';
import { recordScripts, runScript, splitMessages, K_RAW, encodeScript } from './script.js';
import { SCRIPT_MUTATORS, MESSAGE_MUTATORS } from './tlsmut.js';
import { DIFF_TARGETS } from './differential.js';

export interface Target {
  readonly name: string;
  readonly description: string;
  /** Initial corpus. */
  seeds(): Promise<Uint8Array[]>;
  /** Runs one input; throws a Finding for a bug (anything else thrown is one too). */
  run(input: Uint8Array): void | Promise<void>;
  readonly mutators?: readonly WeightedMutator[];
  /** Share of mutations drawn from `mutators` rather than byte-level havoc. */
  readonly structuredShare?: number;
  readonly dictionary?: readonly Uint8Array[];
  readonly maxLen?: number;
  /** Optional start/stop (helper processes). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** Names what is missing when the target cannot run here (differential references). */
  unavailable?(): Promise<string | null>;
  /** Engine targets: check memory retained per input (see runner). */
  readonly retained?: (input: Uint8Array) => Promise<unknown>;
}

// ---------------------------------------------------------------- seeds shared by targets

let recorded: Awaited<ReturnType<typeof recordScripts>> | null = null;

/** Hands in scripts recorded once by the main process (so each worker does not redo the handshakes). */
export function setRecordedScripts(r: Awaited<ReturnType<typeof recordScripts>> | null): void {
  if (r) recorded = r;
}

/** Targets whose seeds come from the recorded handshakes. */
export function usesRecordedScripts(name: string): boolean {
  return /^(deframer|wire-|client-|server-)/.test(name);
}

async function scripts(): Promise<Awaited<ReturnType<typeof recordScripts>>> {
  return (recorded ??= await recordScripts());
}

/** Handshake messages (header included) from the recorded scripts and from vectors/fuzz/handshakes. */
async function handshakeMessages(): Promise<Uint8Array[]> {
  const s = await scripts();
  const out: Uint8Array[] = [];
  const { parseScript } = await import('./script.js');
  for (const sc of [...s.client, ...s.server]) for (const e of parseScript(sc).entries) if (e.kind === 0 && e.payload.length >= 4) out.push(e.payload.slice());
  for (const f of readDir('handshakes', (n) => n.includes('.msg'))) out.push(f.bytes);
  out.push(...(await capturedEncryptedMessages()));
  return out;
}

function wireCaptures(kind: 'client' | 'server'): Uint8Array[] {
  // Captured bytes that a peer of that role sends (server flights are fed to our client).
  return readDir('handshakes', (n) => n.endsWith(`${kind === 'client' ? 's2c' : 'c2s'}.bin`)).map((f) => f.bytes);
}

function derFiles(dir: string): Uint8Array[] {
  return readDir(dir, (n) => n.endsWith('.der')).map((f) => f.bytes);
}

const HS_DICT = [
  [0x00, 0x00],
  [0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04],
  [0x00, 0x33],
  [0x00, 0x29],
  [0x00, 0x2a],
  [0x00, 0x0d],
  [0x00, 0x10],
  [0x03, 0x03],
  [0x03, 0x04],
  [0x13, 0x01],
  [0xc0, 0x2b],
  [0x00, 0x1d, 0x00, 0x20],
  [0x04, 0x03],
  [0x08, 0x04],
  [0x08, 0x07],
  [0xff, 0x01, 0x00, 0x01, 0x00],
  [0x16, 0x03, 0x03, 0x00, 0x04, 0x01, 0x00, 0xff, 0xff], // a record whose handshake header announces 64 KiB
  [0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0xff, 0xff, 0xff],
].map((a) => new Uint8Array(a));

// ---------------------------------------------------------------- wire decoders

function roundTrip(msg: ReturnType<typeof decodeHandshake>, type: number, options: { version?: 'tls12' | 'tls13'; finishedLength?: number }): void {
  // Whatever the decoder accepted must encode, and that encoding must decode to the same bytes again.
  delete msg.raw;
  const a = guard('encodeHandshake', () => encodeHandshake(msg));
  if (!a) return;
  const again = guard('decodeHandshake(re-encoded)', () => decodeHandshake(type, a.subarray(4), a, options));
  if (!again) throw new Finding('roundtrip', `type ${type}: the re-encoded message does not decode`);
  delete again.raw;
  const b = guard('encodeHandshake(again)', () => encodeHandshake(again));
  if (b && !eq(a, b)) throw new Finding('roundtrip', `type ${type}: encode(decode(encode(m))) differs from encode(m)`);
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function handshakeTarget(version: 'tls12' | 'tls13'): Target {
  return {
    name: `wire-handshake${version === 'tls12' ? '12' : '13'}`,
    description: `decodeHandshake(type, body, { version: '${version}' }) on raw handshake messages, then encode/decode round trip`,
    seeds: handshakeMessages,
    mutators: MESSAGE_MUTATORS,
    structuredShare: 0.5,
    dictionary: HS_DICT,
    maxLen: 70000,
    run(input) {
      if (input.length < 1) return;
      const type = input[0]!;
      const body = input.length >= 4 ? input.subarray(4) : input.subarray(1);
      const finishedLength = version === 'tls12' ? 12 : [32, 48][input.length & 1];
      const opts = { version, finishedLength };
      const msg = guard(`decodeHandshake ${version}`, () => decodeHandshake(type, body, undefined, opts));
      if (msg) roundTrip(msg, type, opts);
    },
  };
}

/** Each message's block; 'SH*' is a ServerHello's, judged by its supported_versions (decodeServerHelloExtensions). */
const EXT_MESSAGES: readonly (ExtensionMessage | 'SH*')[] = ['CH', 'SH', 'SH12', 'SH*', 'HRR', 'EE', 'CT', 'CR', 'NST'];

async function extensionBlocks(): Promise<Uint8Array[]> {
  // An extension block with a selector byte in front: its index in EXT_MESSAGES.
  const out: Uint8Array[] = [];
  const selOf: Record<number, number> = { 1: 0, 2: 3, 8: 5, 13: 7, 4: 8 };
  for (const m of await handshakeMessages()) {
    const c = selOf[m[0]!];
    if (c === undefined) continue;
    for (let at = 4; at + 2 <= m.length; at++) {
      const len = (m[at]! << 8) | m[at + 1]!;
      if (at + 2 + len === m.length && len > 0) {
        out.push(new Uint8Array([c, ...m.subarray(at)]));
        break;
      }
    }
  }
  return out;
}

const wireHello: Target = {
  name: 'wire-hello',
  description: 'decodeClientHello / decodeServerHello (first byte selects) and re-encoding',
  async seeds() {
    return (await handshakeMessages()).filter((m) => m[0] === 1 || m[0] === 2).map((m) => new Uint8Array([m[0]!, ...m.subarray(4)]));
  },
  mutators: MESSAGE_MUTATORS,
  structuredShare: 0.3,
  dictionary: HS_DICT,
  maxLen: 70000,
  run(input) {
    if (input.length < 1) return;
    const r = new Reader(input.subarray(1), 'hello');
    if (input[0]! & 1) {
      const ch = guard('decodeClientHello', () => {
        const m = decodeClientHello(r);
        r.end();
        return m;
      });
      if (ch) guard('encodeClientHello', () => encodeClientHello(new Writer(), ch));
    } else {
      const sh = guard('decodeServerHello', () => {
        const m = decodeServerHello(r);
        r.end();
        return m;
      });
      if (sh) guard('encodeServerHello', () => encodeServerHello(new Writer(), sh));
    }
  },
};

const wireExtensions: Target = {
  name: 'wire-extensions',
  description: 'decodeExtensions(reader, message) for every message (and decodeServerHelloExtensions), extensionTypes, encodeExtensions',
  seeds: extensionBlocks,
  dictionary: HS_DICT,
  maxLen: 70000,
  run(input) {
    if (input.length < 1) return;
    const m = EXT_MESSAGES[input[0]! % EXT_MESSAGES.length]!;
    const r = new Reader(input.subarray(1), 'extensions');
    if (m === 'SH*') {
      const ext = guard('decodeServerHelloExtensions', () => decodeServerHelloExtensions(r));
      if (!ext) return;
      guard('encodeServerHelloExtensions', () => encodeServerHelloExtensions(new Writer(), ext));
      return;
    }
    const ext = guard(`decodeExtensions ${m}`, () => decodeExtensions(r, m));
    if (!ext) return;
    guard('extensionTypes', () => extensionTypes(ext, m));
    guard('encodeExtensions', () => encodeExtensions(new Writer(), ext, m));
  },
};

const wireCertificate: Target = {
  name: 'wire-certificate',
  description: 'decodeCertificate / decodeCertificateRequest / decodeCertificateVerify (TLS 1.3; first byte selects)',
  async seeds() {
    const sel: Record<number, number> = { 11: 0, 13: 1, 15: 2 };
    return (await handshakeMessages()).filter((m) => sel[m[0]!] !== undefined).map((m) => new Uint8Array([sel[m[0]!]!, ...m.subarray(4)]));
  },
  mutators: [{ name: 'asn1', weight: 1, fn: (m, rng, ctx) => { const body = m.subarray(1); const msg = new Uint8Array([11, 0, 0, 0, ...body]); const r = MESSAGE_MUTATORS[1]!.fn(msg, rng, ctx); return r ? new Uint8Array([m[0] ?? 0, ...r.subarray(4)]) : null; } }],
  structuredShare: 0.4,
  maxLen: 70000,
  run(input) {
    if (input.length < 1) return;
    const r = new Reader(input.subarray(1), 'certificate');
    const which = input[0]! % 3;
    guard('certificate decoders', () => {
      if (which === 0) decodeCertificate(r);
      else if (which === 1) decodeCertificateRequest(r);
      else decodeCertificateVerify(r);
      r.end();
    });
  },
};

const TLS12_DECODERS = [decodeCertificate12, decodeServerKeyExchange, decodeCertificateRequest12, decodeServerHelloDone, decodeHelloRequest, decodeClientKeyExchange, decodeNewSessionTicket12, decodeCertificateStatus];
const TLS12_TYPES = [11, 12, 13, 14, 0, 16, 4, 22];

const wireTls12: Target = {
  name: 'wire-tls12',
  description: 'every TLS 1.2 message decoder of src/wire/tls12.ts (first byte selects)',
  async seeds() {
    return (await handshakeMessages()).filter((m) => TLS12_TYPES.includes(m[0]!)).map((m) => new Uint8Array([TLS12_TYPES.indexOf(m[0]!), ...m.subarray(4)]));
  },
  maxLen: 70000,
  run(input) {
    if (input.length < 1) return;
    const f = TLS12_DECODERS[input[0]! % TLS12_DECODERS.length]!;
    const r = new Reader(input.subarray(1), 'tls12');
    guard(f.name, () => {
      f(r);
      r.end();
    });
  },
};

const wireRecord: Target = {
  name: 'wire-record',
  description: 'decodeInnerPlaintext and decodeAlert',
  async seeds() {
    return [new Uint8Array([1, 0x16]), new Uint8Array([2, 40, 21]), new Uint8Array([0x17, 0, 0, 0])];
  },
  run(input) {
    guard('decodeInnerPlaintext', () => decodeInnerPlaintext(input));
    guard('decodeAlert', () => decodeAlert(input));
  },
};

const deframer: Target = {
  name: 'deframer',
  description: 'Deframer push/next with input-chosen chunking, fragment limit and version pinning',
  async seeds() {
    const s = await scripts();
    return [...s.clientWire, ...s.serverWire, ...wireCaptures('client'), ...wireCaptures('server')].map((w) => new Uint8Array([0, 0, ...w.subarray(0, 20000)]));
  },
  maxLen: 70000,
  run(input) {
    if (input.length < 2) return;
    const mode = input[0]!;
    const chunk = 1 + input[1]! * (mode & 0x80 ? 64 : 1);
    const data = input.subarray(2);
    const d = guard('new Deframer', () => new Deframer(mode & 1 ? { maxFragmentLen: 16384 + 2048 } : {}));
    if (!d) return;
    if (mode & 2) d.expectVersion(0x0303);
    let off = 0;
    let idle = 0;
    while (off < data.length) {
      const n = guard('Deframer.push', () => d.push(data.subarray(off, off + chunk))) ?? 0;
      off += n;
      let got = 0;
      let failed = false;
      for (;;) {
        let rec;
        try {
          rec = d.next();
        } catch (e) {
          checkThrown(e, 'Deframer.next');
          failed = true;
          break;
        }
        if (!rec) break;
        got++;
        if (rec.fragment.length > d.maxFragmentLen) throw new Finding('contract', `record of ${rec.fragment.length} bytes above the limit ${d.maxFragmentLen}`);
      }
      if (failed) return;
      if (mode & 4 && off > data.length / 2) d.setMaxFragmentLen(16384 + 2048);
      idle = n === 0 && got === 0 ? idle + 1 : 0;
      if (idle > 2) throw new Finding('stall', `Deframer accepts no input with ${d.buffered} bytes buffered and no complete record`);
    }
  },
};

// ---------------------------------------------------------------- certificates, OCSP, keys, PEM

const x509: Target = {
  name: 'x509',
  description: 'parseCertificate and what reads its result (names, critical extensions, signature scheme, public key)',
  async seeds() {
    return [...derFiles('x509'), ...derFiles('captured-certs')];
  },
  mutators: ASN1_MUTATORS,
  structuredShare: 0.7,
  dictionary: DER_DICTIONARY,
  maxLen: 70000,
  run(input) {
    const c = guard('parseCertificate', () => parseCertificate(input));
    if (!c) return;
    guard('subject', () => c.subject);
    guard('issuer', () => c.issuer);
    guard('nameToString', () => nameToString(c.subjectDer));
    guard('unprocessedCriticalExtensions', () => unprocessedCriticalExtensions(c));
    const key = guard('parsePublicKey(spki)', () => nobleProvider.parsePublicKey(c.spki));
    // The certificate's own key stands in for an issuer key: enough to reach every branch.
    if (key) guard('certificateSignatureScheme', () => certificateSignatureScheme(c, key));
  },
};

function ocspInputs(): { leaf: Uint8Array; issuer: Uint8Array; time: Date } {
  const p = pki();
  return { leaf: p.ids[0]!.leafDer, issuer: readVector('x509', 'int.der'), time: new Date(p.now) };
}

function runOcsp(response: Uint8Array): void {
  const { leaf, issuer, time } = ocspInputs();
  let r: ReturnType<typeof verifyOcspResponse> | undefined;
  try {
    r = verifyOcspResponse({ response, certificate: leaf, issuer, time });
  } catch (e) {
    // Documented: bad responses never throw (every failure is a RevocationFailure).
    if (e instanceof TlsError) throw new Finding('contract', `verifyOcspResponse threw ${e.status}: ${e.detail ?? ''}`, e);
    checkThrown(e, 'verifyOcspResponse');
    return;
  }
  checkDetails(r.errors, 'verifyOcspResponse');
  if (r.status !== 'unknown' && r.errors.some((e) => e.code === 'RevocationFailure')) throw new Finding('contract', `status ${r.status} together with a RevocationFailure`);
}

/** Re-signs a BasicOCSPResponse's tbsResponseData with the issuer's key, when the structure is findable. */
async function resignOcsp(response: Uint8Array): Promise<Uint8Array> {
  const top = parseAll(response);
  const basicOctets = top?.[0]?.children?.[1]?.children?.[0]?.children?.[1];
  const basic = basicOctets?.children?.[0];
  if (!top || !basicOctets || !basic?.children || basic.children.length < 3) return response;
  const tbs = encodeAll([basic.children[0]!]);
  const sig = await nobleProvider.sign(pki().ids[0]!.key.type === 'ec-p256' ? intKey() : intKey(), 0x0403, tbs, fixedRandom(7));
  const bits: Node = { tag: new Uint8Array([0x03]), children: null, encapPrefix: null, content: new Uint8Array([0, ...sig]), lenForm: 'min', lenLie: null };
  basic.children[2] = bits;
  basic.children[1] = parseAll(new Uint8Array([0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]))![0]!;
  return encodeAll(top);
}

let intKeyCache: ReturnType<typeof nobleProvider.parsePrivateKey> | null = null;
function intKey(): ReturnType<typeof nobleProvider.parsePrivateKey> {
  return (intKeyCache ??= nobleProvider.parsePrivateKey(new TextDecoder().decode(readVector('pki', 'int.key'))));
}
let caKeyCache: ReturnType<typeof nobleProvider.parsePrivateKey> | null = null;
function caKey(): ReturnType<typeof nobleProvider.parsePrivateKey> {
  return (caKeyCache ??= nobleProvider.parsePrivateKey(new TextDecoder().decode(readVector('pki', 'ca.key'))));
}

const ocsp: Target = {
  name: 'ocsp',
  description: 'verifyOcspResponse on raw responses about the fixed leaf (must never throw)',
  async seeds() {
    return derFiles('ocsp');
  },
  mutators: ASN1_MUTATORS,
  structuredShare: 0.7,
  dictionary: DER_DICTIONARY,
  maxLen: 70000,
  run: runOcsp,
};

const ocspResigned: Target = {
  name: 'ocsp-resigned',
  description: 'verifyOcspResponse after re-signing the mutated tbsResponseData with the issuer key (mutations reach the checks after the signature)',
  seeds: ocsp.seeds,
  mutators: ASN1_MUTATORS,
  structuredShare: 0.8,
  dictionary: DER_DICTIONARY,
  maxLen: 70000,
  async run(input) {
    runOcsp(await resignOcsp(input));
  },
};

/** Re-signs certificate tbs with a key: the outer SEQUENCE { tbs, alg, sig }. */
async function resignCert(der: Uint8Array, key: ReturnType<typeof nobleProvider.parsePrivateKey>): Promise<Uint8Array> {
  const top = parseAll(der);
  const cert = top?.[0];
  if (!top || top.length !== 1 || !cert?.children || cert.children.length !== 3) return der;
  const tbsNode = cert.children[0]!;
  const alg = parseAll(new Uint8Array([0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]))![0]!;
  // Keep the inner algorithm identical to the outer one (otherwise the parser stops there).
  if (tbsNode.children) {
    const i = tbsNode.children[0]?.tag[0] === 0xa0 ? 3 : 2;
    if (tbsNode.children[i]?.tag[0] === 0x30) tbsNode.children[i] = alg;
  }
  const tbs = encodeAll([tbsNode]);
  const sig = await nobleProvider.sign(key, 0x0403, tbs, fixedRandom(9));
  cert.children[1] = alg;
  cert.children[2] = { tag: new Uint8Array([0x03]), children: null, encapPrefix: null, content: new Uint8Array([0, ...sig]), lenForm: 'min', lenLie: null };
  return encodeAll(top);
}

/**
 * Copies the first entry of an extension's SEQUENCE (a SAN's first GeneralName, the first
 * permitted subtree of nameConstraints) until there are `count`, numbering DNS names so
 * they differ. Returns null when the extension is not found.
 */
function widenExtension(der: Uint8Array, oid: readonly number[], count: number): Uint8Array | null {
  const roots = parseAll(der);
  if (!roots) return null;
  let target: Node | null = null;
  const walk = (nodes: Node[]): void => {
    for (const n of nodes) {
      const first = n.children?.[0];
      if (n.tag[0] === 0x30 && first && first.tag[0] === 0x06 && first.content.length === oid.length && first.content.every((b, i) => b === oid[i])) {
        const value = n.children![n.children!.length - 1]!;
        target = value.children?.[0] ?? null;
        return;
      }
      if (n.children) walk(n.children);
    }
  };
  walk(roots);
  const seq = target as Node | null;
  if (!seq?.children?.length) return null;
  // nameConstraints: widen the permitted [0] list; a SAN: the GeneralNames themselves.
  const list = seq.children[0]!.tag[0] === 0xa0 && seq.children[0]!.children ? seq.children[0]!.children : seq.children;
  const model = list[0]!;
  for (let i = list.length; i < count; i++) {
    const copy = JSON.parse(JSON.stringify(model, (_k, v: unknown) => (v instanceof Uint8Array ? { u8: [...v] } : v)), (_k, v: { u8?: number[] }) => (v && v.u8 ? new Uint8Array(v.u8) : v)) as Node;
    const rename = (n: Node): void => {
      if (n.tag[0] === 0x82) n.content = new TextEncoder().encode(`n${i}.${new TextDecoder().decode(n.content).replace(/^\./, '')}`);
      n.children?.forEach(rename);
    };
    rename(copy);
    list.push(copy);
  }
  return encodeAll(roots);
}

/** Chain input: flags u8 (bit0 re-sign leaf with the intermediate key, bit1 re-sign the intermediate with the root key), then u16-length-prefixed DER certificates, leaf first. */
function encodeChain(flags: number, certs: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([flags])];
  for (const c of certs) parts.push(new Uint8Array([c.length >> 8, c.length & 0xff]), c);
  return concatBytes(parts);
}

function decodeChain(input: Uint8Array): { flags: number; certs: Uint8Array[] } {
  const certs: Uint8Array[] = [];
  let p = 1;
  while (p + 2 <= input.length && certs.length < 40) {
    const l = (input[p]! << 8) | input[p + 1]!;
    certs.push(input.subarray(p + 2, Math.min(input.length, p + 2 + l)));
    p += 2 + l;
  }
  return { flags: input[0] ?? 0, certs };
}

const chainAsn1: WeightedMutator = {
  name: 'chainCertAsn1',
  weight: 1,
  fn: (input, rng, ctx) => {
    const { flags, certs } = decodeChain(input);
    if (certs.length === 0) return null;
    const i = rng.chance(0.7) ? 0 : rng.below(certs.length);
    const r = ASN1_MUTATORS[0]!.fn(certs[i]!, rng, { ...ctx, maxLen: 65000 });
    if (!r) return null;
    certs[i] = r;
    if (rng.chance(0.1)) certs.push(certs[rng.below(certs.length)]!);
    return encodeChain(rng.chance(0.1) ? flags ^ (1 << rng.below(2)) : flags, certs);
  },
};

const chain: Target = {
  name: 'chain',
  description: 'verifyCertificateChain (fixed root, name and time) on mutated chains; the leaf (and intermediate) re-signed when flagged, so mutations reach name, usage and constraint checks',
  async seeds() {
    const p = pki();
    const int = readVector('x509', 'int.der');
    const seeds = [0, 1, 2, 4].map((i) => encodeChain(1, [p.ids[i]!.leafDer, int]));
    seeds.push(encodeChain(0, [p.ids[0]!.leafDer, int]));
    seeds.push(encodeChain(3, [readVector('x509', 'many-san.der'), readVector('x509', 'nc-ca.der')]));
    seeds.push(encodeChain(1, [readVector('x509', 'unknown-critical.der'), int]));
    // The shape of the CPU-exhaustion chain of issue 7 item 2: a leaf with 2,000 SANs, many
    // intermediates sharing one name, a CA with 125 permitted dNSName subtrees.
    const wide = widenExtension(readVector('x509', 'nc-ca.der'), [0x55, 0x1d, 0x1e], 125);
    const big = widenExtension(p.ids[0]!.leafDer, [0x55, 0x1d, 0x11], 2000);
    if (big && wide) seeds.push(encodeChain(1, [big, ...Array.from({ length: 31 }, () => int), wide]));
    return seeds;
  },
  mutators: [chainAsn1],
  structuredShare: 0.8,
  dictionary: DER_DICTIONARY,
  maxLen: 140000,
  async run(input) {
    const { flags, certs } = decodeChain(input);
    if (certs.length === 0) return;
    const leaf = flags & 1 ? await resignCert(certs[0]!, intKey()) : certs[0]!;
    const rest = certs.slice(1);
    if (flags & 2 && rest[0]) rest[0] = await resignCert(rest[0], caKey());
    const p = pki();
    let r;
    try {
      r = await verifyCertificateChain({ leaf, intermediates: rest, trustAnchors: [p.caPem], serverName: 'localhost', time: new Date(p.now) });
    } catch (e) {
      if (e instanceof TlsError) throw new Finding('contract', `verifyCertificateChain threw ${e.status} for certificate data (documented never to throw): ${e.detail ?? ''}`, e);
      checkThrown(e, 'verifyCertificateChain');
      return;
    }
    checkDetails(r.errors, 'verifyCertificateChain');
  },
};

const pem: Target = {
  name: 'pem',
  description: 'pemDecode, base64Decode and isPem on text',
  async seeds() {
    return readDir('keys', (n) => n.endsWith('.pem')).map((f) => f.bytes).concat(readDir('pki', (n) => n.endsWith('.pem')).map((f) => f.bytes));
  },
  dictionary: ['-----BEGIN ', '-----END ', 'CERTIFICATE-----', 'PRIVATE KEY-----', 'Proc-Type: 4,ENCRYPTED\n', '=', '==', '\r\n', ' ', '\u00e9', '-----'].map((s) => new TextEncoder().encode(s)),
  maxLen: 70000,
  run(input) {
    const text = bytesToText(input);
    guard('isPem', () => isPem(text));
    const blocks = guard('pemDecode', () => pemDecode(text));
    if (blocks) for (const b of blocks) if (!(b.der instanceof Uint8Array)) throw new Finding('contract', 'pemDecode returned a block without bytes');
    guard('base64Decode', () => base64Decode(text));
  },
};

const der: Target = {
  name: 'der',
  description: 'DerReader: walks any input element by element with every typed read (integer, OID, BIT STRING, ...)',
  async seeds() {
    return [...derFiles('x509'), ...derFiles('ocsp'), ...readDir('keys', (n) => n.endsWith('.der')).map((f) => f.bytes)];
  },
  mutators: ASN1_MUTATORS,
  structuredShare: 0.6,
  dictionary: DER_DICTIONARY,
  maxLen: 70000,
  run(input) {
    const walk = (bytes: Uint8Array, depth: number): void => {
      const r = new DerReader(bytes, 'DecodeError', 'fuzz');
      let n = 0;
      while (!guard('DerReader.done', () => r.done) && n++ < 200) {
        const tag = r.peekTag();
        const el = guard('DerReader.read', () => r.read());
        if (!el) return;
        const sub = new DerReader(el.raw, 'DecodeError', 'fuzz');
        const ops: (() => unknown)[] = [() => sub.integerBytes(), () => sub.integer(), () => sub.unsignedInteger(), () => sub.smallInteger(), () => sub.oid(), () => sub.bitString(), () => sub.octetString(), () => sub.null(), () => sub.sequence()];
        const op = ops[(tag + depth) % ops.length]!;
        guard('DerReader typed read', op);
        if (el.tag & 0x20 && depth < 12) walk(el.value, depth + 1);
      }
    };
    walk(input, 0);
  },
};

const keys: Target = {
  name: 'keys',
  description: 'parsePublicKey (SPKI), parsePrivateKey (DER and PEM: PKCS#8, SEC1, PKCS#1), rsaPssKeyParams, schemesForKey',
  async seeds() {
    return readDir('keys').map((f) => f.bytes);
  },
  mutators: ASN1_MUTATORS,
  structuredShare: 0.6,
  dictionary: DER_DICTIONARY,
  maxLen: 70000,
  run(input) {
    const pub = guard('parsePublicKey', () => parsePublicKey(input));
    if (pub) guard('schemesForKey(pub)', () => nobleProvider.schemesForKey(pub));
    guard('rsaPssKeyParams', () => rsaPssKeyParams(input));
    const priv = guard('parsePrivateKey(bytes)', () => parsePrivateKey(input));
    if (priv) guard('schemesForKey(priv)', () => nobleProvider.schemesForKey(priv, 'TLSv1.2'));
    guard('parsePrivateKey(text)', () => parsePrivateKey(bytesToText(input)));
  },
};

// ---------------------------------------------------------------- engines

function rawScript(input: Uint8Array): Uint8Array {
  const sel = input[0] ?? 0;
  const chunk = [0, 0, 0, 1, 5, 64, 300, 4096][sel >> 5]!;
  return encodeScript({ config: sel & 0x07, coalesce: false, fragLen: 0, chunk, entries: [{ kind: K_RAW, flags: 0, payload: input.subarray(1) }] });
}

function rawEngineTarget(role: 'client' | 'server'): Target {
  return {
    name: `${role}-bytes`,
    description: `a fresh ${role} engine (fixed random and clock) fed arbitrary peer bytes (first byte: config and chunk size)`,
    async seeds() {
      const s = await scripts();
      const wires = role === 'client' ? s.clientWire : s.serverWire;
      return [...wires, ...wireCaptures(role)].map((w, i) => new Uint8Array([i % 7, ...w]));
    },
    dictionary: HS_DICT,
    maxLen: 70000,
    async run(input) {
      if (input.length < 1) return;
      await runScript(role, rawScript(input));
    },
    retained: (input) => runScript(role, rawScript(input)),
  };
}

function scriptTarget(role: 'client' | 'server'): Target {
  return {
    name: `${role}-hs`,
    description: `structure-aware: the ${role === 'client' ? 'server' : 'client'}'s records of real handshakes, decrypted, mutated (messages, extensions, certificates, records, order) and re-sealed with the ${role}'s own keys, Finished/CertificateVerify/ServerKeyExchange fixed up`,
    async seeds() {
      const s = await scripts();
      return role === 'client' ? s.client : s.server;
    },
    mutators: SCRIPT_MUTATORS,
    structuredShare: 0.9,
    dictionary: HS_DICT,
    maxLen: 140000,
    async run(input) {
      await runScript(role, input);
    },
    retained: (input) => runScript(role, input),
  };
}

export const TARGETS: readonly Target[] = [
  deframer,
  handshakeTarget('tls13'),
  handshakeTarget('tls12'),
  wireHello,
  wireExtensions,
  wireCertificate,
  wireTls12,
  wireRecord,
  x509,
  ocsp,
  ocspResigned,
  pem,
  der,
  keys,
  chain,
  rawEngineTarget('client'),
  rawEngineTarget('server'),
  scriptTarget('client'),
  scriptTarget('server'),
  ...DIFF_TARGETS,
];

export function targetByName(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}

// Used by tests and tools: split a handshake message stream.
export { splitMessages, checkTlsError, guardAsync };
