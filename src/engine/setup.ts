/**
 * From options to what a connection needs, resolved once: the common config, the trust
 * anchors and verifier, identities, the handshake parameters of each role, and the limits
 * that belong to one role. Every problem is `TlsError('InvalidConfig')`.
 *
 * @module
 */
import type { CertifiedKey, ClientOptions, ResolvedCommon, ServerOptions } from '../config/config.js';
import { limitOption, resolveCommon, resolveIgnorable } from '../config/config.js';
import { loadCertifiedKey, loadCertificates } from '../config/identity.js';
import { nobleProvider, defaultRandom } from '../crypto/noble.js';
import { DEFAULT_KEY_SHARES, resolveCodes } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import type { HandshakeOutput, State } from '../handshake/state.js';
import { startClient } from '../handshake/client-hello.js';
import type { ClientParams } from '../handshake/client-common.js';
import { startServer } from '../handshake/server-hello.js';
import type { ServerParams } from '../handshake/server-common.js';
import { testHooksOf } from '../handshake/test-hooks.js';
import { createBasicVerifier } from '../verify/basic-verifier.js';
import { parseIpAddress } from '../verify/hostname.js';

/** Limits that belong to one role (the rest are in `ResolvedCommon`). */
export interface RoleLimits {
  /** Server: largest ClientHello body. */
  readonly maxClientHelloSize?: number;
  /** Server: bytes of rejected 0-RTT data skipped. */
  readonly maxSkippedEarlyData?: number;
  /** Client: HelloRequests ignored during a TLS 1.2 handshake. */
  readonly maxHelloRequests?: number;
}


/** Everything a connection is built from. */
export interface Setup {
  readonly role: 'client' | 'server';
  readonly cfg: ResolvedCommon;
  /** Makes the first handshake state (a client's sends its ClientHello through `out`). */
  readonly start: (out: HandshakeOutput) => State | Promise<State>;
  readonly limits: RoleLimits;
}

/** Resolves client options once: config, the verifier, the handshake parameters and the client's limits. */
export function setupClient(options: ClientOptions): Setup {
  const cfg = resolveCommon(options, { crypto: nobleProvider, random: defaultRandom });
  refuseBudgetWithCustomVerifier(options);
  const ignorable = resolveIgnorable(options);
  const anchors = trustAnchorInputs(options.ca);
  if (anchors.length === 0 && options.verifier === undefined && !ignorable.includes('Untrusted')) {
    // Issue 4 item 7: the core has no root store of its own (adapters pass the runtime's).
    throw new TlsError('InvalidConfig', {
      detail: 'no trust anchors: pass `ca` (or use an adapter that supplies the runtime root store), a `verifier`, or accept Untrusted explicitly',
    });
  }
  const verifier =
    options.verifier ??
    createBasicVerifier({ trustAnchors: anchors, crypto: cfg.crypto, maxDepth: options.maxDepth, commonNameFallback: options.commonNameFallback, maxWork: cfg.maxVerificationWork });
  const servername = options.servername;
  if ((servername === undefined || servername === '') && options.verifier === undefined && !ignorable.includes('InvalidName')) {
    // Without a name the certificate proves nothing about whom we reached (RFC 9525 §6).
    throw new TlsError('InvalidConfig', {
      detail: 'no servername: the server certificate cannot be checked; pass `servername`, a `verifier`, or accept InvalidName explicitly',
    });
  }
  const isIp = servername !== undefined && parseIpAddress(servername) !== null;
  if ((options.cert === undefined) !== (options.key === undefined)) throw new TlsError('InvalidConfig', { detail: 'a client certificate needs both cert and key' });
  const params: ClientParams = {
    serverName: servername,
    // RFC 6066 §3: literal IP addresses are not permitted in server_name.
    sendSni: servername !== undefined && servername.length > 0 && !isIp,
    keyShareGroups: options.keyShareGroups ? resolveCodes('group', options.keyShareGroups) : defaultKeyShares(cfg.groups),
    auth: {
      verifier,
      ignorable,
      serverName: servername,
      usage: 'serverAuth',
      requireRevocationInfo: options.requireRevocationInformation === true,
      checkServerIdentity: options.checkServerIdentity,
    },
    identity: options.cert !== undefined && options.key !== undefined ? loadCertifiedKey({ cert: options.cert, key: options.key }, cfg.crypto) : null,
    requestOcsp: options.requestOCSP !== false,
    clientHelloHook: testHooksOf(options).clientHello,
  };
  const limits: RoleLimits = { maxHelloRequests: limitOption('maxHelloRequests', options.maxHelloRequests, 4) };
  return { role: 'client', cfg, start: (out) => startClient(cfg, params, out), limits };
}

/** Resolves server options once: config, identities, the verifier, the handshake parameters and the server's limits. */
export function setupServer(options: ServerOptions): Setup {
  const cfg = resolveCommon(options, { crypto: nobleProvider, random: defaultRandom });
  refuseBudgetWithCustomVerifier(options);
  const identities: CertifiedKey[] = [];
  if (options.cert !== undefined && options.key !== undefined) identities.push(loadCertifiedKey({ cert: options.cert, key: options.key }, cfg.crypto));
  for (const c of options.certificates ?? []) identities.push(loadCertifiedKey(c, cfg.crypto));
  if (identities.length === 0) throw new TlsError('InvalidConfig', { detail: 'a server needs cert and key (or certificates)' });
  const tickets = options.sessionTickets ?? 0;
  if (!Number.isInteger(tickets) || tickets < 0 || tickets > 16) throw new TlsError('InvalidConfig', { detail: 'sessionTickets must be an integer 0..16' });
  const clientAuth = options.requireCert ? 'require' : options.requestCert ? 'request' : 'none';
  const anchors = trustAnchorInputs(options.ca);
  if (clientAuth !== 'none' && anchors.length === 0 && options.verifier === undefined && !resolveIgnorable(options).includes('Untrusted')) {
    throw new TlsError('InvalidConfig', { detail: 'client certificates are requested but no trust anchors (`ca`) or `verifier` are configured' });
  }
  const params: ServerParams = {
    certificates: identities,
    sessionTickets: tickets,
    encryptedExtensionsHook: testHooksOf(options).encryptedExtensions,
    helloRetryRequestHook: testHooksOf(options).helloRetryRequest,
    clientAuth,
    auth: {
      verifier: options.verifier ?? createBasicVerifier({ trustAnchors: anchors, crypto: cfg.crypto, maxDepth: options.maxDepth, maxWork: cfg.maxVerificationWork }),
      ignorable: resolveIgnorable(options),
      serverName: undefined,
      usage: 'clientAuth',
      requireRevocationInfo: false,
      checkServerIdentity: undefined,
    },
  };
  const limits: RoleLimits = {
    maxClientHelloSize: limitOption('maxClientHelloSize', options.maxClientHelloSize, 131072, 0, 0xffffff),
    maxSkippedEarlyData: limitOption('maxSkippedEarlyData', options.maxSkippedEarlyData, 65536),
  };
  return { role: 'server', cfg, start: () => startServer(cfg, params), limits };
}

/**
 * Trust anchors as the verifier takes them: PEM strings go through unchanged (the verifier
 * caches parsed PEM bundles, so a large root store costs once per process); bytes are
 * split into DER certificates here.
 */
function trustAnchorInputs(ca: ClientOptions['ca']): (string | Uint8Array)[] {
  if (ca === undefined) return [];
  const items: readonly (string | Uint8Array)[] = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca;
  const out: (string | Uint8Array)[] = [];
  for (const it of items) {
    if (typeof it === 'string') out.push(it);
    else out.push(...loadCertificates(it));
  }
  return out;
}

/** `maxVerificationWork` budgets the built-in verifier only: with a custom one it would be a silent no-op. */
function refuseBudgetWithCustomVerifier(o: { verifier?: unknown; maxVerificationWork?: number }): void {
  if (o.verifier !== undefined && o.maxVerificationWork !== undefined) {
    throw new TlsError('InvalidConfig', { detail: 'maxVerificationWork applies to the built-in verifier; a custom verifier bounds its own work' });
  }
}

/** Key shares for the first ClientHello: the defaults that are configured, else the first configured group. */
function defaultKeyShares(groups: readonly number[]): number[] {
  const picked = DEFAULT_KEY_SHARES.filter((g) => groups.includes(g));
  return picked.length > 0 ? picked : groups.slice(0, 1);
}
