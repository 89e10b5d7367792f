// A `node:tls` peer for the post-quantum interop tests (test/pq/interop.test.ts), run by
// Node 26 (OpenSSL 3.5) or Bun (BoringSSL), never by the test process itself.
//
//   server: node-tls-peer.mjs server '{"cert":FILE,"key":FILE,"groups":"X25519MLKEM768"}'
//     prints {"listening":PORT}, then echoes every connection and prints one
//     {"accepted":{...}} line per handshake.
//   client: node-tls-peer.mjs client '{"port":N,"ca":FILE,"groups":"...","servername":"localhost"}'
//     sends "ping <groups>", reads the echo, prints {"ok":true,...} or {"ok":false,"error":...}.
//
// `groups` is passed as `ecdhCurve` (a colon-separated list, in order); absent: the peer's default.
import fs from 'node:fs';
import tls from 'node:tls';

const [role, json] = process.argv.slice(2);
const o = JSON.parse(json ?? '{}');
const out = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
const describe = (s) => ({
  protocol: s.getProtocol(),
  cipher: s.getCipher()?.standardName ?? s.getCipher()?.name,
  ephemeral: typeof s.getEphemeralKeyInfo === 'function' ? s.getEphemeralKeyInfo() : null,
});

if (role === 'server') {
  const server = tls.createServer(
    {
      cert: fs.readFileSync(o.cert),
      key: fs.readFileSync(o.key),
      minVersion: 'TLSv1.3',
      ...(o.groups ? { ecdhCurve: o.groups } : {}),
    },
    (s) => {
      out({ accepted: describe(s) });
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
      s.on('error', (e) => out({ socketError: String(e && e.message) }));
    },
  );
  server.on('tlsClientError', (e) => out({ tlsClientError: String(e && e.message) }));
  server.listen(0, '127.0.0.1', () => out({ listening: server.address().port }));
  process.on('SIGTERM', () => process.exit(0));
} else if (role === 'client') {
  const msg = `ping ${o.groups ?? 'default'}`;
  const s = tls.connect({
    host: '127.0.0.1',
    port: o.port,
    servername: o.servername ?? 'localhost',
    ca: fs.readFileSync(o.ca),
    minVersion: 'TLSv1.3',
    ...(o.groups ? { ecdhCurve: o.groups } : {}),
  });
  let got = '';
  const timer = setTimeout(() => {
    out({ ok: false, error: 'timeout' });
    process.exit(1);
  }, 20000);
  s.on('secureConnect', () => s.write(msg));
  s.on('data', (d) => {
    got += d.toString();
    if (got.length >= msg.length) {
      clearTimeout(timer);
      out({ ok: got === msg, ...describe(s) });
      s.end();
      setTimeout(() => process.exit(0), 50);
    }
  });
  s.on('error', (e) => {
    clearTimeout(timer);
    out({ ok: false, error: String(e && e.message) });
    process.exit(1);
  });
} else {
  process.stderr.write('usage: node-tls-peer.mjs server|client JSON\n');
  process.exit(2);
}
