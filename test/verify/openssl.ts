/**
 * Runs `openssl verify` on certificates, for comparing verdicts with ours.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pemEncode } from '../../src/crypto/pem.js';
import { parseIpAddress } from '../../src/verify/hostname.js';

/** The `openssl` version line, or null when there is no usable openssl on PATH. */
export const OPENSSL_VERSION: string | null = (() => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
})();

export interface OpensslRequest {
  readonly leaf: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly anchors: readonly Uint8Array[];
  readonly serverName?: string;
  readonly time: Date;
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly maxDepth?: number;
  readonly extraArgs?: readonly string[];
}

export interface OpensslVerdict {
  readonly ok: boolean;
  /** X509_V_ERR_* numbers reported (openssl verify continues after some errors). */
  readonly errors: readonly number[];
  readonly output: string;
  readonly args: readonly string[];
}

/**
 * `openssl verify -x509_strict -purpose sslserver|sslclient -partial_chain -auth_level 2
 * -attime T -CAfile anchors [-untrusted intermediates] [-verify_hostname N | -verify_ip A]
 * [-verify_depth D] leaf`.
 *
 * `-partial_chain`: a trust anchor may be any certificate (RFC 5280 §6.1.1 (d): a name and
 * a key), as ours. `-auth_level 2`: 112-bit security (RSA ≥ 2048, no SHA-1), as ours.
 */
export function opensslVerify(req: OpensslRequest): OpensslVerdict {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-verify-'));
  try {
    const pem = (ders: readonly Uint8Array[]) => ders.map((d) => pemEncode('CERTIFICATE', d)).join('');
    writeFileSync(join(dir, 'anchors.pem'), pem(req.anchors));
    writeFileSync(join(dir, 'leaf.pem'), pem([req.leaf]));
    const args = [
      'verify',
      '-x509_strict',
      '-purpose',
      req.usage === 'serverAuth' ? 'sslserver' : 'sslclient',
      '-partial_chain',
      '-auth_level',
      '2',
      '-attime',
      String(Math.floor(req.time.getTime() / 1000)),
      '-CAfile',
      join(dir, 'anchors.pem'),
    ];
    if (req.intermediates.length > 0) {
      writeFileSync(join(dir, 'untrusted.pem'), pem(req.intermediates));
      args.push('-untrusted', join(dir, 'untrusted.pem'));
    }
    if (req.serverName !== undefined) {
      if (parseIpAddress(req.serverName)) args.push('-verify_ip', req.serverName.replace(/^\[|\]$/g, ''));
      else args.push('-verify_hostname', req.serverName);
    }
    if (req.maxDepth !== undefined) args.push('-verify_depth', String(req.maxDepth));
    args.push(...(req.extraArgs ?? []));
    args.push(join(dir, 'leaf.pem'));
    const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 20_000 });
    const output = `${r.stdout}${r.stderr}`;
    const errors = [...output.matchAll(/error (\d+) at \d+ depth lookup/g)].map((m) => Number(m[1]));
    return { ok: r.status === 0 && /: OK\s*$/.test(r.stdout) && errors.length === 0, errors, output, args: args.map((a) => a.replace(dir, '$DIR')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
