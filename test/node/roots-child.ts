/**
 * Child of test/node/roots.test.ts (bundled with esbuild, run under Node 20 and Node 26 with
 * the environment and flags under test): connects to `port` twice with puretls/node and once
 * with node:tls, neither given `ca`, and prints what happened as one JSON line.
 */
import * as nodeTls from 'node:tls';
import { connect } from '../../src/transport/node.js';
import { rootStoreSource } from '../../src/transport/node-roots.js';

const port = Number(process.argv[2]);

function pure(): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost' });
    s.once('secureConnect', () => {
      resolve(s.authorized ? 'authorized' : `unauthorized:${s.authorizationError}`);
      s.destroy();
    });
    s.once('error', (e: Error & { status?: string }) => resolve(e.status ?? e.message));
  });
}

function node(): Promise<string> {
  return new Promise((resolve) => {
    const s = nodeTls.connect({ host: '127.0.0.1', port, servername: 'localhost' });
    s.once('secureConnect', () => {
      resolve(s.authorized ? 'authorized' : `unauthorized:${String(s.authorizationError)}`);
      s.destroy();
    });
    s.once('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
  });
}

const first = await pure();
const second = await pure();
const viaNode = await node();
process.stdout.write(`${JSON.stringify({ first, second, node: viaNode, source: rootStoreSource() })}\n`);
