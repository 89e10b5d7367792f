/**
 * How the Node adapter dials: straight (`net.connect`), through an HTTP CONNECT proxy
 * ({@link ProxyOptions}, src/transport/proxy.ts), and under the private-network policy
 * (`refusePrivateAddresses`, src/transport/netpolicy.ts).
 *
 * {@link dialNode} returns a `net.Socket` at once, as `net.connect` does, so the TLS socket
 * over it keeps every `net.Socket` member (`setTimeout`, `remoteAddress`, ...). Until the
 * tunnel is open and the address checked, what TLS writes is held back (nothing reaches the
 * proxy but the CONNECT request, nothing reaches a refused address at all) and what the
 * proxy answers is read here (the TLS layer sees only the bytes after the proxy's header,
 * in order). `'connect'` is emitted when TCP to the first hop (the proxy, or the server)
 * is up.
 *
 * @module
 */
import * as net from 'node:net';
import * as dns from 'node:dns';
import { TlsError } from '../base/errors.js';
import { ConnectResponseParser, connectRequest, proxyTimeout, resolveProxy, type ProxyOptions, type ResolvedProxy } from './proxy.js';
import { checkDialAddress, isIpLiteral, unbracketed, type NetworkPolicyOptions } from './netpolicy.js';

/** A name-resolution function with `dns.lookup`'s signature (Node's `lookup` option). */
export type LookupFunction = NonNullable<net.TcpNetConnectOpts['lookup']>;

/** The dialling options of the Node adapter's `connect` besides `host`, `port` and `family`. */
export interface DialOptions extends NetworkPolicyOptions {
  /**
   * Reach the server through this HTTP CONNECT proxy (`{ url: 'http://proxy:3128',
   * username, password }`). TLS runs end to end through the tunnel; the certificate is
   * checked against `servername` / `host` as for a direct connection. Refusals are
   * `TlsError`s: `ProxyAuthenticationRequired` (407), `ProxyRefused` (any other answer:
   * `err.statusLine` holds the proxy's), `TimedOut`.
   */
  proxy?: ProxyOptions;
  /** Custom name resolution, as in `net.connect` (default `dns.lookup`). */
  lookup?: LookupFunction;
}

/** Keys of {@link DialOptions}: not TLS options (an option check must let them through). */
export const DIAL_OPTION_NAMES = ['proxy', 'refusePrivateAddresses', 'lookup'] as const;
const DIAL_KEYS = DIAL_OPTION_NAMES;

/** `o` without its {@link DialOptions} keys (so they never reach a TLS config or its cache). */
export function withoutDialOptions<T extends object>(o: T): Omit<T, (typeof DIAL_KEYS)[number]> {
  if (!DIAL_KEYS.some((k) => k in o)) return o;
  const out: Record<string, unknown> = { ...(o as Record<string, unknown>) };
  for (const k of DIAL_KEYS) delete out[k];
  return out as Omit<T, (typeof DIAL_KEYS)[number]>;
}

function notFound(host: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`lookup ${host} returned no address`);
  e.code = 'ENOTFOUND';
  return e;
}

/**
 * The caller's `lookup`, made safe to hand to `net.connect`: a synchronous throw becomes the
 * callback's error, an empty answer (or no address at all) `ENOTFOUND`, and a second callback
 * is ignored. Node's `net` trusts its `lookup`: an empty list there throws a TypeError out of
 * its internals (synchronously, or as an uncaught exception when the answer comes later), and
 * a second answer starts a second connect on the same socket (`EALREADY`).
 */
function safeLookup(user: LookupFunction): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    let answered = false;
    const once = (err: NodeJS.ErrnoException | null, address?: string | dns.LookupAddress[], family?: number): void => {
      if (answered) return;
      answered = true;
      if (err) return callback(err, options.all ? [] : '', 0);
      const none = address === undefined || address === null || address === '' || (Array.isArray(address) && address.length === 0);
      if (none) return callback(notFound(hostname), options.all ? [] : '', 0);
      callback(null, address, family);
    };
    try {
      (user as unknown as (h: string, o: dns.LookupOptions, cb: typeof once) => void)(hostname, options, once);
    } catch (e) {
      const err: NodeJS.ErrnoException = e instanceof Error ? e : new Error(`lookup ${hostname} threw ${String(e)}`);
      process.nextTick(() => once(err));
    }
  }) as unknown as LookupFunction;
}

/** `lookup` answering every address at once (`all: true`), whatever the caller asked. */
function lookupAll(lookup: LookupFunction | undefined, host: string, family: number | undefined, cb: (err: Error | null, addrs: dns.LookupAddress[]) => void): void {
  const opts: dns.LookupAllOptions = { all: true };
  if (family === 4 || family === 6) opts.family = family;
  const done = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], fam?: number): void => {
    if (err) return cb(err, []);
    const list = Array.isArray(address) ? address : [{ address, family: fam ?? (address.includes(':') ? 6 : 4) }];
    if (list.length === 0) return cb(notFound(host), []);
    cb(null, list);
  };
  if (lookup) safeLookup(lookup)(host, opts, done as Parameters<LookupFunction>[2]);
  else dns.lookup(host, opts, done);
}

/** The first address, after checking every one under the policy. */
function checkAll(host: string, addrs: readonly dns.LookupAddress[]): void {
  for (const a of addrs) checkDialAddress(a.address, host);
}

/**
 * A `lookup` for `net.connect` that refuses, under the policy, a name any of whose
 * addresses is not global unicast (all of them: which one Happy Eyeballs dials is not ours
 * to guess, and a name that also points inward is suspect, as in DNS rebinding).
 */
function guardedLookup(user: LookupFunction | undefined): LookupFunction {
  return (hostname, options, callback) => {
    lookupAll(user, hostname, options.family === 4 || options.family === 6 ? options.family : undefined, (err, addrs) => {
      if (err) return callback(err as NodeJS.ErrnoException, '', 0);
      try {
        checkAll(hostname, addrs);
      } catch (e) {
        return callback(e as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) callback(null, addrs);
      else callback(null, addrs[0]!.address, addrs[0]!.family);
    });
  };
}

type WriteCallback = (error?: Error | null) => void;

/** The net options of the socket itself (not of the target), passed through by {@link dialNode}. */
interface SocketExtras {
  readonly ctor: { noDelay?: boolean; keepAlive?: boolean; keepAliveInitialDelay?: number };
  readonly connect: Partial<net.TcpNetConnectOpts>;
  readonly timeout: number | undefined;
}

/**
 * A `net.Socket` that holds back what is written to it until its route is open: the proxy
 * answered 2xx to CONNECT, and (under the policy) the address connected to was checked.
 */
class DialSocket extends net.Socket {
  /** True once bytes written may go out. */
  private routeOpen = false;
  /** The write held back (the stream passes one write, or one batch, at a time). */
  private held: { run: () => void; callback: WriteCallback } | null = null;
  /** Parser of the proxy's answer while it is awaited. */
  private parser: ConnectResponseParser | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly proxy: ResolvedProxy | undefined;
  private readonly refusePrivate: boolean;
  /** Host:port the tunnel leads to (the checked IP under the policy). */
  private target: { host: string; port: number };

  constructor(netOpts: { host: string; port: number; family?: number; lookup?: LookupFunction }, proxy: ResolvedProxy | undefined, refusePrivate: boolean, socketOpts: SocketExtras) {
    super({ allowHalfOpen: true, ...socketOpts.ctor });
    const extras = socketOpts.connect;
    if (socketOpts.timeout !== undefined) this.setTimeout(socketOpts.timeout);
    this.proxy = proxy;
    this.refusePrivate = refusePrivate;
    this.target = { host: netOpts.host, port: netOpts.port };
    // First listener: runs before anything TLS queued could be flushed.
    this.once('connect', () => this.onTcpConnect());
    this.once('close', () => this.onClosed());
    if (proxy) {
      this.parser = new ConnectResponseParser(proxy);
      if (proxy.timeout > 0) {
        this.timer = setTimeout(() => this.destroy(proxyTimeout(proxy)), proxy.timeout);
        this.timer.unref?.();
      }
    }
    const host = netOpts.host;
    if (refusePrivate && isIpLiteral(host)) {
      try {
        checkDialAddress(host, host);
      } catch (e) {
        // Failures are events, as with net.connect: the caller has its listeners by then.
        process.nextTick(() => this.destroy(e as Error));
        return;
      }
    }
    if (proxy) {
      if (refusePrivate && !isIpLiteral(host)) {
        // The proxy would resolve the name where we cannot see it: resolve and check it here,
        // and have the proxy connect to the checked address.
        lookupAll(netOpts.lookup, host, netOpts.family, (err, addrs) => {
          if (this.destroyed) return;
          if (err) return void this.destroy(err);
          try {
            checkAll(host, addrs);
          } catch (e) {
            return void this.destroy(e as Error);
          }
          this.target = { host: addrs[0]!.address, port: netOpts.port };
          this.connect({ ...extras, host: proxy.host, port: proxy.port });
        });
      } else {
        this.connect({ ...extras, host: proxy.host, port: proxy.port });
      }
      return;
    }
    const opts: net.TcpNetConnectOpts = { ...extras, host, port: netOpts.port };
    if (netOpts.family !== undefined) opts.family = netOpts.family;
    if (refusePrivate) opts.lookup = guardedLookup(netOpts.lookup);
    else if (netOpts.lookup) opts.lookup = safeLookup(netOpts.lookup);
    this.connect(opts);
  }

  private onTcpConnect(): void {
    if (this.refusePrivate && !this.proxy) {
      // Belt and braces: the peer actually connected to (lookup results were checked already).
      try {
        checkDialAddress(this.remoteAddress ?? '', this.target.host);
      } catch (e) {
        this.destroy(e as Error);
        return;
      }
    }
    if (!this.proxy) {
      this.openRoute();
      return;
    }
    let request: Uint8Array;
    try {
      request = connectRequest(this.proxy, this.target);
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    super._write(Buffer.from(request.buffer, request.byteOffset, request.byteLength), 'buffer' as BufferEncoding, (err) => {
      if (err) this.destroy(err);
    });
  }

  private openRoute(): void {
    this.clearTimer();
    this.routeOpen = true;
    const h = this.held;
    this.held = null;
    h?.run();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private onClosed(): void {
    this.clearTimer();
    const h = this.held;
    this.held = null;
    // As net.Socket does for a write pending while connecting.
    h?.callback(new TlsError('Closed', { detail: 'the socket closed before its route was open', source: 'transport' }));
  }

  /** Read path: while the proxy's answer is awaited, bytes go to its parser, not to the reader. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    const parser = this.parser;
    if (parser === null) return super.push(chunk, encoding);
    try {
      if (chunk === null) return parser.end();
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : (chunk as Uint8Array);
      const r = parser.push(bytes);
      if (r === null) return true;
      this.parser = null;
      // The bytes after the proxy's header are the tunnel's first bytes: TLS gets them first.
      const ok = r.rest.length > 0 ? super.push(Buffer.from(r.rest.buffer, r.rest.byteOffset, r.rest.byteLength)) : true;
      this.openRoute();
      return ok;
    } catch (e) {
      this.parser = null;
      this.destroy(e as Error);
      return false;
    }
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: WriteCallback): void {
    if (this.routeOpen) return super._write(chunk, encoding, callback);
    this.held = { run: () => super._write(chunk, encoding, callback), callback };
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], callback: WriteCallback): void {
    const run = (): void => {
      if (super._writev) super._writev(chunks, callback);
      else super._write(Buffer.concat(chunks.map((c) => c.chunk)), 'buffer' as BufferEncoding, callback);
    };
    if (this.routeOpen) return run();
    this.held = { run, callback };
  }
}

/**
 * The TCP port to dial: an integer 1..65535, or a string of one (Node accepts `'443'`).
 * Node's `net` throws a RangeError for anything else, and dials port 0 (`ECONNREFUSED`).
 * @throws TlsError('InvalidConfig') otherwise
 */
function dialPort(port: unknown): number {
  const n = typeof port === 'string' && /^[0-9]{1,5}$/.test(port) ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new TlsError('InvalidConfig', { detail: `connect needs a port 1..65535, not ${typeof port === 'string' ? JSON.stringify(port.slice(0, 16)) : String(port)}`, source: 'caller' });
  }
  return n;
}

/**
 * Dials for the Node adapter: `net.connect(netOpts)` when neither `proxy` nor
 * `refusePrivateAddresses` is set, else a socket that goes through the proxy and/or checks
 * the address (see the module notes). Failures arrive as `'error'` with a `TlsError`
 * (`ProxyAuthenticationRequired`, `ProxyRefused`, `PrivateAddressRefused`, `TimedOut`) or a
 * socket error.
 *
 * @throws TlsError('InvalidConfig') synchronously for invalid proxy options, a port that is not
 *   1..65535, a `lookup` that is not a function or a `refusePrivateAddresses` that is not a boolean
 */
export function dialNode(given: Omit<net.TcpNetConnectOpts, 'lookup'> & { host: string; port: number }, o: DialOptions): net.Socket {
  const refusePrivate = o.refusePrivateAddresses === true;
  if (o.refusePrivateAddresses !== undefined && typeof o.refusePrivateAddresses !== 'boolean') {
    throw new TlsError('InvalidConfig', { detail: 'refusePrivateAddresses must be a boolean', source: 'caller' });
  }
  if (o.lookup !== undefined && typeof o.lookup !== 'function') throw new TlsError('InvalidConfig', { detail: 'lookup must be a function (dns.lookup signature)', source: 'caller' });
  const netOpts = { ...given, host: unbracketed(given.host), port: dialPort(given.port) };
  if (o.proxy === undefined && !refusePrivate) {
    const opts: net.TcpNetConnectOpts = { ...netOpts };
    if (o.lookup) opts.lookup = safeLookup(o.lookup);
    return net.connect(opts);
  }
  const proxy = o.proxy !== undefined ? resolveProxy(o.proxy) : undefined;
  // host, port, family and lookup name the target (resolved and checked here, or by the proxy);
  // the other net options (localAddress, keepAlive, timeout, ...) apply to the socket we open.
  const { host, port, family, allowHalfOpen: _a, timeout, noDelay, keepAlive, keepAliveInitialDelay, ...connectExtras } = netOpts as net.TcpNetConnectOpts & { host: string; port: number };
  delete (connectExtras as { lookup?: unknown }).lookup;
  const dialOpts: { host: string; port: number; family?: number; lookup?: LookupFunction } = { host, port };
  if (family !== undefined) dialOpts.family = family;
  if (o.lookup) dialOpts.lookup = o.lookup;
  const ctor: SocketExtras['ctor'] = {};
  if (noDelay !== undefined) ctor.noDelay = noDelay;
  if (keepAlive !== undefined) ctor.keepAlive = keepAlive;
  if (keepAliveInitialDelay !== undefined) ctor.keepAliveInitialDelay = keepAliveInitialDelay;
  return new DialSocket(dialOpts, proxy, refusePrivate, { ctor, connect: connectExtras, timeout });
}
