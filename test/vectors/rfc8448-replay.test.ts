import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { decodeHandshakeBytes } from '../../src/wire/handshake.js';
import { fromHex } from '../helpers/hash-provider.js';
const load = (n: string) => JSON.parse(readFileSync(new URL(`../../vectors/rfc8448/${n}`, import.meta.url), 'utf8'));
it('dump', () => {
  const s3 = load('simple-1rtt.json'); const s5 = load('hrr.json');
  const rep = (k: string, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : k === 'raw' ? undefined : v);
  for (const [n, m] of [['s3 ch', s3.messages.clientHello], ['s3 sh', s3.messages.serverHello], ['s3 ee', s3.messages.encryptedExtensions], ['s3 nst', s3.messages.newSessionTicket], ['s5 ch1', s5.messages.clientHello1], ['s5 hrr', s5.messages.helloRetryRequest], ['s5 ch2', s5.messages.clientHello2], ['s5 sh', s5.messages.serverHello], ['s5 ee', s5.messages.encryptedExtensions]]) {
    console.log(n, JSON.stringify(decodeHandshakeBytes(fromHex(m)), rep));
  }
});
