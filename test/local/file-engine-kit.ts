import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RETENTION } from '../../lib/backend/retention-options';
import type { JobRecord } from '../../lib/backend/job-record';
import type { PublishItem } from '../../lib/backend/job-backend.interface';
import { FileLocalEngine } from '../../lib/backends/local/file/file-local.engine';
import type { ChildMessage } from '../support/child-report';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';

/** A temporary directory for one spec's files, and the engines and peer processes it opened, closed after it. */
export function fileEngineKit(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `jobs-${prefix}-`));
  const engines: FileLocalEngine[] = [];
  const peers: FixtureProcess[] = [];
  let files = 0;
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.kill()));
    await Promise.all(engines.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    /** A path for a new database file. */
    newPath: (): string => join(dir, `queue-${++files}.db`),
    open(path: string): FileLocalEngine {
      const engine = new FileLocalEngine({ path, durability: 'normal', retention: DEFAULT_RETENTION });
      engines.push(engine);
      return engine;
    },
    /** An engine on `path` in another process (fixtures/file-engine-peer.ts), once it is ready. */
    async peer(path: string): Promise<EnginePeer> {
      const child = spawnFixture(join(__dirname, 'fixtures', 'file-engine-peer.ts'), { MT_PATH: path });
      peers.push(child);
      await child.next((m) => m.type === 'ready', 'the peer to open the file');
      return new EnginePeer(child);
    },
  };
}

/** Sends commands to a peer process; each resolves with its answer (and the peer's clock when it came). */
export class EnginePeer {
  private sent = 0;

  constructor(readonly child: FixtureProcess) {}

  async call<T = unknown>(op: string, ...args: unknown[]): Promise<{ value: T; at: number }> {
    const n = ++this.sent;
    this.child.child.stdin.write(`${JSON.stringify({ n, op, args })}\n`);
    const answer: ChildMessage = await this.child.next(
      (m) => (m.type === 'result' || m.type === 'failed') && m.n === n,
      `the answer to ${op}`,
    );
    if (answer.type === 'failed') throw Object.assign(new Error(String(answer.message)), { name: String(answer.name) });
    return { value: answer.value as T, at: answer.at as number };
  }
}

let ids = 0;

/** A job record for publishing straight to an engine. */
export function jobItem(overrides: Partial<JobRecord> = {}, runAt?: number): PublishItem {
  const job: JobRecord = {
    id: `job-${process.pid}-${++ids}`,
    name: 'task',
    schemaName: 'task',
    payload: { n: ids },
    priority: 0,
    attempt: 0,
    createdAt: new Date().toISOString(),
    ...overrides,
  } as JobRecord;
  return runAt === undefined ? { job } : { job, runAt };
}
