/**
 * How the Deno and Bun adapters dial, besides the plain TCP connect they each do their own
 * way: through an HTTP CONNECT proxy (`proxy`, src/transport/proxy.ts) and under the
 * private-network policy (`refusePrivateAddresses`, src/transport/netpolicy.ts), with the
 * same meaning as in `puretls/node` (src/transport/node-dial.ts).
 *
 * {@link planDial} decides where TCP goes (the server, or the proxy) and what the tunnel
 * leads to; the adapter connects, then, with a proxy, runs {@link tunnel} over the new
 * connection before any TLS byte is written. Under the policy a name is resolved here
 * (getaddrinfo through `node:dns`, which both runtimes implement) and every address it has
 * is checked; the checked address is what is dialled (or what the proxy is asked to reach),
 * so a name that resolves inward is refused before any connection is made.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { proxyConnect, proxyTimeout, resolveProxy, type ProxyByteStream, type ProxyOptions, type ProxyTarget, type ResolvedProxy } from './proxy.js';
import { checkDialAddress, isIpLiteral, type NetworkPolicyOptions } from './netpolicy.js';
import { mapTransportError } from './streams.js';

/** The dialling options of the Deno and Bun adapters' `connect`. */
export interface RuntimeDialOptions extends NetworkPolicyOptions {
  /**
   * Reach the server through this HTTP CONNECT proxy (`{ url: 'http://proxy:3128',
   * username, password }`). TLS runs end to end through the tunnel; the certificate is
   * checked against `servername` / `host` as for a direct connection. Refusals are
   * `TlsError`s: `ProxyAuthenticationRequired` (407), `ProxyRefused` (any other answer:
   * `err.statusLine` holds the proxy's), `TimedOut`.
   */
  proxy?: ProxyOptions;
}

/** Keys of {@link RuntimeDialOptions}: not TLS options. */
export const RUNTIME_DIAL_KEYS: readonly string[] = ['proxy', 'refusePrivateAddresses'];

/** Where to connect, and (with a proxy) what to ask it for. */
export interface DialPlan {
  /** Host (name or checked IP) and port TCP connects to. */
  readonly host: string;
  readonly port: number;
  /** The proxy to run CONNECT with once connected, and the target to ask for. */
  readonly proxy?: { readonly resolved: ResolvedProxy; readonly target: ProxyTarget };
  /** When dialling started (`Date.now()`): the proxy's timeout and the handshake's count from here. */
  readonly startedAt: number;
  /**
   * The client's `handshakeTimeout` (0: none). As in `puretls/node`, it counts from the call
   * to `connect`: dialling, the proxy's answer and the handshake share it.
   */
  readonly handshakeTimeout: number;
}

/**
 * The port `listen` binds: 0 (the OS picks one) when not given, else an integer 0..65535.
 * The runtimes' own errors for anything else would come out as `TransportError`.
 * @throws TlsError('InvalidConfig') otherwise
 */
export function listenPort(port: unknown): number {
  if (port === undefined) return 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TlsError('InvalidConfig', { detail: `listen needs a port 0..65535 (0: any), not ${typeof port === 'string' ? JSON.stringify(port.slice(0, 16)) : String(port)}`, source: 'caller' });
  }
  return port;
}


/** Every address of `host` (getaddrinfo, as Node's `dns.lookup` with `all`). */
async function lookupAll(host: string): Promise<string[]> {
  let addrs: { address: string }[];
  try {
    const dns = await import('node:dns');
    addrs = await dns.promises.lookup(host, { all: true });
  } catch (e) {
    throw mapTransportError(e);
  }
  if (addrs.length === 0) throw new TlsError('HostNotFound', { detail: `lookup ${host} returned no address`, source: 'transport' });
  return addrs.map((a) => a.address);
}

/**
 * Decides where to dial for `host`:`port` under the options (see the module comment).
 * @throws TlsError('InvalidConfig') for a bad proxy or a `refusePrivateAddresses` that is not a
 *   boolean; TlsError('PrivateAddressRefused') under
 *   the policy; TlsError('HostNotFound') when the name does not resolve (policy only)
 */
export async function planDial(host: string, port: number, o: RuntimeDialOptions, handshakeTimeout = 0): Promise<DialPlan> {
  const startedAt = Date.now();
  // As puretls/node (node-dial.ts): a policy that is not a boolean is a caller's mistake, not "off".
  if (o.refusePrivateAddresses !== undefined && typeof o.refusePrivateAddresses !== 'boolean') {
    throw new TlsError('InvalidConfig', { detail: 'refusePrivateAddresses must be a boolean', source: 'caller' });
  }
  const resolved = o.proxy !== undefined ? resolveProxy(o.proxy) : undefined;
  let target = host;
  if (o.refusePrivateAddresses === true) {
    if (isIpLiteral(host)) {
      checkDialAddress(host, host);
    } else {
      // The lookup is part of dialling: the proxy's and the handshake's timeouts bound it, as in
      // puretls/node (whose lookup runs under both timers). A resolver that never answers
      // must not hang connect() past them; its late answer is dropped.
      const sofar: DialPlan = { host, port, startedAt, handshakeTimeout, ...(resolved ? { proxy: { resolved, target: { host, port } } } : {}) };
      const addrs = await within(lookupAll(host), deadline(sofar, true), () => undefined);
      for (const a of addrs) checkDialAddress(a, host);
      target = addrs[0]!;
    }
  }
  if (resolved) return { host: resolved.host, port: resolved.port, proxy: { resolved, target: { host: target, port } }, startedAt, handshakeTimeout };
  return { host: target, port, startedAt, handshakeTimeout };
}

/** The error of a handshake whose timeout passed while dialling. */
function dialTimeout(plan: DialPlan): TlsError {
  return new TlsError('TimedOut', { detail: `handshake not completed within ${plan.handshakeTimeout} ms (the connection was not open yet)`, source: 'transport' });
}

/**
 * The earliest deadline of the plan for what remains of dialling: the proxy's timeout (with a
 * proxy, unless `proxyToo` is false) and the handshake's, as milliseconds left and the error
 * to report then; null when neither is set.
 */
function deadline(plan: DialPlan, proxyToo: boolean): { left: number; error: () => TlsError } | null {
  const elapsed = Date.now() - plan.startedAt;
  let best: { left: number; error: () => TlsError } | null = null;
  const proxy = plan.proxy?.resolved;
  if (proxyToo && proxy && proxy.timeout > 0) best = { left: proxy.timeout - elapsed, error: () => proxyTimeout(proxy) };
  if (plan.handshakeTimeout > 0 && (best === null || plan.handshakeTimeout - elapsed < best.left)) best = { left: plan.handshakeTimeout - elapsed, error: () => dialTimeout(plan) };
  return best === null ? null : { left: Math.max(1, best.left), error: best.error };
}

/** `work` raced against `d` (see {@link deadline}); `onLate` gets a result that came too late. */
function within<T>(work: Promise<T>, d: { left: number; error: () => TlsError } | null, onLate: (late: T) => void, abort?: () => void): Promise<T> {
  if (d === null) return work;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(d.error());
      abort?.();
    }, d.left);
    work.then(
      (c) => {
        clearTimeout(timer);
        if (settled) onLate(c);
        else resolve(c);
      },
      (e: unknown) => {
        clearTimeout(timer);
        // After the timeout, a late failure of the abandoned work is not the caller's.
        if (!settled) reject(e);
      },
    );
  });
}

/**
 * What is left of the handshake timeout for the TLS connection once dialled (0: none), to
 * pass as its `handshakeTimeout`.
 */
export function handshakeTimeLeft(plan: DialPlan): number {
  return plan.handshakeTimeout === 0 ? 0 : Math.max(1, plan.handshakeTimeout - (Date.now() - plan.startedAt));
}

/**
 * Waits for the adapter's TCP connect under the plan: no longer than the proxy's timeout
 * (with a proxy, unless it is 0: reaching the proxy and its answer share it, as in
 * `puretls/node`) nor the handshake's (both counted from {@link DialPlan.startedAt}). A
 * connection that completes after that is handed to `discard` (to close it), and `abort` (if
 * given) is called at the timeout to cancel the connect, so that nothing pending keeps the
 * process alive (a connect that gets no answer is retried for minutes).
 *
 * @throws TlsError('TimedOut') when a timeout passes first; what `connecting` rejects with
 */
export function connectWithin<T>(plan: DialPlan, connecting: Promise<T>, discard: (late: T) => void, abort?: () => void): Promise<T> {
  return within(connecting, deadline(plan, true), discard, abort);
}

/**
 * Runs CONNECT over a connection to the proxy; resolves with the bytes the proxy sent after
 * its header (the first TLS bytes: hand them to the TLS transport before anything read later).
 * The handshake timeout of the plan bounds it too.
 */
export function tunnel(stream: ProxyByteStream, plan: DialPlan): Promise<Uint8Array> {
  if (!plan.proxy) return Promise.resolve(new Uint8Array(0));
  // The proxy's own timeout is proxyConnect's; the handshake's is raced here.
  return within(proxyConnect(stream, plan.proxy.resolved, plan.proxy.target, plan.startedAt), deadline(plan, false), () => undefined);
}
