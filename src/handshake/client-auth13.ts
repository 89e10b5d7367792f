/**
 * A TLS 1.3 client's answer to a CertificateRequest when it has a certificate (RFC 9846
 * §4.5.1, §4.5.2, §4.4.2, §4.4.3): its chain and a CertificateVerify. Reached only through
 * the client-certificate part (`ClientParams.answerCertificateRequest13`), so `puretls/client`
 * without its `clientCertificates` or `identity` module carries no signing code (issue 9 item 5).
 *
 * @module
 */
import type { CertifiedKey } from '../config/config.js';
import type { CertificateRequest } from '../wire/messages.js';
import type { Client13 } from './client-tls13.js';
import { ownSigningSchemes, signCertificateVerify13 } from './signatures.js';
import { codeName, sendHashed, type HandshakeOutput } from './state.js';

/**
 * Answers a CertificateRequest with our chain and a CertificateVerify when our key can sign
 * with a scheme the server listed (RFC 9846 §4.3.3), else with an empty Certificate
 * (RFC 9846 §4.5.2). Returns the scheme we signed with, if any.
 */
export async function answerCertificateRequest13(h: Client13, id: CertifiedKey, request: CertificateRequest, out: HandshakeOutput): Promise<string | undefined> {
  const { cfg, transcript } = h;
  const wanted = request.extensions.signatureAlgorithms ?? [];
  const scheme = ownSigningSchemes(cfg, id.key).find((s) => wanted.includes(s));
  if (scheme === undefined) {
    sendHashed(out, transcript, { type: 'certificate', context: request.context, entries: [] });
    return undefined;
  }
  sendHashed(out, transcript, { type: 'certificate', context: request.context, entries: id.chain.map((der) => ({ certData: der, extensions: {} })) });
  const signature = await signCertificateVerify13(cfg, id.key, scheme, transcript.current(), 'client');
  sendHashed(out, transcript, { type: 'certificate_verify', scheme, signature });
  return codeName('scheme', scheme);
}
