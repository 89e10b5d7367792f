/**
 * `getErrorStatus` (issue 11 item 9) is reachable from every adapter entry, not only from
 * `puretls` and `puretls/node`: a Deno, Bun or Web user classifies what the adapter throws
 * without a second import. Same function everywhere (one status table).
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../src/index.js';
import * as node from '../../src/transport/node.js';
import * as deno from '../../src/transport/deno.js';
import * as bun from '../../src/transport/bun.js';
import * as web from '../../src/transport/web.js';
import { TlsError } from '../../src/base/errors.js';

describe('getErrorStatus from every adapter entry', () => {
  for (const [name, entry] of [['puretls/node', node], ['puretls/deno', deno], ['puretls/bun', bun], ['puretls/web', web]] as const) {
    it(`${name} exports the core getErrorStatus and TlsError`, () => {
      expect(entry.getErrorStatus).toBe(core.getErrorStatus);
      expect(entry.TlsError).toBe(TlsError);
      expect(entry.getErrorStatus(new TlsError('DecodeError'))).toBe('DecodeError');
      // A plain socket error (Node's shape) is classified too.
      expect(entry.getErrorStatus(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('ConnectionRefused');
    });
  }
});
