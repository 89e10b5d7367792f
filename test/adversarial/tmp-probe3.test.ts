import { it } from 'vitest';
import { proxyConnectStreams, resolveProxy } from '../../src/transport/proxy.js';
it('probe', async () => {
  const un: unknown[] = [];
  process.on('unhandledRejection', (e) => un.push(e));
  // silent readable, timeout
  const silent = { readable: new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) }), writable: new WritableStream<Uint8Array>() };
  const e1 = await proxyConnectStreams(silent, resolveProxy({ url: 'http://p:1', timeout: 100 }), { host: 'h', port: 1 }).catch((e) => e);
  console.log('SILENT', e1?.constructor?.name, e1?.status, e1?.message, 'locked after:', silent.readable.locked, silent.writable.locked);
  // never-resolving write
  const stuck = { readable: new ReadableStream<Uint8Array>(), writable: new WritableStream<Uint8Array>({ write: () => new Promise(() => undefined) }) };
  const e2 = await proxyConnectStreams(stuck, resolveProxy({ url: 'http://p:1', timeout: 100 }), { host: 'h', port: 1 }).catch((e) => e);
  console.log('STUCKWRITE', e2?.constructor?.name, e2?.status, e2?.message, 'locked after:', stuck.readable.locked, stuck.writable.locked);
  // ArrayBuffer chunks
  const ab = { readable: new ReadableStream<any>({ start(c) { c.enqueue(new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n').buffer); c.close(); } }), writable: new WritableStream<Uint8Array>() };
  const e3 = await proxyConnectStreams(ab, resolveProxy({ url: 'http://p:1', timeout: 300 }), { host: 'h', port: 1 }).catch((e) => e);
  console.log('ARRAYBUFFER', e3?.constructor?.name, e3?.status, e3?.message);
  const str = { readable: new ReadableStream<any>({ start(c) { c.enqueue('HTTP/1.1 200 OK\r\n\r\n'); } }), writable: new WritableStream<Uint8Array>() };
  const e4 = await proxyConnectStreams(str, resolveProxy({ url: 'http://p:1', timeout: 300 }), { host: 'h', port: 1 }).catch((e) => e);
  console.log('STRING', e4?.constructor?.name, e4?.status, e4?.message);
  // readable errors
  const err = { readable: new ReadableStream<any>({ start(c) { c.error(Object.assign(new Error('reset'), { code: 'ECONNRESET' })); } }), writable: new WritableStream<Uint8Array>() };
  const e5 = await proxyConnectStreams(err, resolveProxy({ url: 'http://p:1', timeout: 300 }), { host: 'h', port: 1 }).catch((e) => e);
  console.log('ERRORED', e5?.constructor?.name, e5?.status, e5?.message);
  // writable errors
  const werr = { readable: new ReadableStream<any>(), writable: new WritableStream<Uint8Array>({ write() { throw new Error('broken pipe'); } }) };
  const e6 = await proxyConnectStreams(werr, resolveProxy({ url: 'http://p:1', timeout: 300 }), { host: 'h', port: 1 }).catch((e) => e);
  console.log('WERRORED', e6?.constructor?.name, e6?.status, e6?.message);
  await new Promise((r) => setTimeout(r, 300));
  console.log('UNHANDLED', un.map(String));
});
