/** Counters of a running {@link startWsBridge} bridge. */
export interface WsBridgeStats {
  /** WebSockets accepted so far. */
  sockets: number;
  /** WebSockets currently joined to a TCP connection. */
  open: number;
  /** Bytes carried from the WebSockets to TCP. */
  toTcp: number;
  /** Bytes carried from TCP to the WebSockets. */
  toWs: number;
}

/** A running WebSocket-to-TCP bridge. */
export interface WsBridge {
  /** `ws://127.0.0.1:PORT/`: the address a page opens. */
  readonly url: string;
  readonly port: number;
  readonly stats: WsBridgeStats;
  /** Ends every joined connection and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startWsBridge}. */
export interface WsBridgeOptions {
  /** The TCP server each WebSocket is joined to (a loopback host, default 127.0.0.1). */
  target: { host?: string; port: number };
  /** Listen address (loopback only; default 127.0.0.1). */
  host?: string;
  /** Listen port (default: one the OS picks). */
  port?: number;
  /** Largest WebSocket message accepted (default 1 MiB). */
  maxPayload?: number;
}

/** Starts a bridge: each WebSocket accepted becomes one TCP connection to `target`. */
export function startWsBridge(options: WsBridgeOptions): Promise<WsBridge>;

/** A Node-side WebSocket client of the bridge (for tests). */
export interface WsTestClient {
  /** Binary messages received so far, in order. */
  readonly received: Uint8Array[];
  /** Resolves with the close code once the WebSocket is closed (by either side). */
  readonly closed: Promise<{ code: number }>;
  /** Sends a binary message (a string is sent as a text frame). */
  send(data: Uint8Array | string): Promise<void>;
  /** Closes with 1000. */
  close(): void;
  readonly bufferedAmount: number;
}

/** Opens a WebSocket to `url` from Node (resolves once open); `onMessage` may answer a message at once. */
export function connectWs(url: string, options?: { onMessage?: (data: Uint8Array) => Uint8Array | undefined }): Promise<WsTestClient>;
