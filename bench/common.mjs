// What the bench scripts that fork a child process per side share (load.mjs, slowloris.mjs,
// soak.mjs): their command-line options, the role of this process, a full GC, and sending to
// the parent.

const args = process.argv.slice(2);

/** The value after `--name` on the command line, or `dflt`. */
export const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};

/** 'main' for the process that was started; a forked child's role (`--role server`, ...). */
export const ROLE = opt('role', 'main');

/** Two full collections (a no-op without --expose-gc). */
export function fullGc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

/** Sends `msg` to the parent process; resolves once it has been handed over. */
export function send(msg) {
  return new Promise((resolve) => process.send(msg, () => resolve()));
}
