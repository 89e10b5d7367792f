// A Deno TLS peer (rustls) for the post-quantum interop tests (test/pq/interop-bun-deno.test.ts):
// Deno.listenTls / Deno.connectTls with Deno's defaults (no way to pin a key-exchange group).
//
//   deno run --allow-net --allow-read deno-tls-peer.mjs server '{"cert":FILE,"key":FILE}'
//     prints {"listening":PORT}, echoes every connection, prints {"accepted":true} per handshake.
//   deno run --allow-net --allow-read deno-tls-peer.mjs client '{"port":N,"ca":FILE}'
//     connects to 127.0.0.1 (the leaf names the address), sends a line, reads the echo,
//     prints {"ok":true} or {"ok":false,"error":...}.
const [role, json] = Deno.args;
const o = JSON.parse(json ?? '{}');
const out = (v) => console.log(JSON.stringify(v));

if (role === 'server') {
  const listener = Deno.listenTls({ hostname: '127.0.0.1', port: 0, cert: Deno.readTextFileSync(o.cert), key: Deno.readTextFileSync(o.key) });
  out({ listening: listener.addr.port });
  for await (const conn of listener) {
    (async () => {
      try {
        await conn.handshake();
        out({ accepted: true });
        const buf = new Uint8Array(4096);
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          await conn.write(buf.subarray(0, n));
        }
      } catch (e) {
        out({ socketError: String(e?.message ?? e) });
      } finally {
        try {
          conn.close();
        } catch {
          // closed already
        }
      }
    })();
  }
} else if (role === 'client') {
  const timer = setTimeout(() => {
    out({ ok: false, error: 'timeout' });
    Deno.exit(1);
  }, 20000);
  try {
    const conn = await Deno.connectTls({ hostname: '127.0.0.1', port: o.port, caCerts: [Deno.readTextFileSync(o.ca)] });
    const hs = await conn.handshake();
    const msg = new TextEncoder().encode('ping deno');
    await conn.write(msg);
    const buf = new Uint8Array(64);
    let got = 0;
    while (got < msg.length) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    clearTimeout(timer);
    out({ ok: new TextDecoder().decode(buf.subarray(0, got)) === 'ping deno', alpn: hs?.alpnProtocol ?? null });
    conn.close();
  } catch (e) {
    clearTimeout(timer);
    out({ ok: false, error: String(e?.message ?? e) });
    Deno.exit(1);
  }
} else {
  console.error('usage: deno-tls-peer.mjs server|client JSON');
  Deno.exit(2);
}
