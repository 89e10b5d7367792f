/**
 * The README recipes (issue 11 item 4), run against real servers started here: `pg` over
 * puretls to PostgreSQL 15 (`pg_stat_ssl` shows our version and suite), `ioredis` over
 * puretls to `redis-server --tls-port`, `mqtt` over puretls to Mosquitto. Each library is
 * handed `puretls/node`'s `node:tls`-shaped default export the way the README shows. A
 * server whose binary is absent skips its block, saying which.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls, { TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { haveMosquitto, havePostgres, haveRedis, startMosquitto, startPostgres, startRedis, type RunningServer } from './servers.js';

const require = createRequire(import.meta.url);

/** What these tests use of `pg` (it ships no types). */
interface PgModule {
  Client: new (config: Record<string, unknown>) => {
    connect(): Promise<void>;
    query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
    end(): Promise<void>;
  };
}
let pki: TestPki;

beforeAll(async () => {
  pki = await generateTestPki({ names: ['localhost', '127.0.0.1'], caName: 'Recipes Test CA' });
});

describe.skipIf(!havePostgres)(`PostgreSQL 15 with pg${havePostgres ? '' : ' (skipped: /usr/lib/postgresql/15/bin/postgres absent)'}`, () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startPostgres(pki);
  }, 90_000);
  afterAll(async () => server?.stop());

  it('pg connects through puretls; pg_stat_ssl shows our version and suite (TLS 1.3 and 1.2)', async () => {
    // --- recipe (README "PostgreSQL with pg") ---
    const pg = require('pg') as PgModule;
    // pg dials, sends SSLRequest, then calls getSecureStream({ socket, host, ...ssl }): hand it puretls.
    (require('pg/lib/stream.js') as { getSecureStream: (o: object) => unknown }).getSecureStream = tls.connect;
    // --- end recipe ---
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', ssl: { ca: pki.caCertPem, maxVersion } });
      await client.connect();
      const { rows } = await client.query('SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      const stream = (client as unknown as { connection: { stream: unknown } }).connection.stream;
      expect(stream).toBeInstanceOf(TlsSocket);
      const s = stream as TlsSocket;
      expect(s.authorized).toBe(true);
      expect(rows[0]).toEqual({ ssl: true, version: s.info.version, cipher: s.getCipher()!.name });
      expect(rows[0]!.version).toBe(maxVersion);
      const { rows: sum } = await client.query('SELECT sum(x)::int AS total FROM generate_series(1, 10000) AS x');
      expect(sum[0]!.total).toBe(50005000);
      await client.end();
    }
  });

  it('an untrusted server certificate fails the pg connection with our status', async () => {
    const pg = require('pg') as PgModule;
    const other = await generateTestPki({ caName: 'Not The Recipes CA' });
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', ssl: { ca: other.caCertPem } });
    await expect(client.connect()).rejects.toMatchObject({ status: 'CertificateUntrusted' });
  });
});

describe.skipIf(!haveRedis)(`Redis with ioredis${haveRedis ? '' : ' (skipped: redis-server absent)'}`, () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startRedis(pki);
  }, 60_000);
  afterAll(async () => server?.stop());

  it('ioredis talks to redis-server over puretls (SET/GET, a pipeline, 1 MiB value)', async () => {
    // --- recipe (README "Redis with ioredis") ---
    const { default: Redis } = (await import('ioredis')) as unknown as { default: typeof import('ioredis').default };
    const options = { host: '127.0.0.1', port: server.port, ca: pki.caCertPem };
    class PuretlsConnector {
      stream?: TlsSocket;
      connecting = false;
      connect(): Promise<TlsSocket> {
        this.connecting = true;
        return Promise.resolve((this.stream = tls.connect(options)));
      }
      check(): boolean {
        return true;
      }
      disconnect(): void {
        this.connecting = false;
        this.stream?.end();
      }
    }
    const redis = new Redis({ Connector: PuretlsConnector as never, lazyConnect: true, maxRetriesPerRequest: 1 });
    // --- end recipe ---
    await redis.connect();
    expect(await redis.set('greeting', 'hello over puretls')).toBe('OK');
    expect(await redis.get('greeting')).toBe('hello over puretls');
    const big = 'x'.repeat(1 << 20);
    await redis.set('big', big);
    expect((await redis.get('big'))!.length).toBe(1 << 20);
    const results = await redis.pipeline().incr('n').incr('n').incr('n').exec();
    expect(results!.map(([, v]) => v)).toEqual([1, 2, 3]);
    const stream = (redis as unknown as { stream: unknown }).stream;
    expect(stream).toBeInstanceOf(TlsSocket);
    expect((stream as TlsSocket).authorized).toBe(true);
    expect((stream as TlsSocket).info.version).toBe('TLSv1.3');
    await redis.quit();
  });
});

describe.skipIf(!haveMosquitto)(`Mosquitto with mqtt${haveMosquitto ? '' : ' (skipped: mosquitto absent)'}`, () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startMosquitto(pki);
  }, 60_000);
  afterAll(async () => server?.stop());

  it('mqtt publishes and receives over puretls (QoS 0 and 1)', async () => {
    // --- recipe (README "MQTT with mqtt") ---
    const { MqttClient } = require('mqtt') as typeof import('mqtt');
    const client = new MqttClient(() => tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCertPem }), { protocolVersion: 4, reconnectPeriod: 0 });
    // --- end recipe ---
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    expect(client.stream).toBeInstanceOf(TlsSocket);
    expect((client.stream as unknown as TlsSocket).authorized).toBe(true);
    await client.subscribeAsync('puretls/#', { qos: 1 });
    const got: string[] = [];
    const both = new Promise<void>((resolve) => {
      client.on('message', (topic, payload) => {
        got.push(`${topic}=${payload.toString()}`);
        if (got.length === 2) resolve();
      });
    });
    await client.publishAsync('puretls/a', 'zero', { qos: 0 });
    await client.publishAsync('puretls/b', 'one', { qos: 1 });
    await both;
    expect(got.sort()).toEqual(['puretls/a=zero', 'puretls/b=one']);
    await client.endAsync();
  });
});
