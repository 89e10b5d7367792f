#!/usr/bin/env node
/**
 * Records vectors/tls12/openssl-capture.json: the plaintext handshake messages of one
 * TLS 1.2 handshake between Node's `tls` client and server (OpenSSL inside), on loopback
 * through a recording proxy, with ALPN, SNI, a stapled (dummy) OCSP response and session
 * tickets, so that the TLS 1.2 codecs can be tested on bytes a real stack wrote.
 * The certificate is a throwaway self-signed ECDSA P-256 one made with `openssl req`.
 *
 * Usage: node vectors/tls12/capture.mjs   (from the repository root)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const OUT = fileURLToPath(new URL('./openssl-capture.json', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'puretls-capture-'));
const keyFile = path.join(dir, 'key.pem');
const certFile = path.join(dir, 'cert.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
const key = readFileSync(keyFile);
const cert = readFileSync(certFile);
rmSync(dir, { recursive: true, force: true });

const OCSP = Buffer.from('3003 0a01 01'.replace(/ /g, ''), 'hex'); // OCSPResponse { responseStatus malformedRequest(1) }: a syntactically valid dummy

const server = tls.createServer({ key, cert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ALPNProtocols: ['h2', 'http/1.1'], SNICallback: (_n, cb) => cb(null, tls.createSecureContext({ key, cert })) }, (s) => {
  s.on('data', (d) => s.write(d));
  s.on('error', () => undefined);
});
server.on('OCSPRequest', (_c, _i, cb) => cb(null, OCSP));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const up = [];
const down = [];
const proxy = net.createServer((c) => {
  const u = net.connect(server.address().port, '127.0.0.1');
  c.on('data', (d) => (up.push(Buffer.from(d)), u.write(d)));
  u.on('data', (d) => (down.push(Buffer.from(d)), c.write(d)));
  c.on('end', () => u.end());
  u.on('end', () => c.end());
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const client = tls.connect({ port: proxy.address().port, host: '127.0.0.1', servername: 'localhost', ca: cert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ALPNProtocols: ['h2'], requestOCSP: true, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
await new Promise((resolve, reject) => (client.once('secureConnect', resolve), client.once('error', reject)));
client.write('ping');
await new Promise((r) => client.once('data', r));
client.end();
await new Promise((r) => client.once('close', r));
proxy.close();
server.close();

function messages(stream) {
  let hs = Buffer.alloc(0);
  for (let o = 0; o < stream.length; ) {
    const type = stream[o];
    const len = stream.readUInt16BE(o + 3);
    if (type === 20) break; // ChangeCipherSpec: the rest is protected
    if (type === 22) hs = Buffer.concat([hs, stream.subarray(o + 5, o + 5 + len)]);
    o += 5 + len;
  }
  const out = [];
  for (let o = 0; o < hs.length; ) {
    const len = (hs[o + 1] << 16) | (hs[o + 2] << 8) | hs[o + 3];
    out.push(hs.subarray(o, o + 4 + len).toString('hex'));
    o += 4 + len;
  }
  return out;
}
const NAMES = { 1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket', 11: 'Certificate', 12: 'ServerKeyExchange', 13: 'CertificateRequest', 14: 'ServerHelloDone', 16: 'ClientKeyExchange', 22: 'CertificateStatus' };
const named = (list) => list.map((hex) => ({ message: NAMES[parseInt(hex.slice(0, 2), 16)] ?? hex.slice(0, 2), hex }));
const doc = {
  source: `Captured from Node ${process.version} tls (${process.versions.openssl ? `OpenSSL ${process.versions.openssl}` : 'OpenSSL'}) on loopback by vectors/tls12/capture.mjs: TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, SNI localhost, ALPN h2, status_request with a dummy stapled OCSP response (30030a0101), session tickets; throwaway self-signed P-256 certificate`,
  clientToServer: named(messages(Buffer.concat(up))),
  serverToClient: named(messages(Buffer.concat(down))),
};
writeFileSync(OUT, JSON.stringify(doc, null, 2) + '\n');
console.log(`wrote ${OUT}:`, doc.clientToServer.map((m) => m.message), doc.serverToClient.map((m) => m.message));
