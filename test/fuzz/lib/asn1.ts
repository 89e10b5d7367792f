/**
 * ASN.1-aware mutation: a lenient BER reader that turns an input into a tree (looking
 * inside OCTET STRINGs and BIT STRINGs that hold DER, as extension values and keys do), a
 * writer that can emit the tree in DER or in deliberately wrong BER (indefinite lengths,
 * non-minimal lengths, lying lengths), and mutators that flip tags, change lengths,
 * truncate, duplicate, delete, swap, wrap and insert elements (unknown GeneralNames, EOC,
 * constructed strings...) before writing it back.
 *
 * Written for this fuzzer; it is not the library's DER reader (src/crypto/der.ts) and must
 * not share code with it: a bug shared by both would hide itself.
 */
import { concatBytes } from '../../../src/base/bytes.js';
import { pickWeighted, type MutateContext, type Mutator, type WeightedMutator } from './mutate.js';
import type { Rng } from './rng.js';

export interface Node {
  /** Identifier octets as read (one, or more for high tag numbers). */
  tag: Uint8Array;
  /** Sub-elements of a constructed element (or of an encapsulating primitive). */
  children: Node[] | null;
  /** For a primitive element holding DER (OCTET STRING / BIT STRING): bytes before the children. */
  encapPrefix: Uint8Array | null;
  /** Contents of a primitive element (or of a constructed one whose contents did not parse). */
  content: Uint8Array;
  /** How the length is written. */
  lenForm: 'min' | 'indefinite' | 'long';
  /** A length value to write instead of the real one (a lie). */
  lenLie: number | null;
}

const MAX_DEPTH = 40;

function readLen(b: Uint8Array, p: number): { len: number; at: number; form: Node['lenForm'] } | null {
  if (p >= b.length) return null;
  const first = b[p]!;
  if (first < 0x80) return { len: first, at: p + 1, form: 'min' };
  if (first === 0x80) return { len: -1, at: p + 1, form: 'indefinite' };
  const n = first & 0x7f;
  if (n > 4 || p + 1 + n > b.length) return null;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[p + 1 + i]!;
  const minimal = (len >= 0x80 && (n === 1 || b[p + 1] !== 0)) && len >= 1 << (8 * (n - 1));
  return { len, at: p + 1 + n, form: minimal ? 'min' : 'long' };
}

/** Parses a run of TLVs covering all of `b`; null if it does not parse. */
export function parseAll(b: Uint8Array, depth = 0): Node[] | null {
  const out: Node[] = [];
  let p = 0;
  while (p < b.length) {
    const r = parseOne(b, p, depth);
    if (!r) return null;
    out.push(r.node);
    p = r.end;
  }
  return out;
}

function parseOne(b: Uint8Array, start: number, depth: number): { node: Node; end: number } | null {
  if (depth > MAX_DEPTH || start >= b.length) return null;
  let p = start + 1;
  if ((b[start]! & 0x1f) === 0x1f) {
    while (p < b.length && b[p]! & 0x80) p++;
    p++;
    if (p > b.length) return null;
  }
  const tag = b.slice(start, p);
  const constructed = (tag[0]! & 0x20) !== 0;
  const l = readLen(b, p);
  if (!l) return null;
  if (l.form === 'indefinite') {
    if (!constructed) return null;
    // Children up to the end-of-contents octets.
    const children: Node[] = [];
    let q = l.at;
    for (;;) {
      if (q + 2 <= b.length && b[q] === 0 && b[q + 1] === 0) {
        q += 2;
        break;
      }
      const r = parseOne(b, q, depth + 1);
      if (!r) return null;
      children.push(r.node);
      q = r.end;
    }
    return { node: { tag, children, encapPrefix: null, content: new Uint8Array(0), lenForm: 'indefinite', lenLie: null }, end: q };
  }
  const end = l.at + l.len;
  if (end > b.length) return null;
  const content = b.slice(l.at, end);
  const node: Node = { tag, children: null, encapPrefix: null, content, lenForm: l.form, lenLie: null };
  if (constructed) {
    node.children = parseAll(content, depth + 1);
  } else if (tag.length === 1 && (tag[0] === 0x04 || tag[0] === 0x03) && content.length >= 2) {
    // OCTET STRING / BIT STRING that wraps DER (extension values, keys): look inside.
    const skip = tag[0] === 0x03 ? 1 : 0;
    if (skip === 0 || content[0] === 0) {
      const inner = content.subarray(skip);
      if (inner[0] === 0x30 || inner[0] === 0x03 || inner[0] === 0x04 || inner[0] === 0x02) {
        const kids = parseAll(inner, depth + 1);
        if (kids && kids.length > 0) {
          node.children = kids;
          node.encapPrefix = content.slice(0, skip);
        }
      }
    }
  }
  return { node, end };
}

function lengthOctets(len: number, form: Node['lenForm']): number[] {
  if (form === 'long' || len >= 0x80) {
    const bytes: number[] = [];
    let v = len;
    do {
      bytes.unshift(v & 0xff);
      v = Math.floor(v / 256);
    } while (v > 0);
    if (form === 'long') bytes.unshift(0); // one more octet than needed: not minimal
    return [0x80 | bytes.length, ...bytes];
  }
  return [len];
}

/** Writes one node (and its subtree). */
export function encode(n: Node): Uint8Array {
  let body: Uint8Array;
  if (n.children) {
    const parts = n.children.map(encode);
    const prefix = n.encapPrefix ?? new Uint8Array(0);
    body = concatBytes([prefix, ...parts]);
  } else {
    body = n.content;
  }
  if (n.lenForm === 'indefinite') {
    return concatBytes([n.tag, new Uint8Array([0x80]), body, new Uint8Array([0, 0])]);
  }
  const len = n.lenLie ?? body.length;
  return concatBytes([n.tag, new Uint8Array(lengthOctets(len, n.lenForm)), body]);
}

export function encodeAll(nodes: readonly Node[]): Uint8Array {
  return concatBytes(nodes.map(encode));
}

/** A primitive or constructed element from parts. */
export function tlv(tag: number, content: Uint8Array | readonly Node[]): Node {
  if (content instanceof Uint8Array) return { tag: new Uint8Array([tag]), children: null, encapPrefix: null, content, lenForm: 'min', lenLie: null };
  return { tag: new Uint8Array([tag]), children: [...content], encapPrefix: null, content: new Uint8Array(0), lenForm: 'min', lenLie: null };
}

interface Slot {
  node: Node;
  parent: Node[] | null;
  index: number;
  depth: number;
}

function slots(roots: Node[]): Slot[] {
  const out: Slot[] = [];
  const walk = (list: Node[], depth: number): void => {
    list.forEach((node, index) => {
      out.push({ node, parent: list, index, depth });
      if (node.children) walk(node.children, depth + 1);
    });
  };
  walk(roots, 0);
  return out;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Elements worth inserting next to others: unknown GeneralNames, EOC, odd encodings. */
function gadget(rng: Rng): Node {
  const name = tlv(0x30, [tlv(0x31, [tlv(0x30, [tlv(0x06, new Uint8Array([0x55, 0x04, 0x03])), tlv(0x0c, ascii('blocked'))])])]);
  const choices: (() => Node)[] = [
    () => tlv(0x05, new Uint8Array(0)), // NULL
    () => tlv(0xa4, [tlv(0x05, new Uint8Array(0))]), // directoryName wrapping NULL
    () => tlv(0xa4, new Uint8Array(0)), // empty directoryName
    () => ({ ...tlv(0xa4, [{ ...name, lenForm: 'indefinite' }]), lenForm: 'indefinite' }), // BER indefinite Name
    () => tlv(0xa4, [name]), // a real directoryName
    () => tlv(0x82, ascii(rng.pick(['evil.example', '*.example', 'a..b', '', 'xn--', '*', 'localhost', 'a\u0000b']))), // dNSName
    () => tlv(0xa2, [tlv(0x16, ascii('nested.example'))]), // constructed dNSName
    () => tlv(0x87, rng.bytes(rng.pick([0, 3, 4, 5, 8, 16, 17, 32]))), // iPAddress (odd sizes too)
    () => tlv(0x81, ascii('user@example.com')), // rfc822Name
    () => tlv(0x86, ascii('https://example.com/')), // URI
    () => tlv(0x88, new Uint8Array([0x2a, 0x03])), // registeredID
    () => tlv(0xa0, [tlv(0x06, new Uint8Array([0x2b, 0x06, 0x01])), tlv(0xa0, [tlv(0x0c, ascii('x'))])]), // otherName
    () => tlv(0x80 | rng.range(9, 30), rng.bytes(rng.below(4))), // undefined context tag
    () => tlv(0x00, new Uint8Array(0)), // EOC as an element
    () => tlv(0x01, new Uint8Array([rng.pick([0x00, 0x01, 0xff])])), // BOOLEAN
    () => tlv(0x02, rng.pick([new Uint8Array([0]), new Uint8Array([0x80]), new Uint8Array([0x00, 0x01]), new Uint8Array(0), rng.bytes(21)])), // INTEGER
    () => tlv(0x06, rng.pick([new Uint8Array(0), new Uint8Array([0x80, 0x01]), new Uint8Array([0x69, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), rng.bytes(5)])), // OID (big arcs, non-minimal)
    () => tlv(0x30, new Uint8Array(0)), // empty SEQUENCE
    () => tlv(0x31, new Uint8Array(0)), // empty SET
    () => ({ tag: new Uint8Array([0x9f, 0x81, 0x00]), children: null, encapPrefix: null, content: new Uint8Array([1]), lenForm: 'min', lenLie: null }), // high tag number
  ];
  return rng.pick(choices)();
}

const STRING_TAGS = [0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e, 0x04, 0x03];

function interestingContent(n: Node, rng: Rng): Uint8Array {
  const t = n.tag[0]! & 0x1f;
  const c = n.content;
  const options: (() => Uint8Array)[] = [
    () => new Uint8Array(0),
    () => new Uint8Array([0]),
    () => new Uint8Array([0xff]),
    () => rng.bytes(rng.smallLength(64)),
    () => c.subarray(0, rng.below(c.length + 1)),
    () => concatBytes([c, rng.bytes(rng.smallLength(8))]),
    () => new Uint8Array(c.length).fill(rng.pick([0x00, 0x41, 0xff, 0x80])),
  ];
  if (t === 0x02) options.push(() => concatBytes([new Uint8Array([0]), c]), () => new Uint8Array([0x80, ...c]), () => new Uint8Array([0xff, 0xff]));
  if (t === 0x03) options.push(() => concatBytes([new Uint8Array([rng.range(1, 8)]), c.subarray(1)]), () => { const d = c.slice(); if (d.length > 1) d[d.length - 1]! |= 1; if (d.length > 0) d[0] = rng.range(0, 7); return d; });
  if (t === 0x01) options.push(() => new Uint8Array([0x01]), () => new Uint8Array([0x00]), () => new Uint8Array([0xff, 0xff]));
  if (t === 0x17 || t === 0x18) {
    const times = ['491231235959Z', '500101000000Z', '991231235959Z', '000229000000Z', '010229000000Z', '20380119031408Z', '99991231235959Z', '19500101000000Z', '20240230000000Z', '20240101240000Z', '20240101000060Z', '20240101000000.5Z', '202401010000Z', '20240101000000+0100', '20240101000000', '2024010100000Z', ' 0240101000000Z'];
    options.push(() => ascii(rng.pick(times)));
  }
  if (t === 0x0c) options.push(() => new Uint8Array([0xc3, 0x28]), () => new Uint8Array([0xed, 0xa0, 0x80]), () => new Uint8Array([0xf4, 0x90, 0x80, 0x80]), () => ascii('a\u0000b'));
  if (t === 0x1e) options.push(() => new Uint8Array([0xd8, 0x00]), () => new Uint8Array([0x00]));
  if (t === 0x06) options.push(() => new Uint8Array([0x2a, 0x86]), () => new Uint8Array([0x80, 0x2a]), () => new Uint8Array([0x69, 0x83, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
  return rng.pick(options)();
}

type TreeOp = (roots: Node[], s: Slot, rng: Rng, ctx: MutateContext) => boolean;

const OPS: { name: string; weight: number; op: TreeOp }[] = [
  {
    name: 'tagNumber',
    weight: 4,
    op: (_r, s, rng) => {
      const t = s.node.tag[0]!;
      s.node.tag = new Uint8Array([(t & 0xe0) | rng.below(31)]);
      return true;
    },
  },
  {
    name: 'tagClassOrForm',
    weight: 3,
    op: (_r, s, rng) => {
      const t = s.node.tag[0]!;
      s.node.tag = new Uint8Array([rng.chance(0.5) ? t ^ 0x20 : (t & 0x3f) | (rng.below(4) << 6)]);
      return true;
    },
  },
  {
    name: 'stringType',
    weight: 3,
    op: (_r, s, rng) => {
      const t = s.node.tag[0]!;
      if (!STRING_TAGS.includes(t) && t !== 0x17 && t !== 0x18) return false;
      s.node.tag = new Uint8Array([rng.pick([...STRING_TAGS, 0x17, 0x18])]);
      s.node.children = null;
      return true;
    },
  },
  {
    name: 'indefinite',
    weight: 3,
    op: (_r, s) => {
      if (!s.node.children || s.node.encapPrefix) return false;
      s.node.lenForm = 'indefinite';
      return true;
    },
  },
  {
    name: 'longLength',
    weight: 2,
    op: (_r, s) => {
      s.node.lenForm = 'long';
      return true;
    },
  },
  {
    name: 'lengthLie',
    weight: 4,
    op: (_r, s, rng) => {
      const real = encode({ ...s.node, lenLie: null, lenForm: 'min' }).length;
      const body = real - s.node.tag.length - lengthOctets(real, 'min').length;
      s.node.lenForm = 'min';
      s.node.lenLie = Math.max(0, rng.pick([body + 1, body - 1, 0, 0x7f, 0x80, 0xffff, body + rng.range(2, 300)]));
      return true;
    },
  },
  {
    name: 'content',
    weight: 8,
    op: (_r, s, rng) => {
      if (s.node.children && !s.node.encapPrefix) return false;
      s.node.content = interestingContent(s.node, rng);
      s.node.children = null;
      s.node.encapPrefix = null;
      return true;
    },
  },
  {
    name: 'delete',
    weight: 4,
    op: (_r, s) => {
      if (!s.parent) return false;
      s.parent.splice(s.index, 1);
      return true;
    },
  },
  {
    name: 'duplicate',
    weight: 4,
    op: (_r, s, rng) => {
      if (!s.parent) return false;
      const count = rng.chance(0.8) ? 1 : rng.range(2, 40);
      for (let i = 0; i < count; i++) s.parent.splice(s.index, 0, cloneNode(s.node));
      return true;
    },
  },
  {
    name: 'swap',
    weight: 2,
    op: (_r, s, rng) => {
      if (!s.parent || s.parent.length < 2) return false;
      const j = rng.below(s.parent.length);
      const tmp = s.parent[j]!;
      s.parent[j] = s.node;
      s.parent[s.index] = tmp;
      return true;
    },
  },
  {
    name: 'insertGadget',
    weight: 6,
    op: (_r, s, rng) => {
      if (!s.node.children) return false;
      s.node.children.splice(rng.below(s.node.children.length + 1), 0, gadget(rng));
      return true;
    },
  },
  {
    name: 'truncateChildren',
    weight: 2,
    op: (_r, s, rng) => {
      if (!s.node.children || s.node.children.length === 0) return false;
      s.node.children.length = rng.below(s.node.children.length);
      return true;
    },
  },
  {
    name: 'wrap',
    weight: 2,
    op: (_r, s, rng) => {
      if (!s.parent) return false;
      s.parent[s.index] = tlv(rng.pick([0x30, 0x31, 0xa0, 0xa3, 0x04]), [s.node]);
      return true;
    },
  },
  {
    name: 'spliceOther',
    weight: 3,
    op: (_r, s, rng, ctx) => {
      if (!s.parent) return false;
      const o = ctx.other();
      const other = o ? parseAll(o) : null;
      if (!other) return false;
      const pool = slots(other);
      if (pool.length === 0) return false;
      s.parent[s.index] = rng.pick(pool).node;
      return true;
    },
  },
];

function cloneNode(n: Node): Node {
  return { ...n, tag: n.tag.slice(), children: n.children ? n.children.map(cloneNode) : null };
}

/** One or a few tree mutations, written back; null if the input is not BER. */
export const asn1Mutate: Mutator = (input, rng, ctx) => {
  const roots = parseAll(input);
  if (!roots || roots.length === 0) return null;
  const rounds = rng.chance(0.7) ? 1 : rng.range(2, 4);
  let done = 0;
  for (let i = 0; i < rounds * 3 && done < rounds; i++) {
    const all = slots(roots);
    if (all.length === 0) break;
    // Prefer deeper elements a little: that is where extension contents and names live.
    const s = all[Math.max(rng.below(all.length), rng.below(all.length))]!;
    const op = pickWeighted(OPS, rng);
    if (op.op(roots, s, rng, ctx)) done++;
  }
  if (done === 0) return null;
  const out = encodeAll(roots);
  return out.length <= ctx.maxLen ? out : null;
};

/** The ASN.1 mutators for DER targets. */
export const ASN1_MUTATORS: readonly WeightedMutator[] = [{ name: 'asn1', weight: 1, fn: asn1Mutate }];

/** Tokens for DER targets: common tags, OIDs, lengths. */
export const DER_DICTIONARY: readonly Uint8Array[] = [
  [0x05, 0x00],
  [0x30, 0x80],
  [0x00, 0x00],
  [0x30, 0x00],
  [0x31, 0x00],
  [0xa4, 0x02, 0x05, 0x00],
  [0x82, 0x00],
  [0x87, 0x04, 0x7f, 0x00, 0x00, 0x01],
  [0x06, 0x03, 0x55, 0x1d, 0x11], // subjectAltName
  [0x06, 0x03, 0x55, 0x1d, 0x1e], // nameConstraints
  [0x06, 0x03, 0x55, 0x1d, 0x13], // basicConstraints
  [0x06, 0x03, 0x55, 0x1d, 0x0f], // keyUsage
  [0x06, 0x03, 0x55, 0x1d, 0x25], // extKeyUsage
  [0x06, 0x03, 0x55, 0x1d, 0x20], // certificatePolicies
  [0x06, 0x03, 0x55, 0x04, 0x03], // CN
  [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02], // ecdsa-with-SHA256
  [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b], // sha256WithRSA
  [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a], // RSASSA-PSS
  [0x06, 0x03, 0x2b, 0x65, 0x70], // Ed25519
  [0x01, 0x01, 0xff],
  [0x02, 0x01, 0x00],
  [0x03, 0x02, 0x07, 0x80],
  [0x17, 0x0d],
  [0x18, 0x0f],
].map((a) => new Uint8Array(a));
