/** What main.ts hands a fuzz worker (worker.ts). */
export interface WorkerConfig {
  target: string;
  seconds: number;
  seed: number;
  coverage: boolean;
  srcDir: string;
  corpusDir: string | null;
  slowMs: number;
  /** Re-run only these inputs (hex) and report, instead of fuzzing. */
  replay: string[] | null;
  /** With replay: shrink each input while it still gives a finding of the same kind. */
  minimize: boolean;
  /** [running i32, length i32, start time f64, input bytes...]: read by main.ts when an input hangs. */
  shared: SharedArrayBuffer;
  /** Handshake scripts recorded once by main.ts (lib/script.ts recordScripts), or null. */
  recorded: { client: Uint8Array[]; server: Uint8Array[]; clientWire: Uint8Array[]; serverWire: Uint8Array[] } | null;
}

/** Largest input copied to shared memory for the watchdog. */
export const SHARED_INPUT_MAX = 512 * 1024;
