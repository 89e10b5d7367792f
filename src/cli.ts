#!/usr/bin/env node
/**
 * The `puretls` command (its CLI contract: README "CLI"):
 *
 * - `puretls connect HOST:PORT [...]`: handshake, summary (or `--json`), then copy stdin
 *   to the connection and the connection to stdout until either side closes; with
 *   `--reconnect N`, `--sess-out` / `--sess-in` (sealed under a `--sess-key` file) and
 *   `--early-data`, resumption and 0-RTT (issue 10 item 7).
 * - `puretls serve --port P --cert FILE --key FILE [...]`: a server like `openssl s_server`.
 * - `puretls demo`: a loopback server with a fresh certificate chain, a client, the
 *   handshake summary, and a certificate error reported then ignored.
 * - `puretls bench HOST:PORT [...]`: handshakes per second, latency histogram and bulk
 *   transfers against any TLS server, like `openssl s_time` (src/tools/bench.ts; the TLS
 *   options are parsed here, as for `connect`).
 *
 * Every policy of the library has a flag (`--max-*` limits, `--session-tickets`,
 * `--no-require-ems`, timeouts, ...: see NUMBER_FLAGS, SWITCH_FLAGS and LIST_FLAGS),
 * listed by `--help`. The argument parsers ({@link parseConnectCommand},
 * {@link parseServeCommand}) are exported for tests; importing this module runs nothing.
 *
 * Exit status: 0 on success / clean close, 1 on a TLS, transport or configuration
 * failure, 2 on a usage error.
 *
 * @module
 */
import { appendFileSync, chmodSync, closeSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ClientOptions, ServerOptions, TraceEvent } from './config/config.js';
import type { ConnectionInfo } from './engine/connection.js';
import type { BenchTransport } from './tools/bench.js';
import { TlsError, alertName } from './base/errors.js';
import { connect, createClientConfig, createServer, mapTransportError, type ConnectOptions, type TlsServerOptions, type TlsSocket } from './transport/node.js';
import { systemRootCertificates } from './transport/node-roots.js';
import { resolveProxy } from './transport/proxy.js';
import { MAX_MAX_DEPTH } from './verify/engine.js';
import { ALL_CERTIFICATE_ERRORS, IGNORABLE_CERTIFICATE_ERRORS, severityOf, type CertificateErrorCode } from './verify/verifier.js';
import { generateTestPki } from './verify/generate.js';
import { parseCertificate } from './verify/x509.js';
import { CRYPTO_PROVIDER_NAMES, type CryptoProviderName } from './crypto/select.js';
import { SESSION_KEY_LENGTH, deserializeSession, serializeSession } from './session/serialize.js';
import { defaultRandom } from './crypto/noble.js';
// Loading the native provider makes `--crypto native` resolvable (it registers itself).
import './crypto/native.js';
import './crypto/webcrypto.js';
import { BENCH_HELP, parseBenchSettings, runBench, splitBenchArgs, type BenchSettings } from './tools/bench.js';

// ------------------------------------------------------------------ usage

/** The commands that take policy flags. */
type Command = 'connect' | 'serve';

/** Numeric options a policy flag can set (src/config/config.ts and the Node adapter's socket options). */
type NumericOption =
  | 'maxHandshakeMessageSize'
  | 'maxClientHelloSize'
  | 'maxEmptyRecords'
  | 'maxWarningAlerts'
  | 'maxKeyUpdates'
  | 'maxPostHandshakeMessages'
  | 'maxHelloRequests'
  | 'maxPendingWrite'
  | 'maxSkippedEarlyData'
  | 'maxVerificationWork'
  | 'maxDepth'
  | 'sessionTickets'
  | 'maxEarlyData'
  | 'handshakeTimeout'
  | 'lingerTimeout';

/** A flag taking a whole number, and the option it sets. */
interface NumberFlag {
  readonly flag: string;
  readonly option: NumericOption;
  readonly commands: readonly Command[];
  readonly min: number;
  readonly max: number;
  /** Placeholder in the help text. */
  readonly arg: string;
  readonly help: string | ((command: Command) => string);
}

const INT31 = 2 ** 31 - 1;
const BOTH: readonly Command[] = ['connect', 'serve'];

/**
 * Every numeric policy of the library, reachable from the command line (issue 7 item 15).
 * Ranges are the library's own (src/config/config.ts, src/verify/engine.ts, the Node adapter); the
 * library checks them again.
 */
const NUMBER_FLAGS: readonly NumberFlag[] = [
  { flag: 'max-handshake-message-size', option: 'maxHandshakeMessageSize', commands: BOTH, min: 0, max: 0xffffff, arg: 'BYTES', help: 'largest handshake message accepted from the peer, other than a ClientHello (default 65536)' },
  { flag: 'max-client-hello-size', option: 'maxClientHelloSize', commands: ['serve'], min: 0, max: 0xffffff, arg: 'BYTES', help: 'largest ClientHello accepted (default 131072)' },
  { flag: 'max-empty-records', option: 'maxEmptyRecords', commands: BOTH, min: 0, max: INT31, arg: 'N', help: 'empty records accepted in a row without application data (default 32)' },
  { flag: 'max-warning-alerts', option: 'maxWarningAlerts', commands: BOTH, min: 0, max: INT31, arg: 'N', help: 'warning / user_canceled alerts accepted without application data (default 4)' },
  { flag: 'max-key-updates', option: 'maxKeyUpdates', commands: BOTH, min: 0, max: INT31, arg: 'N', help: 'TLS 1.3 KeyUpdates accepted without application data (default 32)' },
  {
    flag: 'max-post-handshake-messages',
    option: 'maxPostHandshakeMessages',
    commands: BOTH,
    min: 0,
    max: INT31,
    arg: 'N',
    help: 'post-handshake messages and empty records accepted without application data (default 64)',
  },
  { flag: 'max-hello-requests', option: 'maxHelloRequests', commands: ['connect'], min: 0, max: INT31, arg: 'N', help: 'TLS 1.2 HelloRequests ignored during a handshake (default 4)' },
  { flag: 'max-pending-write', option: 'maxPendingWrite', commands: BOTH, min: 0, max: INT31, arg: 'BYTES', help: 'plaintext held before the handshake completes (default 262144)' },
  { flag: 'max-skipped-early-data', option: 'maxSkippedEarlyData', commands: ['serve'], min: 0, max: INT31, arg: 'BYTES', help: 'bytes of refused 0-RTT data skipped (default 65536, or more with --max-early-data: what it allows in full records)' },
  { flag: 'max-verification-work', option: 'maxVerificationWork', commands: BOTH, min: 1, max: INT31, arg: 'N', help: "work budget of one certificate verification (default: the verifier's)" },
  { flag: 'max-depth', option: 'maxDepth', commands: BOTH, min: 0, max: MAX_MAX_DEPTH, arg: 'N', help: 'intermediates accepted between leaf and trust anchor (default 8)' },
  { flag: 'session-tickets', option: 'sessionTickets', commands: ['serve'], min: 0, max: 16, arg: 'N', help: 'TLS 1.3 NewSessionTickets sent after each handshake for resumption (default 2; 0 disables resumption)' },
  { flag: 'max-early-data', option: 'maxEarlyData', commands: ['serve'], min: 0, max: INT31, arg: 'BYTES', help: 'TLS 1.3 0-RTT data accepted from resuming clients, once per ticket (default 0: off; early data can be replayed)' },
  { flag: 'handshake-timeout', option: 'handshakeTimeout', commands: BOTH, min: 0, max: INT31, arg: 'MS', help: (c) => `milliseconds the handshake may take; 0: no limit (default ${c === 'serve' ? 120000 : 0})` },
  { flag: 'linger-timeout', option: 'lingerTimeout', commands: BOTH, min: 0, max: INT31, arg: 'MS', help: "milliseconds to keep reading (and discarding) a failed peer's input so it can read our alert; 0: close at once (default 2000)" },
];

/** A flag without value that sets an option. */
interface SwitchFlag {
  readonly flag: string;
  readonly commands: readonly Command[];
  readonly help: string;
  readonly set: (o: PolicyOptions) => void;
}

/** What the policy flags may set: the numeric options plus the switches and lists below. */
type PolicyOptions = Partial<Record<NumericOption, number>> &
  Pick<ClientOptions, 'requireExtendedMasterSecret' | 'requestOCSP' | 'requireRevocationInformation' | 'commonNameFallback' | 'signatureSchemes' | 'keyShareGroups'>;

const SWITCH_FLAGS: readonly SwitchFlag[] = [
  {
    flag: 'no-require-ems',
    commands: BOTH,
    help: 'TLS 1.2: do not require the extended master secret (RFC 7627); only for old peers, opens the triple-handshake attack',
    set: (o) => (o.requireExtendedMasterSecret = false),
  },
  { flag: 'no-ocsp', commands: ['connect'], help: 'do not ask the server to staple an OCSP response', set: (o) => (o.requestOCSP = false) },
  { flag: 'require-revocation-info', commands: ['connect'], help: 'report RevocationInformationMissing when no OCSP response is stapled', set: (o) => (o.requireRevocationInformation = true) },
  { flag: 'cn-fallback', commands: ['connect'], help: 'match the subject CN when the certificate has no SAN (RFC 6125 §6.4.4; off by default)', set: (o) => (o.commonNameFallback = true) },
];

/** A flag taking a comma-separated list. */
interface ListFlag {
  readonly flag: string;
  readonly commands: readonly Command[];
  readonly arg: string;
  readonly help: string;
  readonly set: (o: PolicyOptions, items: string[]) => void;
}

const LIST_FLAGS: readonly ListFlag[] = [
  { flag: 'sigalgs', commands: BOTH, arg: 'NAME,...', help: 'signature schemes accepted from the peer (IANA names, e.g. ecdsa_secp256r1_sha256)', set: (o, v) => (o.signatureSchemes = v) },
  { flag: 'key-shares', commands: ['connect'], arg: 'GROUP,...', help: 'groups for which the first ClientHello carries key shares', set: (o, v) => (o.keyShareGroups = v) },
];

/** The help lines of the policy flags of `command`, wrapped to 92 columns. */
function policyHelp(command: Command): string {
  const indent = ' '.repeat(27);
  const line = (left: string, help: string): string => {
    const words = help.split(' ');
    const rows: string[] = [];
    let row = '';
    for (const w of words) {
      if (row.length > 0 && row.length + 1 + w.length > 92 - indent.length) {
        rows.push(row);
        row = w;
      } else row = row.length > 0 ? `${row} ${w}` : w;
    }
    rows.push(row);
    const head = left.length >= 25 ? [`  ${left}`, `${indent}${rows[0]!}`] : [`  ${left.padEnd(25)}${rows[0]!}`];
    return [...head, ...rows.slice(1).map((r) => `${indent}${r}`)].join('\n');
  };
  const text = (h: NumberFlag['help']): string => (typeof h === 'string' ? h : h(command));
  return [
    ...NUMBER_FLAGS.filter((f) => f.commands.includes(command)).map((f) => line(`--${f.flag} ${f.arg}`, text(f.help))),
    ...LIST_FLAGS.filter((f) => f.commands.includes(command)).map((f) => line(`--${f.flag} ${f.arg}`, f.help)),
    ...SWITCH_FLAGS.filter((f) => f.commands.includes(command)).map((f) => line(`--${f.flag}`, f.help)),
  ].join('\n');
}

/** For an option of the other command: which command it belongs to. */
function otherCommandOf(name: string, command: Command): Command | undefined {
  const other: Command = command === 'connect' ? 'serve' : 'connect';
  return name in policyFlagSpec(other) ? other : undefined;
}

/** The flag specs of the policy flags of `command`, for {@link parseArgs}. */
function policyFlagSpec(command: Command): Record<string, FlagKind> {
  const spec: Record<string, FlagKind> = {};
  for (const f of NUMBER_FLAGS) if (f.commands.includes(command)) spec[f.flag] = 'string';
  for (const f of LIST_FLAGS) if (f.commands.includes(command)) spec[f.flag] = 'string';
  for (const f of SWITCH_FLAGS) if (f.commands.includes(command)) spec[f.flag] = 'boolean';
  return spec;
}

/**
 * A whole number for `--flag`, in `min..max`.
 * @throws UsageError naming the flag, the value and the accepted range
 */
function parseNumberFlag(f: NumberFlag, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${f.flag}: expected a whole number ${f.min}..${f.max}, got '${text}'`);
  const v = Number(text);
  if (v < f.min || v > f.max) throw new UsageError(`--${f.flag}: ${text} is out of range (${f.min}..${f.max})`);
  return v;
}

/** The options set by the policy flags of `command` present in `args`. */
function policyOptions(args: ParsedArgs, command: Command): PolicyOptions {
  const o: PolicyOptions = {};
  for (const f of NUMBER_FLAGS) {
    const text = f.commands.includes(command) ? args.strings.get(f.flag) : undefined;
    if (text !== undefined) o[f.option] = parseNumberFlag(f, text);
  }
  for (const f of LIST_FLAGS) {
    const items = f.commands.includes(command) ? list(args.strings.get(f.flag)) : undefined;
    if (items === undefined) continue;
    if (items.length === 0) throw new UsageError(`--${f.flag} needs at least one name`);
    f.set(o, items);
  }
  for (const f of SWITCH_FLAGS) if (f.commands.includes(command) && args.booleans.has(f.flag)) f.set(o);
  return o;
}

const MAIN_HELP = `Usage: puretls <command> [options]

Commands:
  connect HOST:PORT   connect to a TLS server, print the session, relay stdin/stdout
  serve --port P      run a TLS server (echo, www, or print received data)
  demo                loopback server + client with a fresh certificate chain
  bench HOST:PORT     handshakes/s, latency histogram and bulk throughput against a server

Run 'puretls <command> --help' for the options of a command.
Exit status: 0 success, 1 TLS/transport/configuration failure, 2 usage error.
`;

const CONNECT_HELP = `Usage: puretls connect HOST:PORT [options]

HOST may be a name, an IPv4 address or [IPv6]:PORT (e.g. [::1]:8443).
After the handshake, stdin is sent to the server and what it sends is written to
stdout until either side closes. Exit 0 on a clean close (close_notify).

Options:
  --servername NAME        name for SNI and certificate checks (default: HOST)
  --ca FILE                trust anchors (PEM bundle or DER certificate); default: Node's
                           root store (tls.rootCertificates, plus NODE_EXTRA_CA_CERTS, or
                           tls.getCACertificates('default') where Node has it)
  --ca-system              trust the operating system's store (tls.getCACertificates
                           ('system'), else SSL_CERT_FILE or the distribution's PEM bundle);
                           with --ca, both
  --cert FILE --key FILE   client certificate chain (leaf first) and its private key, sent
                           when the server asks for one (mutual TLS, TLS 1.2 and 1.3)
  --cert FILE.p12          or a PKCS#12 file (.p12/.pfx) holding both (no --key)
  --pass PASS              passphrase of the .p12 or of an encrypted --key: pass:TEXT,
                           env:VAR, file:PATH (first line), or the text itself
  --min-version V          1.2 | 1.3 | TLSv1.2 | TLSv1.3
  --max-version V          1.2 | 1.3 | TLSv1.2 | TLSv1.3
  --alpn a,b               ALPN protocols, in preference order
  --groups NAME,...        key exchange groups, in preference order: X25519MLKEM768,
                           SecP256r1MLKEM768, SecP384r1MLKEM1024 (post-quantum hybrids,
                           TLS 1.3 only), x25519, secp256r1, secp384r1. Default:
                           X25519MLKEM768,x25519,secp256r1,secp384r1 (key shares for the
                           first two; with --crypto webcrypto the classical ones only)
  --ciphers NAME,...       cipher suites (IANA names, e.g. TLS_AES_128_GCM_SHA256)
  --ignore CODE,...        ignorable certificate errors to accept
                           (Untrusted, Expired, NotYetValid, InvalidName, IncompleteChain,
                           WrongUsage, RevocationInformationMissing, RevocationFailure);
                           fatal ones (InvalidSignature, Revoked, BasicConstraintsError,
                           UnknownCriticalExtension, InvalidCertificateAuthorityPolicy,
                           OtherErrors) can never be ignored: naming one is a usage error.
                           Errors found are still reported (summary, --json).
  --crypto PROVIDER        crypto provider: native (node:crypto, the default of
                           puretls/node), pure (@noble/*, runs everywhere), webcrypto
  --keylog FILE            append NSS key-log lines (for Wireshark)
  --proxy URL              reach HOST:PORT through an HTTP CONNECT proxy, http://host:port
                           (credentials in the URL, http://user:pass@host:port, are visible
                           to other users of this machine: prefer --proxy-auth). A refusal
                           is ProxyRefused (the proxy's status line), 407 is
                           ProxyAuthenticationRequired
  --proxy-auth SPEC        Basic credentials for --proxy, USER:PASSWORD, given as for --pass
                           (env:VAR, file:PATH, pass:TEXT)
  --trace                  print each handshake message, decoded, to stderr
  --json                   print the session as one JSON line on stdout: version,
                           cipherSuite, group, alpn, resumed, provider, peerCertificate {subject,
                           issuer, notBefore, notAfter, sha256}, certificateErrors (codes),
                           certificateErrorDetails, certificateErrorSeverity, earlyData
                           (accepted|rejected|none), connection (with --reconnect); on failure
                           error {status, alert, message} and the certificateErrors found
  --key-update             after the handshake, send a KeyUpdate asking the peer to update
  --reconnect N            then connect N more times, resuming the session of the connection
                           before (one client config and session store shared by all); one
                           summary per connection (--json: one JSON line each, 'resumed' true
                           from the second when the server resumes). stdin is relayed on the
                           last connection only; the earlier ones close once the handshake is
                           done (after reading what the server sent: its session tickets)
  --sess-out FILE          write the session the server gives (the latest, on every
                           connection) to FILE, sealed with the session key (mode 0600)
  --sess-in FILE           resume the session in FILE (written by --sess-out) on the first
                           connection; a file that does not open under the session key
                           (altered, foreign, another key) is an error (SessionRejected,
                           exit 1), never trusted; a session that is expired or for another
                           server name or trust setting gives a full handshake
  --sess-key FILE          the session key: 32 bytes that seal and open session files
                           (default: FILE.key next to the --sess-out / --sess-in file; made
                           with mode 0600 by --sess-out when missing). A session file holds
                           the resumption secret and the first connection's certificate
                           verdict: the key keeps it secret and makes a forged file fail
  --early-data FILE        send FILE's bytes as TLS 1.3 0-RTT data when the session allows
                           (with --sess-in, or on --reconnect), else after the handshake;
                           'earlyData' in --json (and the summary) says accepted, rejected
                           (then re-sent after the handshake) or none. Early data can be
                           replayed by an attacker: send only what is safe to repeat
  --quiet                  do not print the human-readable summary (stderr)
  --help                   this text

Policy (defaults are the library's):
${policyHelp('connect')}
`;

const SERVE_HELP = `Usage: puretls serve --port P --cert FILE --key FILE [options]

Prints 'listening on HOST:PORT' on stdout once listening (--port 0 picks a free port).
Logs each connection (with the client certificate's subject when one was presented)
and each handshake failure (with the certificate errors found) on stderr. Runs until
interrupted.

Options:
  --port P                 port to listen on (0: any free port)
  --host ADDR              address to bind (default 127.0.0.1)
  --cert FILE              certificate chain, leaf first (PEM or DER)
  --key FILE               private key (PEM: PKCS#8, SEC1, PKCS#1; or DER PKCS#8;
                           encrypted ones with --pass)
  --cert FILE.p12          or a PKCS#12 file (.p12/.pfx) holding chain and key (no --key)
  --pass PASS              passphrase of the .p12 or of an encrypted --key: pass:TEXT,
                           env:VAR, file:PATH (first line), or the text itself
  --ca FILE                trust anchors for client certificates (PEM bundle or DER);
                           default: Node's root store (tls.rootCertificates)
  --request-client-cert    ask for a client certificate: a client without one is accepted,
                           a certificate that is presented must be valid (see --ignore)
  --require-client-cert    require a valid client certificate (without one the handshake
                           fails: certificate_required in TLS 1.3, handshake_failure in 1.2)
  --ignore CODE,...        ignorable errors to accept in client certificates (as for
                           connect; fatal codes are a usage error)
  --alpn a,b               ALPN protocols the server accepts, in preference order
  --min-version V          1.2 | 1.3 | TLSv1.2 | TLSv1.3
  --max-version V          1.2 | 1.3 | TLSv1.2 | TLSv1.3
  --groups NAME,...        key exchange groups, in preference order: X25519MLKEM768,
                           SecP256r1MLKEM768, SecP384r1MLKEM1024 (post-quantum hybrids,
                           TLS 1.3 only), x25519, secp256r1, secp384r1. Default: all six,
                           hybrids first (a client listing a hybrid without a share is
                           asked for one: HelloRetryRequest)
  --ciphers NAME,...       cipher suites, in preference order
  --crypto PROVIDER        crypto provider: native (node:crypto, the default of
                           puretls/node), pure (@noble/*, runs everywhere), webcrypto
  --keylog FILE            append NSS key-log lines (for Wireshark)
  --echo                   echo application data back to the client
  --www                    answer any HTTP request with a page describing the session
                           (and the client certificate, if any), then close cleanly
                           (without --echo or --www, received data is written to stdout)
  --help                   this text

Policy (defaults are the library's):
${policyHelp('serve')}
`;

const DEMO_HELP = `Usage: puretls demo [--crypto native|pure|webcrypto]

Starts a puretls server on 127.0.0.1 with a freshly generated CA and leaf certificate,
connects to it with the puretls client trusting that CA, prints the handshake summary and
exchanges a line of data. Then connects with the wrong server name to show the
certificate error being reported (CertificateInvalidName), and once more with
InvalidName in the ignorable errors to show it being ignored. --crypto picks the crypto
provider of both ends (default: puretls/node's).
`;

/** A command-line usage error: printed with the usage hint, exit status 2. */
class UsageError extends TlsError {
  constructor(detail: string) {
    super('ApiMisuse', { detail, source: 'caller' });
  }
}

type FlagKind = 'string' | 'boolean';
type FlagSpec = Readonly<Record<string, FlagKind>>;

interface ParsedArgs {
  readonly positional: string[];
  readonly strings: Map<string, string>;
  readonly booleans: Set<string>;
}

const CONNECT_FLAGS: FlagSpec = {
  servername: 'string',
  ca: 'string',
  'ca-system': 'boolean',
  cert: 'string',
  key: 'string',
  pass: 'string',
  'min-version': 'string',
  'max-version': 'string',
  alpn: 'string',
  groups: 'string',
  ciphers: 'string',
  ignore: 'string',
  keylog: 'string',
  crypto: 'string',
  trace: 'boolean',
  json: 'boolean',
  'key-update': 'boolean',
  reconnect: 'string',
  'sess-out': 'string',
  'sess-in': 'string',
  'sess-key': 'string',
  'early-data': 'string',
  proxy: 'string',
  'proxy-auth': 'string',
  quiet: 'boolean',
  help: 'boolean',
  ...policyFlagSpec('connect'),
};

const SERVE_FLAGS: FlagSpec = {
  port: 'string',
  host: 'string',
  cert: 'string',
  key: 'string',
  pass: 'string',
  ca: 'string',
  'request-client-cert': 'boolean',
  'require-client-cert': 'boolean',
  ignore: 'string',
  alpn: 'string',
  'min-version': 'string',
  'max-version': 'string',
  groups: 'string',
  ciphers: 'string',
  keylog: 'string',
  crypto: 'string',
  echo: 'boolean',
  www: 'boolean',
  help: 'boolean',
  ...policyFlagSpec('serve'),
};

const DEMO_FLAGS: FlagSpec = { help: 'boolean', crypto: 'string' };

function parseArgs(argv: readonly string[], spec: FlagSpec, command?: Command): ParsedArgs {
  const out: ParsedArgs = { positional: [], strings: new Map(), booleans: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      out.booleans.add('help');
      continue;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a.length > 1) throw new UsageError(`unknown option '${a}'`);
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const kind = spec[name];
    if (!kind) {
      const other = command !== undefined ? otherCommandOf(name, command) : undefined;
      throw new UsageError(other !== undefined ? `option '--${name}' applies to '${other}' only` : `unknown option '--${name}'`);
    }
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out.booleans.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`option '--${name}' needs a value`);
      i++;
    }
    out.strings.set(name, value);
  }
  return out;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items;
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`. */
function parseHostPort(s: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  const m6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (m6) {
    host = m6[1]!;
    portText = m6[2]!;
  } else {
    const i = s.lastIndexOf(':');
    if (i <= 0) throw new UsageError(`expected HOST:PORT, got '${s}'`);
    host = s.slice(0, i);
    portText = s.slice(i + 1);
    if (host.includes(':')) throw new UsageError(`IPv6 addresses need brackets: [${host}]:${portText}`);
  }
  return { host, port: parsePort(portText) };
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid port '${text}'`);
  const port = Number(text);
  if (port > 65535) throw new UsageError(`invalid port '${text}'`);
  return port;
}

/**
 * Largest file a flag reads (`--ca`, `--cert`, `--key`, `--sess-in`, `--early-data`): far
 * above any real one (a system CA bundle is about 200 KiB, a PKCS#12 at most 1 MiB), and
 * below what would exhaust memory. `--ca /dev/zero` (or a FIFO that never ends) is refused
 * when the limit is reached instead of reading until the process runs out of memory.
 */
const MAX_INPUT_FILE = 64 * 1024 * 1024;
/** Largest `--pass file:` / `--proxy-auth file:` read (only its first line is used). */
const MAX_PASSPHRASE_FILE = 64 * 1024;

/** Why a file could not be read: the file system's message, or the bound's. */
function readError(e: unknown): string {
  return e instanceof TlsError ? (e.detail ?? e.status) : e instanceof Error ? e.message : String(e);
}

/**
 * The bytes of `file`, read to its end but never more than `max` bytes (a device or a pipe
 * has no size to check first).
 * @throws an `ErrnoException` from the file system, or TlsError('InvalidConfig') for a file that is too large
 */
function readFileBounded(file: string, max: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > max) throw new TlsError('InvalidConfig', { detail: `larger than ${max} bytes`, source: 'caller' });
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function readInput(flag: string, file: string): string | Uint8Array {
  let data: Buffer;
  try {
    data = readFileBounded(file, MAX_INPUT_FILE);
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `cannot read --${flag} ${file}: ${readError(e)}`, cause: e, source: 'caller' });
  }
  const text = data.toString('latin1');
  return text.includes('-----BEGIN') ? data.toString('utf8') : new Uint8Array(data);
}

/** A `--cert` that names a PKCS#12 file (by its extension), which holds the key too. */
function isPkcs12File(file: string): boolean {
  return /\.(p12|pfx)$/i.test(file);
}

/**
 * The passphrase of `--pass`, as openssl's `-passin` forms: `pass:TEXT`, `env:VAR`,
 * `file:PATH` (its first line), or the text itself. (On a command line a password is visible
 * to other users' `ps`: prefer `env:` or `file:`.)
 * @throws TlsError('InvalidConfig') for an unset variable or an unreadable file
 */
function readPassphrase(spec: string, flag = 'pass'): string {
  if (spec.startsWith('pass:')) return spec.slice(5);
  if (spec.startsWith('env:')) {
    const v = process.env[spec.slice(4)];
    if (v === undefined) throw new TlsError('InvalidConfig', { detail: `--${flag} ${spec}: the variable is not set`, source: 'caller' });
    return v;
  }
  if (spec.startsWith('file:')) {
    let text: string;
    try {
      text = readFileBounded(spec.slice(5), MAX_PASSPHRASE_FILE).toString('utf8');
    } catch (e) {
      throw new TlsError('InvalidConfig', { detail: `cannot read --${flag} ${spec}: ${readError(e)}`, source: 'caller' });
    }
    return text.split(/\r?\n/)[0]!;
  }
  return spec;
}

/** `--ignore CODE,...`: ignorable codes only; an unknown or fatal code is a usage error (exit 2). */
function parseIgnore(v: string | undefined): CertificateErrorCode[] | undefined {
  const items = list(v);
  if (items === undefined) return undefined;
  if (items.length === 0) throw new UsageError('--ignore needs at least one certificate error code');
  const out: CertificateErrorCode[] = [];
  for (const item of items) {
    const code = ALL_CERTIFICATE_ERRORS.find((c) => c.toLowerCase() === item.toLowerCase());
    if (code === undefined) {
      throw new UsageError(`--ignore: unknown certificate error code '${item}' (ignorable codes: ${IGNORABLE_CERTIFICATE_ERRORS.join(', ')})`);
    }
    if (!IGNORABLE_CERTIFICATE_ERRORS.includes(code)) {
      throw new UsageError(`--ignore: '${code}' is a fatal certificate error and can never be ignored (ignorable codes: ${IGNORABLE_CERTIFICATE_ERRORS.join(', ')})`);
    }
    if (!out.includes(code)) out.push(code);
  }
  return out;
}

/**
 * The `--keylog` sink: NSS key-log lines appended to `file`. The lines are every traffic
 * secret of the connection, so a file this creates is 0600 (as `--sess-out` files are), not
 * the umask's usual 0644 that lets any local user decrypt a capture; an existing file keeps
 * its mode.
 */
function keyLogTo(file: string): (line: string) => void {
  return (line) => {
    try {
      appendFileSync(file, `${line}\n`, { mode: 0o600 });
    } catch (e) {
      process.stderr.write(`puretls: cannot write key log ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  };
}

/** `--crypto NAME`: one of the provider names (issue 9 item 3); anything else is a usage error. */
function parseCryptoFlag(v: string | undefined): CryptoProviderName | undefined {
  if (v === undefined) return undefined;
  const name = CRYPTO_PROVIDER_NAMES.find((n) => n === v.toLowerCase());
  if (name === undefined) throw new UsageError(`--crypto: unknown provider '${v}' (expected ${CRYPTO_PROVIDER_NAMES.join(', ')})`);
  return name;
}

function commonOptions(args: ParsedArgs): ClientOptions & ServerOptions {
  const o: ClientOptions & ServerOptions = {};
  const crypto = parseCryptoFlag(args.strings.get('crypto'));
  if (crypto !== undefined) o.crypto = crypto;
  const minV = args.strings.get('min-version');
  const maxV = args.strings.get('max-version');
  if (minV !== undefined) o.minVersion = minV as ClientOptions['minVersion'];
  if (maxV !== undefined) o.maxVersion = maxV as ClientOptions['maxVersion'];
  const alpn = list(args.strings.get('alpn'));
  if (alpn) o.ALPNProtocols = alpn;
  const groups = list(args.strings.get('groups'));
  if (groups) o.groups = groups;
  const ciphers = list(args.strings.get('ciphers'));
  if (ciphers) o.cipherSuites = ciphers;
  return o;
}

// ------------------------------------------------------------------ output helpers

function uniqueCodes(errors: readonly { code: string }[]): string[] {
  return [...new Set(errors.map((e) => e.code))];
}

interface CertSummary {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
}

function certSummary(der: Uint8Array | null): CertSummary | null {
  if (!der) return null;
  try {
    const c = parseCertificate(der);
    return { subject: c.subject, issuer: c.issuer, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), sha256: c.sha256 };
  } catch {
    return null;
  }
}

function sessionJson(info: ConnectionInfo): Record<string, unknown> {
  return {
    version: info.version,
    cipherSuite: info.cipherSuite,
    group: info.group,
    signatureScheme: info.signatureScheme,
    alpn: info.alpn,
    serverName: info.serverName,
    resumed: info.resumed,
    helloRetryRequest: info.helloRetryRequest,
    provider: info.provider,
    peerCertificate: certSummary(info.peerCertificate),
    peerIntermediates: info.peerIntermediates.length,
    certificateErrors: uniqueCodes(info.certificateErrors),
    certificateErrorDetails: info.certificateErrors.map((e) => ({ code: e.code, index: e.index, detail: e.detail })),
    certificateErrorSeverity: info.certificateErrorSeverity,
  };
}

function errorCertificateErrors(err: TlsError, info: ConnectionInfo | null): readonly { code: string; index: number; detail: string }[] {
  if (err.certificateErrors.length > 0) return err.certificateErrors;
  return info?.certificateErrors ?? [];
}

function errorJson(err: TlsError, info: ConnectionInfo | null): Record<string, unknown> {
  const certErrors = errorCertificateErrors(err, info);
  return {
    error: { status: err.status, alert: err.alert === null ? null : alertName(err.alert), message: err.message },
    certificateErrors: uniqueCodes(certErrors),
    certificateErrorDetails: certErrors.map((e) => ({ code: e.code, index: e.index, detail: e.detail })),
    certificateErrorSeverity: severityOf(certErrors),
    peerCertificate: certSummary(info?.peerCertificate ?? null),
  };
}

function describeError(err: TlsError, info: ConnectionInfo | null): string {
  const lines = [`${err.status}${err.alert === null ? '' : ` (alert ${alertName(err.alert)})`}: ${err.detail ?? err.message}`];
  for (const e of errorCertificateErrors(err, info)) lines.push(`  certificate error: ${e.code} (certificate #${e.index}): ${e.detail}`);
  return lines.join('\n');
}

function describeSession(info: ConnectionInfo): string {
  const cert = certSummary(info.peerCertificate);
  const errs = info.certificateErrors;
  const lines = [
    `version:            ${info.version ?? '-'}`,
    `cipher suite:       ${info.cipherSuite ?? '-'}`,
    `group:              ${info.group ?? '-'}${info.helloRetryRequest ? ' (after HelloRetryRequest)' : ''}`,
    `signature scheme:   ${info.signatureScheme ?? '-'}`,
    `ALPN:               ${info.alpn ?? '(none)'}`,
    `server name:        ${info.serverName ?? '(none)'}`,
    `resumed:            ${info.resumed ? 'yes' : 'no'}`,
    `crypto provider:    ${info.provider}`,
  ];
  if (cert) {
    lines.push(`peer certificate:   ${cert.subject}`, `  issuer:           ${cert.issuer}`, `  valid:            ${cert.notBefore} .. ${cert.notAfter}`, `  sha256:           ${cert.sha256}`);
  } else {
    lines.push('peer certificate:   (none)');
  }
  if (errs.length === 0) lines.push('certificate errors: none');
  else {
    lines.push(`certificate errors: [${uniqueCodes(errs).join(', ')}] severity '${info.certificateErrorSeverity}'`);
    for (const e of errs) lines.push(`  ${e.code} (certificate #${e.index}): ${e.detail}`);
  }
  return lines.join('\n');
}

function traceValue(key: string, v: unknown): unknown {
  // `raw` repeats the whole encoded message: the decoded fields say it better.
  if (key === 'raw') return undefined;
  if (v instanceof Uint8Array) {
    const hex = Buffer.from(v.subarray(0, 32)).toString('hex');
    return v.length > 32 ? `${hex}… (${v.length} bytes)` : hex;
  }
  if (v instanceof Map) return Object.fromEntries(v);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function traceTo(write: (s: string) => void): (e: TraceEvent) => void {
  return (e) => {
    const arrow = e.direction === 'sent' ? '>>>' : '<<<';
    let line = `${arrow} ${e.kind}: ${e.summary}`;
    if (e.message !== undefined) {
      try {
        line += `\n    ${JSON.stringify(e.message, traceValue)}`;
      } catch {
        // not serializable: the summary is enough
      }
    }
    write(`${line}\n`);
  };
}

function toTlsError(e: unknown): TlsError {
  return e instanceof TlsError ? e : mapTransportError(e);
}

/** Writes pending stdout, then exits. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

// ------------------------------------------------------------------ connect

/** `puretls connect` parsed: what to do, and the options for {@link connect}. */
export interface ConnectCommand {
  readonly help: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly keyUpdate: boolean;
  /** Everything but the files (`--ca`, `--cert`, `--key`) and `--keylog` / `--trace`, which {@link connectOptions} adds. */
  readonly options: ConnectOptions;
  readonly files: { readonly ca?: string; readonly caSystem?: boolean; readonly cert?: string; readonly key?: string; readonly keylog?: string; readonly pass?: string; readonly proxyAuth?: string };
  readonly trace: boolean;
  /** `--reconnect N`: connections after the first, each resuming the session of the one before. */
  readonly reconnect: number;
  /** `--sess-out`, `--sess-in`, `--sess-key`, `--early-data`: files, read or written by {@link cmdConnect}. */
  readonly session: { readonly out?: string; readonly in?: string; readonly key?: string; readonly earlyData?: string };
}

/** Largest `--reconnect`. */
const MAX_RECONNECT = 10_000;
/**
 * The connect flags that only `connect` takes (not `bench`, which shares the parser: a
 * proxy in the path would measure the proxy).
 */
const SESSION_FLAGS = ['reconnect', 'sess-out', 'sess-in', 'sess-key', 'early-data', 'proxy', 'proxy-auth'] as const;

/**
 * Parses the arguments of `puretls connect` (no I/O).
 * @throws TlsError('ApiMisuse') (a usage error, exit status 2) for unknown flags, missing or malformed values, naming the flag
 */
export function parseConnectCommand(argv: readonly string[], name: 'connect' | 'bench' = 'connect'): ConnectCommand {
  const args = parseArgs(argv, CONNECT_FLAGS, 'connect');
  const flags = { json: args.booleans.has('json'), quiet: args.booleans.has('quiet'), keyUpdate: args.booleans.has('key-update'), trace: args.booleans.has('trace') };
  if (args.booleans.has('help')) return { help: true, ...flags, options: {}, files: {}, reconnect: 0, session: {} };
  if (name !== 'connect') {
    for (const f of SESSION_FLAGS) if (args.strings.has(f)) throw new UsageError(`option '--${f}' does not apply to ${name}`);
  }
  if (args.positional.length !== 1) throw new UsageError(`${name} needs exactly one HOST:PORT`);
  const reconnectText = args.strings.get('reconnect');
  let reconnect = 0;
  if (reconnectText !== undefined) {
    if (!/^\d+$/.test(reconnectText)) throw new UsageError(`--reconnect: expected a whole number 0..${MAX_RECONNECT}, got '${reconnectText}'`);
    reconnect = Number(reconnectText);
    if (reconnect > MAX_RECONNECT) throw new UsageError(`--reconnect: ${reconnectText} is out of range (0..${MAX_RECONNECT})`);
  }
  const session = { out: args.strings.get('sess-out'), in: args.strings.get('sess-in'), key: args.strings.get('sess-key'), earlyData: args.strings.get('early-data') };
  for (const [flag, v] of [['sess-out', session.out], ['sess-in', session.in], ['sess-key', session.key], ['early-data', session.earlyData]] as const) {
    if (v !== undefined && v.length === 0) throw new UsageError(`--${flag} needs a file name`);
  }
  if (session.key !== undefined && session.out === undefined && session.in === undefined) throw new UsageError('--sess-key goes with --sess-out or --sess-in');
  if (session.out !== undefined && session.key === undefined && session.in !== undefined && session.in !== session.out) {
    throw new UsageError('--sess-in and --sess-out name different files: give --sess-key (one key opens the one and seals the other)');
  }
  if (session.key !== undefined && (session.key === session.out || session.key === session.in)) throw new UsageError('--sess-key must not be the session file');
  const { host, port } = parseHostPort(args.positional[0]!);
  const cert = args.strings.get('cert');
  const key = args.strings.get('key');
  if ((cert === undefined) !== (key === undefined) && !(cert !== undefined && isPkcs12File(cert))) throw new UsageError('--cert and --key go together (or --cert FILE.p12 alone)');
  if (cert !== undefined && key !== undefined && isPkcs12File(cert)) throw new UsageError('--cert FILE.p12 holds the key: no --key');
  const ignore = parseIgnore(args.strings.get('ignore'));
  const options: ConnectOptions = { ...commonOptions(args), ...policyOptions(args, 'connect'), host, port };
  const sn = args.strings.get('servername');
  if (sn !== undefined) options.servername = sn;
  if (ignore) options.ignorableCertificateErrors = ignore;
  const proxyUrl = args.strings.get('proxy');
  const proxyAuth = args.strings.get('proxy-auth');
  if (proxyUrl !== undefined) options.proxy = { url: checkProxyUrl(proxyUrl) };
  else if (proxyAuth !== undefined) throw new UsageError('--proxy-auth goes with --proxy');
  const files: ConnectCommand['files'] = {
    ca: args.strings.get('ca'),
    caSystem: args.booleans.has('ca-system'),
    cert,
    key,
    keylog: args.strings.get('keylog'),
    pass: args.strings.get('pass'),
    ...(proxyAuth !== undefined ? { proxyAuth } : {}),
  };
  return { help: false, ...flags, options, files, reconnect, session };
}

/**
 * `--proxy URL` checked as the Node adapter will take it (src/transport/proxy.ts's
 * `resolveProxy`): `http://[user:pass@]host[:port]` only. The URL may hold credentials:
 * the usage error gives the reason, never the URL.
 * @throws UsageError for a URL the proxy transport refuses
 */
function checkProxyUrl(url: string): string {
  try {
    resolveProxy({ url });
  } catch (e) {
    throw new UsageError(`--proxy: ${e instanceof TlsError ? (e.detail ?? e.status) : 'invalid URL'}`);
  }
  return url;
}

/**
 * `--proxy-auth SPEC`: `USER:PASSWORD` given as for `--pass` (pass:TEXT, env:VAR,
 * file:PATH's first line, or the text), split at the first `:` (RFC 7617 §2: a user name
 * has none). Added to the `proxy` option; credentials also in the URL are refused there.
 * @throws TlsError('InvalidConfig') for an unreadable spec or one without `:`
 */
function proxyCredentials(spec: string): { username: string; password: string } {
  const text = readPassphrase(spec, 'proxy-auth');
  const colon = text.indexOf(':');
  // The text is a secret: not echoed.
  if (colon <= 0) throw new TlsError('InvalidConfig', { detail: '--proxy-auth: expected USER:PASSWORD (a non-empty user name, then a colon)', source: 'caller' });
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The options of a parsed `connect`, with the files read. @throws TlsError('InvalidConfig') for an unreadable file */
function connectOptions(cmd: ConnectCommand): ConnectOptions {
  const options: ConnectOptions = { ...cmd.options };
  if (cmd.files.ca !== undefined) options.ca = readInput('ca', cmd.files.ca);
  if (cmd.files.caSystem === true) {
    // --ca-system: the operating system's store (with --ca: both), read once.
    const system = systemRootCertificates();
    if (system.length === 0) throw new TlsError('InvalidConfig', { detail: '--ca-system: no system trust store found (tls.getCACertificates, SSL_CERT_FILE, /etc/ssl/certs/ca-certificates.crt, ...)', source: 'caller' });
    const own = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca as string | Uint8Array];
    options.ca = [...system, ...own];
  }
  if (cmd.files.pass !== undefined) options.passphrase = readPassphrase(cmd.files.pass);
  if (cmd.files.cert !== undefined && cmd.files.key === undefined && isPkcs12File(cmd.files.cert)) {
    options.pfx = readInput('cert', cmd.files.cert);
  } else if (cmd.files.cert !== undefined && cmd.files.key !== undefined) {
    options.cert = readInput('cert', cmd.files.cert);
    options.key = readInput('key', cmd.files.key);
  }
  if (cmd.files.keylog !== undefined) options.keyLog = keyLogTo(cmd.files.keylog);
  if (cmd.trace) options.trace = traceTo((t) => process.stderr.write(t));
  if (cmd.files.proxyAuth !== undefined && options.proxy !== undefined) options.proxy = { ...options.proxy, ...proxyCredentials(cmd.files.proxyAuth) };
  return options;
}

/**
 * The session key of `--sess-key` (default: `SESSIONFILE.key`): 32 bytes. With `create` (for
 * `--sess-out`) a missing file is made with 32 random bytes, mode 0600, never overwritten.
 *
 * Why a key file: a session file holds the resumption secret and the verdict on the first
 * connection's certificate (a resumed connection reports it, RFC 9846 §2.2), so it is sealed
 * (src/session/serialize.ts). The library's default key lives only as long as its process, so
 * a file written by one `puretls connect` could never be read by the next; a key kept in a
 * file (0600, like an SSH key) persists, can be shared by whoever should resume, and a file
 * sealed under any other key (forged, altered, someone else's) is refused. An environment
 * variable would leak through `/proc/PID/environ` and shell history; a key built in would
 * authenticate nothing.
 *
 * @throws TlsError('InvalidConfig') naming the file: unreadable, not 32 bytes, or not creatable
 */
function sessionKeyFile(file: string, create: boolean): Uint8Array {
  if (create) {
    try {
      writeFileSync(file, defaultRandom(SESSION_KEY_LENGTH), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new TlsError('InvalidConfig', { detail: `cannot create session key ${file}: ${e instanceof Error ? e.message : String(e)}`, cause: e, source: 'caller' });
      }
    }
  }
  let key: Buffer;
  try {
    key = readFileBounded(file, 4096);
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `cannot read session key ${file}: ${readError(e)}`, cause: e, source: 'caller' });
  }
  if (key.length !== SESSION_KEY_LENGTH) throw new TlsError('InvalidConfig', { detail: `session key ${file}: expected ${SESSION_KEY_LENGTH} bytes, found ${key.length}`, source: 'caller' });
  try {
    if ((statSync(file).mode & 0o077) !== 0) process.stderr.write(`puretls: warning: session key ${file} is readable by others (chmod 600 it)\n`);
  } catch {
    // read a moment ago: nothing to add
  }
  return new Uint8Array(key);
}

/** Writes a session file: 0600, through a temporary file and a rename (never half written). */
function writeSessionFile(file: string, blob: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    // The temporary name is predictable: in a shared directory another local user may have made
    // it first, as a symlink to one of our files, which a plain write (and chmod) would follow
    // and clobber. Whatever is there is removed (unlinking a symlink leaves its target alone),
    // then the file is created exclusively (O_CREAT | O_EXCL never follows a link; a name
    // re-made in between fails with EEXIST instead).
    try {
      unlinkSync(tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    writeFileSync(tmp, blob, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `cannot write --sess-out ${file}: ${e instanceof Error ? e.message : String(e)}`, cause: e, source: 'caller' });
  }
}

/** What every connection of one `puretls connect` shares, from {@link connectPlan}. */
interface ConnectPlan {
  /** Options of each connection (with `--reconnect`: a shared `secureContext` and the per-connection options). */
  readonly options: ConnectOptions;
  /** The blob of `--sess-in` (offered by the first connection only). */
  readonly sessionIn: Uint8Array | undefined;
  /** The session key (`--sess-key` / the default key file), when a session file is used. */
  readonly sessionKey: Uint8Array | undefined;
  readonly earlyData: Uint8Array | undefined;
}

/**
 * Reads the files of a parsed `connect` and, with `--reconnect`, builds the one client config
 * (with its session store) every connection shares.
 * @throws TlsError('InvalidConfig') for an unreadable file or invalid options
 */
function connectPlan(cmd: ConnectCommand): ConnectPlan {
  const all = connectOptions(cmd);
  const { out, in: inFile, key } = cmd.session;
  const keyFile = key ?? (out !== undefined ? `${out}.key` : inFile !== undefined ? `${inFile}.key` : undefined);
  const sessionKey = keyFile !== undefined ? sessionKeyFile(keyFile, out !== undefined) : undefined;
  let sessionIn: Uint8Array | undefined;
  if (inFile !== undefined) {
    try {
      sessionIn = new Uint8Array(readFileBounded(inFile, MAX_INPUT_FILE));
    } catch (e) {
      throw new TlsError('InvalidConfig', { detail: `cannot read --sess-in ${inFile}: ${readError(e)}`, cause: e, source: 'caller' });
    }
  }
  let earlyData: Uint8Array | undefined;
  if (cmd.session.earlyData !== undefined) {
    try {
      earlyData = new Uint8Array(readFileBounded(cmd.session.earlyData, MAX_INPUT_FILE));
    } catch (e) {
      throw new TlsError('InvalidConfig', { detail: `cannot read --early-data ${cmd.session.earlyData}: ${readError(e)}`, cause: e, source: 'caller' });
    }
    if (earlyData.length === 0) throw new TlsError('InvalidConfig', { detail: `--early-data ${cmd.session.earlyData} is empty`, source: 'caller' });
  }
  if (cmd.reconnect === 0) return { options: all, sessionIn, sessionKey, earlyData };
  // One config for all connections: its session store (one MemorySessionStore per config) is
  // what lets each connection resume the session of the one before.
  const { host, port, family, socket, servername, ALPNProtocols, keyShareGroups, handshakeTimeout, lingerTimeout, allowHalfOpen, secureContext, ...tls } = all;
  const options: ConnectOptions = { secureContext: secureContext ?? createClientConfig(tls) };
  const keep = { host, port, family, socket, servername, ALPNProtocols, keyShareGroups, handshakeTimeout, lingerTimeout, allowHalfOpen };
  for (const [k, v] of Object.entries(keep)) if (v !== undefined) Object.assign(options, { [k]: v });
  return { options, sessionIn, sessionKey, earlyData };
}

/** One line about connection `n` of `total` (with `--reconnect`). */
function connectionLine(n: number, total: number, info: ConnectionInfo): string {
  return `connection ${n}/${total}: ${info.version ?? '-'} ${info.cipherSuite ?? '-'} resumed=${info.resumed ? 'yes' : 'no'} early-data=${info.earlyData}`;
}

async function cmdConnect(argv: readonly string[]): Promise<number> {
  const cmd = parseConnectCommand(argv);
  if (cmd.help) {
    process.stdout.write(CONNECT_HELP);
    return 0;
  }
  const { json } = cmd;
  const report = (err: TlsError, info: ConnectionInfo | null, extra: Record<string, unknown> = {}): number => {
    if (json) process.stdout.write(`${JSON.stringify({ ...extra, ...errorJson(err, info) })}\n`);
    process.stderr.write(`puretls: error: ${describeError(err, info)}\n`);
    return 1;
  };
  let plan: ConnectPlan;
  try {
    plan = connectPlan(cmd);
  } catch (e) {
    return report(toTlsError(e), null);
  }
  const total = cmd.reconnect + 1;
  const state: ConnectState = { wroteSession: false, writeError: null, latest: plan.sessionIn, offer: plan.sessionIn };
  for (let n = 1; n <= total; n++) {
    const code = await connectOnceCli(cmd, plan, n, total, state, report);
    if (code !== 0) return code;
  }
  if (state.writeError) return report(state.writeError, null);
  if (cmd.session.out !== undefined && !state.wroteSession) process.stderr.write(`puretls: note: the server gave no session: --sess-out ${cmd.session.out} not written\n`);
  return 0;
}

/** What the connections of one `puretls connect` pass on to the next. */
interface ConnectState {
  wroteSession: boolean;
  writeError: TlsError | null;
  /** The latest session blob (from `--sess-in` or the server), sealed under the plan's key. */
  latest: Uint8Array | undefined;
  /** The blob the next connection offers as `session` (else it takes one from the shared store). */
  offer: Uint8Array | undefined;
}

/**
 * Connection `n` of `total`: handshake, summary; the last one relays stdin/stdout, the others
 * close at once (reading what the server sent first, its tickets among it).
 */
function connectOnceCli(
  cmd: ConnectCommand,
  plan: ConnectPlan,
  n: number,
  total: number,
  state: ConnectState,
  report: (err: TlsError, info: ConnectionInfo | null, extra?: Record<string, unknown>) => number,
): Promise<number> {
  const { json, quiet } = cmd;
  const last = n === total;
  const tag = total > 1 ? { connection: n } : {};
  const options: ConnectOptions = { ...plan.options };
  if (plan.sessionKey !== undefined) options.sessionKey = plan.sessionKey;
  if (state.offer !== undefined) options.session = state.offer;
  state.offer = undefined;
  let gotSession = false;
  if (plan.earlyData !== undefined) options.earlyData = plan.earlyData;

  let socket: TlsSocket;
  try {
    socket = connect(options);
  } catch (e) {
    return Promise.resolve(report(toTlsError(e), null, tag));
  }
  const out = cmd.session.out;
  socket.on('session', (blob: Buffer) => {
    gotSession = true;
    state.latest = new Uint8Array(blob);
    if (out !== undefined) {
      try {
        // Sealed under plan.sessionKey (given as sessionKey above): written as it came.
        writeSessionFile(out, blob);
        state.wroteSession = true;
      } catch (e) {
        state.writeError = toTlsError(e);
      }
    }
  });

  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      // A TLS 1.2 session may be resumed again (RFC 5246 §7.3; OpenSSL issues no new ticket on
      // a resumed connection): the next connection offers it again, as `openssl s_client
      // -reconnect` does. A TLS 1.3 ticket is used once (RFC 9846 §8.1, Appendix C.4): the
      // next connection takes only what the server gave (the shared store).
      const info = socket.connection.info;
      if (!gotSession && info.resumed && info.version === 'TLSv1.2') state.offer = state.latest;
      if (last) {
        process.stdin.unpipe(socket);
        process.stdin.pause();
      }
      resolve(code);
    };
    socket.on('error', (e: Error) => {
      const err = toTlsError(e);
      if (!socket.connection.handshakeComplete) finish(report(err, socket.connection.info, tag));
      else {
        process.stderr.write(`puretls: error: ${describeError(err, socket.info)}\n`);
        finish(1);
      }
    });
    socket.once('secureConnect', () => {
      const info = socket.info;
      if (json) {
        process.stdout.write(`${JSON.stringify({ ...tag, ...sessionJson(info), earlyData: info.earlyData })}\n`);
      }
      if (!quiet) {
        if (n === 1) process.stderr.write(`${describeSession(info)}\n`);
        if (total > 1 || plan.earlyData !== undefined || plan.sessionIn !== undefined) process.stderr.write(`${connectionLine(n, total, info)}\n`);
      }
      const relay = (): void => {
        socket.pipe(process.stdout, { end: false });
        if (last) process.stdin.pipe(socket);
        else {
          socket.end();
        }
      };
      if (cmd.keyUpdate) {
        socket.keyUpdate(true).then(
          () => {
            if (!quiet) process.stderr.write('KeyUpdate sent (update_requested)\n');
            relay();
          },
          () => {
            // the error arrives through 'error'
          },
        );
      } else relay();
    });
    if (last) socket.on('end', () => process.stdin.unpipe(socket));
    socket.on('close', () => finish(socket.connection.error || socket.errored ? 1 : 0));
  });
}

// ------------------------------------------------------------------ bench

/** `puretls bench` parsed: the TLS options as for `connect`, and the bench's own settings. */
export interface BenchCommand {
  readonly help: boolean;
  /** Everything `puretls connect` takes (HOST:PORT, trust, versions, suites, groups, policy, --json, --quiet). */
  readonly connect: ConnectCommand;
  readonly settings: BenchSettings;
}

/**
 * Parses the arguments of `puretls bench` (no I/O): the bench's own flags
 * (src/tools/bench.ts), the rest exactly as `puretls connect`'s.
 * @throws TlsError('ApiMisuse') (a usage error, exit status 2) for unknown flags, missing or malformed values, naming the flag
 */
export function parseBenchCommand(argv: readonly string[]): BenchCommand {
  const usage = (detail: string): UsageError => new UsageError(detail);
  const { bench, rest } = splitBenchArgs(argv, usage);
  const connectCmd = parseConnectCommand(rest, 'bench');
  const settings = parseBenchSettings(bench, usage);
  if (connectCmd.help) return { help: true, connect: connectCmd, settings };
  if (connectCmd.trace) throw new UsageError("option '--trace' does not apply to bench");
  if (connectCmd.keyUpdate) throw new UsageError("option '--key-update' does not apply to bench");
  return { help: false, connect: connectCmd, settings };
}

/**
 * The Node adapter as `puretls bench` connects through it: `connect`, and the TLS options
 * built once with `createClientConfig` into the `secureContext` every connection shares
 * (what stays per connection: address, name, ALPN, key shares, the socket's timers).
 */
export const nodeBenchTransport: BenchTransport<ConnectOptions> = {
  connect: (options) => connect(options),
  shareConfig: (options) => {
    const { host, port, family, socket, servername, ALPNProtocols, keyShareGroups, handshakeTimeout, lingerTimeout, allowHalfOpen, secureContext, ...tls } = options;
    // Full handshakes, like `openssl s_time -new`: unless the bench gives its --resume store,
    // the shared config keeps no sessions (the default store would make them resumptions).
    const per: ConnectOptions = { secureContext: secureContext ?? createClientConfig({ sessionStore: false, ...tls }) };
    const keep = { host, port, family, socket, servername, ALPNProtocols, keyShareGroups, handshakeTimeout, lingerTimeout, allowHalfOpen };
    for (const [k, v] of Object.entries(keep)) if (v !== undefined) Object.assign(per, { [k]: v });
    return per;
  },
  toTlsError,
};

async function cmdBench(argv: readonly string[]): Promise<number> {
  const cmd = parseBenchCommand(argv);
  if (cmd.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  return runBench(cmd.settings, () => connectOptions(cmd.connect), nodeBenchTransport, { json: cmd.connect.json, quiet: cmd.connect.quiet }, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    describeError,
    errorJson,
  });
}

// ------------------------------------------------------------------ serve

function hostPortText(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One line about the client certificate for the server log, or '' when none was presented. */
function clientCertText(info: ConnectionInfo): string {
  const cert = certSummary(info.peerCertificate);
  if (!cert) return '';
  const errs = info.certificateErrors.length > 0 ? ` errors=${uniqueCodes(info.certificateErrors).join(',')} (accepted)` : '';
  return ` client-cert="${cert.subject}" issuer="${cert.issuer}"${errs}`;
}

function wwwPage(s: TlsSocket): string {
  const i = s.info;
  const esc = (v: string | null): string => (v ?? '(none)').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const cert = certSummary(i.peerCertificate);
  const certLines = cert
    ? [
        `Client certificate: ${esc(cert.subject)}`,
        `  issuer:  ${esc(cert.issuer)}`,
        `  valid:   ${cert.notBefore} .. ${cert.notAfter}`,
        `  sha256:  ${cert.sha256}`,
        `  errors:  ${i.certificateErrors.length === 0 ? 'none' : esc(uniqueCodes(i.certificateErrors).join(', '))}`,
      ]
    : ['Client certificate: (none)'];
  return [
    '<!DOCTYPE html>',
    '<html><head><title>puretls</title></head><body>',
    '<h1>puretls</h1>',
    '<pre>',
    `Protocol: ${esc(i.version)}`,
    `Cipher:   ${esc(i.cipherSuite)}`,
    `Group:    ${esc(i.group)}`,
    `Sigalg:   ${esc(i.signatureScheme)}`,
    `ALPN:     ${esc(i.alpn)}`,
    `SNI:      ${esc(i.serverName)}`,
    `Resumed:  ${i.resumed ? 'yes' : 'no'}`,
    ...certLines,
    '</pre>',
    '</body></html>',
    '',
  ].join('\n');
}

function serveWww(s: TlsSocket): void {
  let head = '';
  let answered = false;
  s.setEncoding('latin1');
  s.on('data', (d: string) => {
    if (answered) return;
    head += d;
    if (head.length > 64 * 1024) {
      answered = true;
      s.end();
      return;
    }
    if (!/\r?\n\r?\n/.test(head)) return;
    answered = true;
    const body = wwwPage(s);
    s.end(`HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}

/** `puretls serve` parsed: where to listen, what to do with data, and the server options. */
export interface ServeCommand {
  readonly help: boolean;
  readonly port: number;
  readonly host: string;
  readonly mode: 'echo' | 'www' | 'stdout';
  /** Everything but the files (`--cert`, `--key`, `--ca`) and `--keylog`, which {@link serveOptions} adds. */
  readonly options: TlsServerOptions;
  readonly files: { readonly cert: string; readonly key?: string; readonly ca?: string; readonly keylog?: string; readonly pass?: string };
  /** Notes for stderr (flags that have no effect as given). */
  readonly notes: readonly string[];
}

/**
 * Parses the arguments of `puretls serve` (no I/O).
 * @throws TlsError('ApiMisuse') (a usage error, exit status 2) for unknown flags, missing or malformed values, naming the flag
 */
export function parseServeCommand(argv: readonly string[]): ServeCommand {
  const args = parseArgs(argv, SERVE_FLAGS, 'serve');
  if (args.booleans.has('help')) return { help: true, port: 0, host: '', mode: 'stdout', options: {}, files: { cert: '', key: '' }, notes: [] };
  if (args.positional.length > 0) throw new UsageError(`unexpected argument '${args.positional[0]!}'`);
  const portText = args.strings.get('port');
  if (portText === undefined) throw new UsageError('serve needs --port');
  const port = parsePort(portText);
  const host = args.strings.get('host') ?? '127.0.0.1';
  const cert = args.strings.get('cert');
  const key = args.strings.get('key');
  if (cert === undefined || (key === undefined && !isPkcs12File(cert))) throw new UsageError('serve needs --cert and --key (or --cert FILE.p12 alone)');
  if (key !== undefined && isPkcs12File(cert)) throw new UsageError('--cert FILE.p12 holds the key: no --key');
  const echo = args.booleans.has('echo');
  const www = args.booleans.has('www');
  if (echo && www) throw new UsageError('--echo and --www are exclusive');
  const request = args.booleans.has('request-client-cert');
  const requireCc = args.booleans.has('require-client-cert');
  if (request && requireCc) throw new UsageError('--request-client-cert and --require-client-cert are exclusive');
  const ignore = parseIgnore(args.strings.get('ignore'));
  const ca = args.strings.get('ca');
  const notes: string[] = [];
  if (!request && !requireCc && (ca !== undefined || ignore !== undefined)) {
    notes.push('--ca and --ignore apply to client certificates: add --request-client-cert or --require-client-cert');
  }
  const options: TlsServerOptions = { ...commonOptions(args), ...policyOptions(args, 'serve') };
  if (request || requireCc) {
    // Explicit requireCert: the adapter's Node rule (requestCert alone = require) does not apply.
    options.requestCert = true;
    options.requireCert = requireCc;
  }
  if (ignore) options.ignorableCertificateErrors = ignore;
  return { help: false, port, host, mode: echo ? 'echo' : www ? 'www' : 'stdout', options, files: { cert, key, ca, keylog: args.strings.get('keylog'), pass: args.strings.get('pass') }, notes };
}

/** The options of a parsed `serve`, with the files read. @throws TlsError('InvalidConfig') for an unreadable file */
function serveOptions(cmd: ServeCommand): TlsServerOptions {
  const options: TlsServerOptions = { ...cmd.options };
  if (cmd.files.key === undefined) options.pfx = readInput('cert', cmd.files.cert);
  else {
    options.cert = readInput('cert', cmd.files.cert);
    options.key = readInput('key', cmd.files.key);
  }
  if (cmd.files.pass !== undefined) options.passphrase = readPassphrase(cmd.files.pass);
  if (cmd.files.ca !== undefined) options.ca = readInput('ca', cmd.files.ca);
  if (cmd.files.keylog !== undefined) options.keyLog = keyLogTo(cmd.files.keylog);
  return options;
}

async function cmdServe(argv: readonly string[]): Promise<number> {
  const cmd = parseServeCommand(argv);
  if (cmd.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  for (const n of cmd.notes) process.stderr.write(`puretls: note: ${n}\n`);
  const { port, host } = cmd;

  let server;
  try {
    server = createServer(serveOptions(cmd));
  } catch (e) {
    const err = toTlsError(e);
    process.stderr.write(`puretls: error: ${describeError(err, null)}\n`);
    return 1;
  }

  server.on('secureConnection', (s: TlsSocket) => {
    const i = s.info;
    process.stderr.write(
      `connection from ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}: ${i.version ?? '-'} ${i.cipherSuite ?? '-'} ${i.group ?? '-'} alpn=${i.alpn ?? '-'} sni=${i.serverName ?? '-'}${clientCertText(i)}\n`,
    );
    s.on('error', (e: Error) => {
      const err = toTlsError(e);
      process.stderr.write(`connection error: ${err.status}: ${err.message}\n`);
    });
    if (cmd.mode === 'echo') s.pipe(s);
    else if (cmd.mode === 'www') serveWww(s);
    else s.pipe(process.stdout, { end: false });
  });
  server.on('tlsClientError', (e: TlsError, s: TlsSocket | null) => {
    const cert = certSummary(s?.info.peerCertificate ?? null);
    process.stderr.write(`handshake failed: ${describeError(e, s?.info ?? null)}${cert ? `\n  client certificate: ${cert.subject}` : ''}\n`);
  });

  return new Promise<number>((resolve) => {
    server.once('error', (e: Error) => {
      process.stderr.write(`puretls: error: ${describeError(mapTransportError(e), null)}\n`);
      resolve(1);
    });
    server.listen(port, host, () => {
      const addr = server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      process.stdout.write(`listening on ${hostPortText(host, actual)}\n`);
    });
    const stop = (): void => {
      server.close();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

// ------------------------------------------------------------------ demo

function connectOnce(options: ConnectOptions): Promise<{ socket: TlsSocket | null; error: TlsError | null }> {
  return new Promise((resolve) => {
    const socket = connect(options);
    socket.once('secureConnect', () => resolve({ socket, error: null }));
    socket.once('error', (e: Error) => resolve({ socket: null, error: toTlsError(e) }));
  });
}

function closeSocket(s: TlsSocket): Promise<void> {
  return new Promise((resolve) => {
    s.once('close', () => resolve());
    s.on('error', () => resolve());
    s.end();
    s.resume();
  });
}

function exchangeLine(s: TlsSocket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('utf8');
      if (got.includes('\n')) {
        s.off('data', onData);
        s.off('error', reject);
        resolve(got);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(line);
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

async function cmdDemo(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, DEMO_FLAGS);
  if (args.booleans.has('help')) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError(`unexpected argument '${args.positional[0]!}'`);
  const crypto = parseCryptoFlag(args.strings.get('crypto'));
  const withCrypto = crypto !== undefined ? { crypto } : {};
  const out = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };

  out('== generating a test CA and a leaf certificate for localhost, 127.0.0.1, ::1 (ECDSA P-256)');
  const pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1', '::1'] });
  const leaf = parseCertificate(pki.certDer);
  out(`  CA:   ${parseCertificate(pki.caCertDer).subject}`);
  out(`  leaf: ${leaf.subject} (subjectAltName localhost, 127.0.0.1, ::1)`);

  const server = createServer({ cert: pki.chainPem, key: pki.keyPem, ALPNProtocols: ['http/1.1'], ...withCrypto }, (s) => {
    s.on('error', () => {
      // failures are shown on the client side
    });
    s.pipe(s);
  });
  server.on('tlsClientError', () => {
    // the client side reports them
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  out(`== puretls server listening on 127.0.0.1:${port} (echo)`);

  try {
    const base: ConnectOptions = { host: '127.0.0.1', port, ca: pki.caCertPem, ALPNProtocols: ['h2', 'http/1.1'], ...withCrypto };

    out(`\n== 1. connecting with servername 'localhost', trusting the test CA`);
    const first = await connectOnce({ ...base, servername: 'localhost' });
    if (!first.socket) {
      out(indent(describeError(first.error!, null)));
      return 1;
    }
    out(indent(describeSession(first.socket.info)));
    const line = 'hello over puretls\n';
    const echoed = await exchangeLine(first.socket, line);
    out(`  sent:    ${JSON.stringify(line)}`);
    out(`  echoed:  ${JSON.stringify(echoed)}`);
    await closeSocket(first.socket);
    out('  closed cleanly (close_notify both ways)');

    out(`\n== 2. connecting with servername 'wrong.example': the certificate does not match`);
    const second = await connectOnce({ ...base, servername: 'wrong.example' });
    if (second.socket || !second.error) {
      out('  unexpected: the connection succeeded');
      if (second.socket) await closeSocket(second.socket);
      return 1;
    }
    const err = second.error;
    out(`  failed: status ${err.status}, alert ${err.alert === null ? '(none)' : alertName(err.alert)}`);
    out(`  certificate errors: [${uniqueCodes(err.certificateErrors).join(', ')}]`);
    for (const e of err.certificateErrors) out(`    ${e.code} (certificate #${e.index}): ${e.detail}`);

    out(`\n== 3. same name, with ignorableCertificateErrors: ['InvalidName']`);
    const third = await connectOnce({ ...base, servername: 'wrong.example', ignorableCertificateErrors: ['InvalidName'] });
    if (!third.socket) {
      out(indent(describeError(third.error!, null)));
      return 1;
    }
    const ti = third.socket.info;
    out(`  connected: ${ti.version ?? '-'} ${ti.cipherSuite ?? '-'}`);
    out(`  certificateErrors: [${uniqueCodes(ti.certificateErrors).join(', ')}] severity '${ti.certificateErrorSeverity}'`);
    const echoed3 = await exchangeLine(third.socket, 'still encrypted and authenticated\n');
    out(`  echoed:  ${JSON.stringify(echoed3)}`);
    await closeSocket(third.socket);
    out('\n== done');
    return 0;
  } finally {
    server.close();
  }
}

// ------------------------------------------------------------------ main

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'connect':
      return cmdConnect(rest);
    case 'serve':
      return cmdServe(rest);
    case 'demo':
      return cmdDemo(rest);
    case 'bench':
      return cmdBench(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(MAIN_HELP);
      return 0;
    case undefined:
      process.stderr.write(MAIN_HELP);
      return 2;
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

/**
 * True when this module is the program being run (`puretls ...`, `node dist/cli.js ...`),
 * false when it is imported (the tests import the argument parsers).
 */
function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the command line and exits: 0 success, 1 failure, 2 usage error. */
function run(): Promise<void> {
  return main(process.argv.slice(2)).then(
    (code) => exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        process.stderr.write(`puretls: ${e.detail ?? e.message}\nRun 'puretls --help' for usage.\n`);
        exit(2);
        return;
      }
      const err = toTlsError(e);
      process.stderr.write(`puretls: error: ${describeError(err, null)}\n`);
      exit(1);
    },
  );
}

if (isMain()) void run();
