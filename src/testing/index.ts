/**
 * puretls/testing: what tests need and production must not carry.
 *
 * - Test PKI generation ({@link generateTestPki}): a CA, intermediates and a leaf, good or
 *   deliberately bad, made with Web Crypto.
 * - Message hooks ({@link withTestHooks}): a connection that rewrites its ClientHello,
 *   EncryptedExtensions or HelloRetryRequest before encoding them, to play a peer that
 *   breaks the rules or to replay a published trace.
 * - Determinism: {@link seededRandom} for the `random` option and {@link fixedClock} for
 *   `now`; with both, a connection sends the same bytes every time.
 * - The fault-injection harness: {@link createPair} (a client and a server in memory),
 *   {@link FaultPipe} (the transport between them, which can fragment, coalesce, delay,
 *   drop, duplicate, reorder, corrupt and truncate records or bytes either way, at planned
 *   positions or where a seeded PRNG puts them), {@link FaultLane} (one damaged direction,
 *   over any byte stream), {@link pump} and {@link feed} (plain driving).
 * - Record and replay: {@link record} a connection's calls and bytes, {@link replay} them
 *   against a fresh connection and get a {@link ReplayMismatch} at the first differing byte.
 *
 * fast-check arbitraries for options and faults are in `puretls/testing/arbitraries` (it
 * needs fast-check, an optional peer dependency; this module does not).
 *
 * The runtime-neutral entry (`puretls`) does not import this module, and this module
 * imports no `node:` module either, so it runs wherever the engine runs.
 *
 * @module
 */
export { generateTestPki } from '../verify/generate.js';
export type { TestPki, TestPkiOptions, TestKeyType, TestPkiVariant } from '../verify/generate.js';
export { withTestHooks } from './hooks.js';
export type { ClientTestHooks, ServerTestHooks, ClientHelloHook, EncryptedExtensionsHook, HelloRetryRequestHook } from '../handshake/test-hooks.js';
export type { ClientHello, ClientHelloExtensions, EeExtensions, HelloRetryRequestExtensions, ExtensionBlock, KeyShareEntry, OfferedPsks, PskIdentity, RawExtension } from '../wire/messages.js';
export { seededRandom, fixedClock, seededNumbers } from './random.js';
export { chunker } from './chunk.js';
export type { Chunker, ChunkPlan } from './chunk.js';
export { StallError, feed, readAll } from './endpoint.js';
export type { PipeEndpoint } from './endpoint.js';
export { FaultLane, FAULT_KINDS, TIMING_FAULTS, DAMAGING_FAULTS } from './fault.js';
export type { Direction, Fault, FaultKind, FaultUnit, FaultPlan, RandomFaults, LaneOutput, Segment, SegmentCut } from './fault.js';
export { FaultPipe, pump, splitRecords } from './pipe.js';
export type { FaultPipeOptions, ChunkOption, ReadPolicy, Tamper, SentRecord, PumpOptions } from './pipe.js';
export { createPair } from './pair.js';
export type { Pair, PairOptions } from './pair.js';
export { record, replay, ReplayMismatch, encodeRecording, decodeRecording } from './recording.js';
export type { Recording, RecordedCall, Recorder } from './recording.js';
