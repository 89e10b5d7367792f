/**
 * puretls/testing/arbitraries: fast-check arbitraries for the harness of `puretls/testing`:
 * how streams are cut, faults planned or placed by a PRNG, and client/server options that
 * must negotiate.
 *
 * This is the only module of puretls that imports `fast-check`, an optional peer
 * dependency: install it (any 4.x) to use this entry; `puretls/testing` itself does not
 * need it. Every value generated is plain data (a plan, a fault, options), so a failing
 * case prints readably and replays with fast-check's seed and path.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { createPair } from 'puretls/testing';
 * import { chunkPlanArb } from 'puretls/testing/arbitraries';
 *
 * await fc.assert(fc.asyncProperty(chunkPlanArb(), chunkPlanArb(), async (c2s, s2c) => {
 *   const { client, pipe } = createPair({ pki, pipe: { chunk: { c2s, s2c } } });
 *   await pipe.settle();
 *   return client.handshakeComplete;
 * }));
 * ```
 *
 * @module
 */
import fc from 'fast-check';
import type { ClientOptions, ServerOptions, TlsVersionName } from '../config/config.js';
import type { ChunkPlan } from './chunk.js';
import { FAULT_KINDS, type Direction, type Fault, type FaultKind, type FaultUnit, type RandomFaults } from './fault.js';
import { TlsError } from '../base/errors.js';

/**
 * How one byte stream is cut: as large as possible, single bytes, cycling small sizes
 * (1-300 bytes: records split everywhere), cycling large sizes (up to 20,000 bytes:
 * records coalesced and split across calls), or seeded random sizes.
 */
export function chunkPlanArb(): fc.Arbitrary<ChunkPlan> {
  return fc.oneof(
    fc.constant<ChunkPlan>('whole'),
    fc.constant<ChunkPlan>(1),
    fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
    fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 12 }),
    fc.record({ seed: fc.integer({ min: 0, max: 0x7fffffff }) }),
  );
}

/** A count per direction, or one for both. */
export type PerDirection<T> = T | { readonly c2s: T; readonly s2c: T };

function perDirection<T>(v: PerDirection<T>, dir: Direction): T {
  return typeof v === 'object' && v !== null && 'c2s' in v ? v[dir] : (v as T);
}

/** Where {@link faultArb} may put a fault. */
export interface FaultArbOptions {
  /** Directions (default both). */
  readonly dirs?: readonly Direction[];
  /** Kinds (default every kind). */
  readonly kinds?: readonly FaultKind[];
  /** Units (default both). */
  readonly units?: readonly FaultUnit[];
  /**
   * Records each direction carries in the session under test (default 16): faults start
   * below it. Take it from an undamaged run (`pipe.records(dir).length`).
   */
  readonly records?: PerDirection<number>;
  /** Bytes each direction carries (default 8192); take it from `pipe.sent(dir).length`. */
  readonly bytes?: PerDirection<number>;
}

/** A start position below `n`, favouring the first tenth (the handshake). */
function position(n: number): fc.Arbitrary<number> {
  const last = Math.max(0, n - 1);
  return fc.oneof(fc.integer({ min: 0, max: Math.floor(last / 10) }), fc.integer({ min: 0, max: last }));
}

/**
 * One planned fault inside the session (see `records` / `bytes`): any kind, either unit,
 * either direction, placed with a bias to the start of the stream, a span of 1-3 records or
 * 1-600 bytes, and the parameters its kind uses (corrupt offset and mask, truncate keep,
 * delay steps).
 */
export function faultArb(options: FaultArbOptions = {}): fc.Arbitrary<Fault> {
  const dirs = options.dirs ?? (['c2s', 's2c'] as const);
  const kinds = options.kinds ?? FAULT_KINDS;
  const units = options.units ?? (['record', 'bytes'] as const);
  return fc
    .record({ dir: fc.constantFrom(...dirs), kind: fc.constantFrom(...kinds), unit: fc.constantFrom(...units) })
    .chain(({ dir, kind, unit }) => {
      const total = unit === 'record' ? perDirection(options.records ?? 16, dir) : perDirection(options.bytes ?? 8192, dir);
      const length = unit === 'record' ? fc.integer({ min: 1, max: 3 }) : fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 600 }));
      return fc.record({
        dir: fc.constant(dir),
        kind: fc.constant(kind),
        unit: fc.constant(unit),
        at: position(total),
        length,
        offset: fc.nat(),
        xor: fc.integer({ min: 1, max: 255 }),
        keep: fc.nat({ max: 600 }),
        steps: fc.integer({ min: 1, max: 3 }),
      });
    })
    .map((f): Fault => {
      // Only the fields the kind uses, so a counterexample prints what matters.
      const base = { dir: f.dir, kind: f.kind, unit: f.unit, at: f.at };
      switch (f.kind) {
        case 'truncate':
          return f.unit === 'record' ? { ...base, keep: f.keep } : base;
        case 'corrupt':
          return f.unit === 'record' ? { ...base, length: f.length, offset: f.offset, xor: f.xor } : { ...base, length: f.length, xor: f.xor };
        case 'delay':
          return { ...base, length: f.length, steps: f.steps };
        default:
          return { ...base, length: f.length };
      }
    });
}

/** What {@link randomFaultsArb} may draw. */
export interface RandomFaultsArbOptions {
  /** Kinds to choose among (default every kind; a non-empty subset is drawn). */
  readonly kinds?: readonly FaultKind[];
  /** Units (default both). */
  readonly units?: readonly FaultUnit[];
  /** Directions damaged (default both). */
  readonly dirs?: readonly Direction[];
}

/**
 * Faults placed by a seeded PRNG: a seed, a unit, a subset of the kinds, and a rate of
 * 2%, 10% or 30% per record (or that divided by 2000 per byte, so byte faults are about as
 * frequent in a session).
 */
export function randomFaultsArb(options: RandomFaultsArbOptions = {}): fc.Arbitrary<RandomFaults> {
  const units = options.units ?? (['record', 'bytes'] as const);
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      unit: fc.constantFrom(...units),
      rate: fc.constantFrom(0.02, 0.1, 0.3),
      kinds: fc.subarray([...(options.kinds ?? FAULT_KINDS)], { minLength: 1 }),
    })
    .map((r): RandomFaults => ({ ...r, rate: r.unit === 'bytes' ? r.rate / 2000 : r.rate, ...(options.dirs ? { dirs: options.dirs } : {}) }));
}

/** Client and server options that must negotiate, and the version they must agree on. */
export interface NegotiableOptions {
  /** Client options (versions, suites, groups, key shares, ALPN); add `servername` and `ca`. */
  readonly client: ClientOptions;
  /** Server options (versions, suites, groups, ALPN); add the certificate. */
  readonly server: ServerOptions;
  /** The version the handshake must end in. */
  readonly version: TlsVersionName;
}

/** What {@link negotiableOptionsArb} draws from. */
export interface NegotiableOptionsArbOptions {
  /** The server certificate's key (decides the TLS 1.2 suites): `'ecdsa'` (default) or `'rsa'`. */
  readonly auth?: 'ecdsa' | 'rsa';
  /** Versions the pair may end in (default both). */
  readonly versions?: readonly TlsVersionName[];
}

const SUITES13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
const SUITES12 = {
  ecdsa: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  rsa: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
} as const;
const GROUPS = ['x25519', 'secp256r1', 'secp384r1'] as const;
const PROTOCOLS = ['h2', 'http/1.1', 'x-puretls-test'] as const;

/** A shuffled list from `all` that contains `must`. */
function listWith<T>(all: readonly T[], must: T): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...all], { minLength: 0 }).map((xs) => (xs.includes(must) ? xs : [...xs, must]));
}

/**
 * Client and server options that must complete a handshake: version ranges that overlap
 * (the highest common version is `version`), cipher suites with one in common for every
 * version both enable, groups with one in common, key shares for some of the client's
 * groups (so a HelloRetryRequest happens when the server prefers another), and ALPN lists
 * that are empty on one side or share a protocol. Certificates, names and trust are left
 * to the caller (`createPair` adds them).
 */
export function negotiableOptionsArb(options: NegotiableOptionsArbOptions = {}): fc.Arbitrary<NegotiableOptions> {
  const versions = options.versions ?? (['TLSv1.3', 'TLSv1.2'] as const);
  const suites12 = SUITES12[options.auth ?? 'ecdsa'];
  type Range = { min: TlsVersionName; max: TlsVersionName };
  type Ranges = { version: TlsVersionName; client: Range; server: Range };
  const both: Range = { min: 'TLSv1.2', max: 'TLSv1.3' };
  const only13: Range = { min: 'TLSv1.3', max: 'TLSv1.3' };
  const only12: Range = { min: 'TLSv1.2', max: 'TLSv1.2' };
  // TLS 1.3: both sides reach 1.3. TLS 1.2: both take 1.2 and at least one stops there.
  const choices: Ranges[] = [];
  if (versions.includes('TLSv1.3')) for (const client of [both, only13]) for (const server of [both, only13]) choices.push({ version: 'TLSv1.3', client, server });
  if (versions.includes('TLSv1.2')) {
    for (const [client, server] of [[only12, only12], [only12, both], [both, only12]] as const) choices.push({ version: 'TLSv1.2', client, server });
  }
  if (choices.length === 0) throw new TlsError('InvalidConfig', { detail: 'negotiableOptionsArb: no version to negotiate', source: 'caller' });
  const ranges = fc.constantFrom(...choices);
  return fc
    .record({
      ranges,
      common13: fc.constantFrom(...SUITES13),
      common12: fc.constantFrom(...suites12),
      group: fc.constantFrom(...GROUPS),
      alpnCommon: fc.constantFrom(...PROTOCOLS),
      alpnMode: fc.constantFrom('none', 'client-only', 'server-only', 'both'),
    })
    .chain((o) =>
      fc.record({
        o: fc.constant(o),
        client13: listWith(SUITES13, o.common13),
        server13: listWith(SUITES13, o.common13),
        client12: listWith(suites12, o.common12),
        server12: listWith(suites12, o.common12),
        clientGroups: listWith(GROUPS, o.group),
        serverGroups: listWith(GROUPS, o.group),
        clientAlpn: listWith(PROTOCOLS, o.alpnCommon),
        serverAlpn: listWith(PROTOCOLS, o.alpnCommon),
        shareCount: fc.integer({ min: 1, max: 3 }),
      }),
    )
    .map(({ o, ...l }): NegotiableOptions => {
      const { client: cr, server: sr } = o.ranges;
      const suitesFor = (r: Range, s13: string[], s12: string[]): string[] => [...(r.max === 'TLSv1.3' ? s13 : []), ...(r.min === 'TLSv1.2' ? s12 : [])];
      const alpn = (side: 'client' | 'server', list: string[]): { ALPNProtocols?: string[] } =>
        o.alpnMode === 'both' || o.alpnMode === `${side}-only` ? { ALPNProtocols: list } : {};
      return {
        version: o.ranges.version,
        client: {
          minVersion: cr.min,
          maxVersion: cr.max,
          cipherSuites: suitesFor(cr, l.client13, l.client12),
          groups: l.clientGroups,
          keyShareGroups: l.clientGroups.slice(0, l.shareCount),
          ...alpn('client', l.clientAlpn),
        },
        server: {
          minVersion: sr.min,
          maxVersion: sr.max,
          cipherSuites: suitesFor(sr, l.server13, l.server12),
          groups: l.serverGroups,
          ...alpn('server', l.serverAlpn),
        },
      };
    });
}
