// Forking bench/child.mjs and talking to it over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../child.mjs', import.meta.url));

/** A forked child in `role`; `await c.next(type)` gives its next message of that type. */
export function spawnChild(role, { gc = false } = {}) {
  // BENCH_CHILD_ARGS (space-separated Node flags) profiles the child, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p'.
  const extra = process.env.BENCH_CHILD_ARGS ? process.env.BENCH_CHILD_ARGS.split(' ').filter(Boolean) : [];
  const proc = fork(CHILD, ['--role', role], { execArgv: [...(gc ? ['--expose-gc'] : []), ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue = [];
  const waiters = [];
  let exitError = null;
  const deliver = () => {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      if (exitError) {
        waiters.splice(i--, 1);
        w.reject(exitError);
        continue;
      }
      const j = queue.findIndex((m) => m.type === w.type);
      if (j >= 0) {
        waiters.splice(i--, 1);
        w.resolve(queue.splice(j, 1)[0]);
      }
    }
  };
  proc.on('message', (m) => {
    queue.push(m);
    deliver();
  });
  proc.on('exit', (code, signal) => {
    exitError = new Error(`child ${role} exited (${signal ?? code})`);
    deliver();
  });
  return {
    proc,
    send: (m) => proc.send(m),
    next: (type) =>
      new Promise((resolve, reject) => {
        waiters.push({ type, resolve, reject });
        deliver();
      }),
    /** Asks the child to exit and waits for it. */
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      try {
        proc.send({ type: 'exit' });
      } catch {
        proc.kill();
      }
      const t = setTimeout(() => proc.kill(), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * The serialisable form of a provider's `crypto` option: its name, or where the child finds
 * the provider object ('@nobleProvider', or '@module:crypto/x.js#xProvider', relative to the dist folder).
 */
export const optionForChild = (p) => (typeof p.option === 'string' ? p.option : p.module ? `@module:${p.module}` : '@nobleProvider');
