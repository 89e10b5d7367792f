/**
 * `puretls/deno` under the real Deno 2.9 (npm devDependency `deno`): the interop matrix of
 * runtime-matrix.ts plus Deno-specific cases (root store permission, transport statuses).
 */
import { describe } from 'vitest';
import { runtimeMatrix } from './runtime-matrix.js';

describe('puretls/deno', () => {
  runtimeMatrix('deno');
});
