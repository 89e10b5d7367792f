#!/usr/bin/env node
// Captures real handshakes between OpenSSL 3.0 (s_client/s_server), GnuTLS (gnutls-cli /
// gnutls-serv) and Node's tls, every client against every server, TLS 1.2 and 1.3, through
// a recording relay, into vectors/fuzz/handshakes/ (see README.md). Everything runs inside
// a private network namespace (unshare -n, loopback only): gnutls-serv binds every interface.
//
//   node vectors/fuzz/capture.mjs      (as root, with openssl, gnutls-bin, iproute2)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!process.argv.includes('--inside')) {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${fileURLToPath(import.meta.url)}" --inside`], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const pki = (f) => path.join(here, 'pki', f);
const out = path.join(here, 'handshakes');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const chainFile = path.join(out, '.chain.pem');
fs.writeFileSync(chainFile, fs.readFileSync(pki('server-ec.pem'), 'utf8') + fs.readFileSync(pki('int.pem'), 'utf8'));
const REQUEST = 'GET / HTTP/1.0\r\n\r\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = [];

function run(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'], ...opts });
  p.stdin.on('error', () => {});
  started.push(p);
  return p;
}
function stop(p) {
  if (p && p.exitCode === null && p.pid) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {}
  }
}

async function waitPort(port) {
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

const servers = {
  openssl: (port, v) => run('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', pki('server-ec.pem'), '-key', pki('server-ec.key'), '-cert_chain', pki('int.pem'), v === '13' ? '-tls1_3' : '-tls1_2', '-www', '-status_file', path.join(here, 'ocsp', 'good.der')]),
  gnutls: (port, v) => run('gnutls-serv', ['-p', String(port), '--x509certfile', chainFile, '--x509keyfile', pki('server-ec.key'), '--http', '--priority', `NORMAL:-VERS-ALL:+VERS-TLS1.${v === '13' ? '3' : '2'}`]),
  node: (port, v) => {
    const s = tls.createServer({ cert: fs.readFileSync(chainFile), key: fs.readFileSync(pki('server-ec.key')), minVersion: `TLSv1.${v[1]}`, maxVersion: `TLSv1.${v[1]}`, ALPNProtocols: ['http/1.1'] }, (c) => {
      c.on('data', () => c.end('HTTP/1.0 200 OK\r\n\r\nhello\n'));
      c.on('error', () => {});
    });
    s.listen(port, '127.0.0.1');
    return { close: () => s.close(), exitCode: null, pid: 0 };
  },
};

const clients = {
  openssl: (port, v, keylog) => {
    const p = run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki('ca.pem'), v === '13' ? '-tls1_3' : '-tls1_2', '-status', '-alpn', 'http/1.1', '-keylogfile', keylog]);
    p.stdin.write(REQUEST);
    setTimeout(() => p.stdin.end(), 1200);
    return p;
  },
  gnutls: (port, v, keylog) => {
    const p = run('gnutls-cli', ['-p', String(port), '127.0.0.1', '--sni-hostname', 'localhost', '--x509cafile', pki('ca.pem'), '--verify-hostname', 'localhost', '--priority', `NORMAL:-VERS-ALL:+VERS-TLS1.${v === '13' ? '3' : '2'}`], { env: { ...process.env, SSLKEYLOGFILE: keylog } });
    p.stdin.write(REQUEST);
    setTimeout(() => p.stdin.end(), 1200);
    return p;
  },
  node: (port, v, keylog) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(pki('ca.pem')), minVersion: `TLSv1.${v[1]}`, maxVersion: `TLSv1.${v[1]}`, ALPNProtocols: ['h2', 'http/1.1'], requestOCSP: true });
    s.on('keylog', (line) => fs.appendFileSync(keylog, line));
    s.on('secureConnect', () => s.write(REQUEST));
    s.on('error', () => {});
    setTimeout(() => s.end(), 1200);
    return { exitCode: null, pid: 0, close: () => s.destroy() };
  },
};

/** A relay that records each direction. */
function relay(listenPort, targetPort) {
  const rec = { c2s: [], s2c: [] };
  const srv = net.createServer((a) => {
    const b = net.connect(targetPort, '127.0.0.1');
    a.on('data', (d) => {
      rec.c2s.push(d);
      b.write(d);
    });
    b.on('data', (d) => {
      rec.s2c.push(d);
      a.write(d);
    });
    const end = () => {
      a.destroy();
      b.destroy();
    };
    a.on('close', end);
    b.on('close', end);
    a.on('error', end);
    b.on('error', end);
  });
  srv.listen(listenPort, '127.0.0.1');
  return { rec, close: () => srv.close() };
}

/** Plaintext handshake messages of a byte stream (records of type 22 before any CCS / encryption). */
function plainMessages(bytes) {
  const msgs = [];
  let hs = Buffer.alloc(0);
  for (let p = 0; p + 5 <= bytes.length; ) {
    const type = bytes[p];
    const len = bytes.readUInt16BE(p + 3);
    if (type === 20 || type === 23) break;
    if (type === 22) hs = Buffer.concat([hs, bytes.subarray(p + 5, p + 5 + len)]);
    p += 5 + len;
  }
  for (let p = 0; p + 4 <= hs.length; ) {
    const len = hs.readUIntBE(p + 1, 3);
    if (p + 4 + len > hs.length) break;
    msgs.push(hs.subarray(p, p + 4 + len));
    p += 4 + len;
  }
  return msgs;
}

let port = 20000;
const summary = [];
for (const v of ['12', '13']) {
  for (const sName of Object.keys(servers)) {
    for (const cName of Object.keys(clients)) {
      const sp = port++;
      const rp = port++;
      const server = servers[sName](sp, v);
      if (!(await waitPort(sp))) {
        summary.push(`${cName}->${sName} tls${v}: server did not start`);
        stop(server);
        server.close?.();
        continue;
      }
      const r = relay(rp, sp);
      const base = `${cName}-to-${sName}-tls${v}`;
      const keylog = path.join(out, `${base}.keylog`);
      const client = clients[cName](rp, v, keylog);
      await sleep(2500);
      stop(client);
      client.close?.();
      stop(server);
      server.close?.();
      r.close();
      const c2s = Buffer.concat(r.rec.c2s);
      const s2c = Buffer.concat(r.rec.s2c);
      if (c2s.length === 0 || s2c.length === 0) {
        summary.push(`${base}: nothing captured`);
        continue;
      }
      fs.writeFileSync(path.join(out, `${base}.c2s.bin`), c2s);
      fs.writeFileSync(path.join(out, `${base}.s2c.bin`), s2c);
      let i = 0;
      for (const m of [...plainMessages(c2s), ...plainMessages(s2c)]) fs.writeFileSync(path.join(out, `${base}.${String(i++).padStart(2, '0')}-type${m[0]}.msg.hex`), m.toString('hex') + '\n');
      summary.push(`${base}: ${c2s.length} bytes c2s, ${s2c.length} bytes s2c, ${i} plaintext handshake messages`);
    }
  }
}
for (const p of started) stop(p);
fs.rmSync(chainFile, { force: true });
fs.writeFileSync(path.join(out, 'SUMMARY.txt'), summary.join('\n') + '\n');
console.log(summary.join('\n'));
process.exit(0);
