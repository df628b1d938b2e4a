import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BrokerUnavailableError, JobNotFoundError, jobFromSchema, Orchestrator, RedisClient } from '../../lib';
import { ReplicasNotConfirmedError, type ReplicaOptions } from '../../lib/backends/redis';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { startRedisSentinel, type RedisAddress } from '../support/redis-sentinel-kit';

/**
 * Failover with Redis Sentinel (issue #18): two publishers publish without pause (each publish
 * awaited) and two consumers consume, through clients that find the primary by asking the sentinels;
 * the primary is SIGKILLed mid-stream. Publishers and consumers carry on on the promoted replica
 * without being restarted. Then every job whose publish resolved is accounted for: run, or lost.
 *
 * Replication is asynchronous: a publish resolves once the primary has it, and the replica gets it a
 * moment later. What the primary acknowledged in that moment is lost when it dies. On one machine
 * the moment is too short for a SIGKILL to hit it; a replica cut off from its primary (a network
 * split, a replica restarting) stretches it to as long as the cut lasts, and the replica is still
 * promoted. So the replica's link is cut before the kill (ACL refuses its PSYNC, then its connection
 * is killed), and the queue paused meanwhile so that what is published waits in it: without the
 * `replicas` option the jobs published during the cut are lost; with it
 * (WAIT for one replica) those publishes reject instead, and nothing whose publish resolved is lost.
 */
type Phase = 'before' | 'cut' | 'failover' | 'after';

interface Scenario {
  replicas?: ReplicaOptions;
  cutReplicaLink: boolean;
}

interface Outcome {
  /** Per job id whose publish resolved: the phase it resolved in. */
  resolved: Map<string, Phase>;
  rejected: { phase: Phase; error: unknown }[];
  /** Per job id: the phase of each run start. */
  runs: Map<string, Phase[]>;
  /** Resolved, never run, and not on the promoted replica. */
  lost: string[];
  /** Run more than once. */
  redelivered: string[];
  promoted: RedisAddress;
}

const QUEUE = 'failover';
/** Jobs published and not yet started, at most: keeps a backlog (consumers are slower) of a known size. */
const WINDOW = 500;
const BEFORE_RUNS = 300;
const CUT_PUBLISHES = 100;
const AFTER_RUNS = 300;
const GUARD_MS = 30_000;
const RUN_MS = 15;

jest.setTimeout(90_000);

it('without the replicas option, a failover keeps publishers and consumers going; a SIGKILL alone loses nothing measurable', async () => {
  const outcome = await failover({ cutReplicaLink: false });
  report('async replication, SIGKILL', outcome);
  expectCarriedOn(outcome);
});

it('without the replicas option, the jobs acknowledged by a primary cut off from its replica are lost with it (and only those)', async () => {
  const outcome = await failover({ cutReplicaLink: true });
  report('async replication, replica link cut, SIGKILL', outcome);
  expectCarriedOn(outcome);
  expect(outcome.lost.length).toBeGreaterThan(0);
  // The loss is the window, nothing else: every lost job was acknowledged after the link was cut (a
  // publish whose reply came as the primary was being killed counts in 'failover').
  const phases = new Set(outcome.lost.map((id) => outcome.resolved.get(id)));
  expect([...phases].filter((phase) => phase !== 'cut' && phase !== 'failover')).toEqual([]);
});

it('with replicas: { count: 1 }, publishes the replica did not confirm reject, and nothing whose publish resolved is lost', async () => {
  const outcome = await failover({ cutReplicaLink: true, replicas: { count: 1, timeoutMs: 300 } });
  report('WAIT 1 replica, replica link cut, SIGKILL', outcome);
  expectCarriedOn(outcome);
  expect(outcome.lost).toEqual([]);
  const unconfirmed = outcome.rejected.filter(({ error }) => error instanceof ReplicasNotConfirmedError);
  expect(unconfirmed.filter(({ phase }) => phase === 'cut').length).toBeGreaterThan(0);
  expect(unconfirmed[0].error).toMatchObject({ operation: 'publish', queue: QUEUE, required: 1, confirmed: 0, timeoutMs: 300 });
  expect((unconfirmed[0].error as Error).message).toMatch(
    /only 0 of the 1 replica\(s\) required confirmed it within 300 ms.*the primary "mymaster" of sentinels 127\.0\.0\.1:/,
  );
});

/** Publishers went on publishing, and the same consumers on running, on the promoted replica; a job ran twice only if it first ran before the switch. */
function expectCarriedOn(outcome: Outcome): void {
  const resolvedAfter = [...outcome.resolved.values()].filter((phase) => phase === 'after').length;
  const ranAfter = [...outcome.runs.values()].filter((phases) => phases.includes('after')).length;
  expect(resolvedAfter).toBeGreaterThanOrEqual(AFTER_RUNS);
  expect(ranAfter).toBeGreaterThanOrEqual(AFTER_RUNS);
  // A job runs again when its completion (or its fetch) was acknowledged by the old primary only: at-least-once.
  const twiceAfterSwitch = outcome.redelivered.filter((id) => outcome.runs.get(id)?.[0] === 'after');
  expect(twiceAfterSwitch).toEqual([]);
}

function report(title: string, outcome: Outcome): void {
  const byPhase = (phase: Phase): number => [...outcome.resolved.values()].filter((p) => p === phase).length;
  const rejected = tally(outcome.rejected.map(({ phase, error }) => `${phase}:${(error as Error).name}`));
  process.stdout.write(
    `Redis failover (${title}): promoted ${outcome.promoted.port}; resolved ${outcome.resolved.size} ` +
      `(before ${byPhase('before')}, cut ${byPhase('cut')}, after ${byPhase('after')}); rejected ${JSON.stringify(rejected)}; ` +
      `lost ${outcome.lost.length} ${JSON.stringify(tally(outcome.lost.map((id) => outcome.resolved.get(id))))}; ran twice ${outcome.redelivered.length}\n`,
  );
}

function tally(keys: unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[String(key)] = (counts[String(key)] ?? 0) + 1;
  return counts;
}

async function failover(scenario: Scenario): Promise<Outcome> {
  const sentinel = await startRedisSentinel();
  const prefix = `mt-failover-${randomUUID().slice(0, 8)}`;
  const retention = { completed: { count: Infinity } };
  const closing: (() => Promise<unknown>)[] = [];
  let replacement: { process: ChildProcess; dir: string } | null = null;
  let publishing = true;
  try {
    // The publishing side from options, the consuming side from an ioredis instance: both follow the sentinels.
    const producer = new Orchestrator(
      new RedisClient({
        sentinels: sentinel.sentinels,
        name: sentinel.name,
        prefix,
        retention,
        commandTimeoutMs: 1000,
        replicas: scenario.replicas,
      }),
    );
    closing.push(() => producer.close());
    const ioredis = new Redis({ sentinels: sentinel.sentinels, name: sentinel.name });
    closing.push(async () => ioredis.disconnect());
    const consumerSide = new Orchestrator(new RedisClient(ioredis, { prefix, retention, commandTimeoutMs: 1000 }));
    closing.push(() => consumerSide.close());
    const schema = taskSchema(QUEUE);
    await producer.register(schema);
    await consumerSide.register(schema);

    let phase: Phase = 'before';
    const resolved = new Map<string, Phase>();
    const rejected: Outcome['rejected'] = [];
    const runs = new Map<string, Phase[]>();
    const unstarted = new Set<string>();
    const changes = new Changes();

    const consumers = [1, 2].map(
      () =>
        new FnConsumer(
          QUEUE,
          async (job) => {
            runs.set(job.id, [...(runs.get(job.id) ?? []), phase]);
            unstarted.delete(job.id);
            changes.notify();
            await new Promise((resolve) => setTimeout(resolve, RUN_MS));
          },
          { concurrency: 4, leaseMs: 2000 },
        ),
    );
    for (const consumer of consumers) consumer.connect(consumerSide);
    const consuming = consumers.map((consumer) => consumer.consume());

    const publisher = async (tag: string): Promise<void> => {
      for (let n = 0; publishing; n++) {
        // Not during the cut: the queue is paused then, and the publishes of the cut are what is measured.
        await changes.until(`a free place in the window of ${WINDOW}`, () => unstarted.size < WINDOW || phase === 'cut' || !publishing);
        const job = jobFromSchema(schema, { label: `${tag}-${n}` });
        try {
          await producer.publish(QUEUE, job);
          resolved.set(job.id, phase);
          if (!runs.has(job.id)) unstarted.add(job.id);
        } catch (error) {
          rejected.push({ phase, error });
          // Not a spin while the primary is gone: each rejection costs a moment.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        changes.notify();
      }
    };
    const publishers = ['a', 'b'].map(publisher);

    await changes.until(`${BEFORE_RUNS} runs`, () => runs.size >= BEFORE_RUNS);
    const primary = sentinel.node(sentinel.primary.port);
    if (scenario.cutReplicaLink) {
      // Consumers take no job during the cut, so the jobs published in it wait in the queue as on a busy
      // one: taken at once, they would run on the old primary before it dies, and no loss could show.
      await consumerSide.pause(QUEUE);
      // A write after the pause, confirmed by WAIT on the same connection: the replica has the pause too.
      await primary.set(`${prefix}:paused`, '1');
      expect(await primary.wait(1, GUARD_MS)).toBe(1);
      // The replica cannot sync again (its PSYNC is refused), the sentinels and the clients still get in.
      await primary.call('ACL', 'SETUSER', 'default', '-psync', '-sync');
      phase = 'cut';
      changes.notify();
      await primary.call('CLIENT', 'KILL', 'TYPE', 'replica');
      expect(await primary.info('replication')).toMatch(/connected_slaves:0/);
      const since = resolved.size;
      const rejectedSince = rejected.length;
      // Publishes the primary alone has. Waiting for a replica, each lasts replicas.timeoutMs: four will do
      // (the replica must not be cut off so long that the sentinels no longer promote it).
      const enough = scenario.replicas ? 4 : CUT_PUBLISHES;
      await changes.until('publishes during the cut', () => resolved.size - since + rejected.length - rejectedSince >= enough);
    }

    const switched = sentinel.nextSwitch();
    phase = 'failover';
    await sentinel.kill(sentinel.primary.port);
    const promoted = await withGuard('+switch-master', switched);
    phase = 'after';
    if (scenario.replicas) {
      // WAIT needs a replica: the killed primary's machine comes back as one of the promoted replica.
      replacement = startReplica(sentinel.primary.port, promoted);
    }
    if (scenario.cutReplicaLink) await untilAnswered(() => consumerSide.resume(QUEUE));
    const resolvedBefore = resolved.size;
    await changes.until(`${AFTER_RUNS} publishes resolved and run after the switch`, () => {
      const ranAfter = [...runs.values()].filter((phases) => phases.includes('after')).length;
      return resolved.size - resolvedBefore >= AFTER_RUNS && ranAfter >= AFTER_RUNS;
    });
    publishing = false;
    changes.notify();
    await Promise.all(publishers);

    // Every job whose publish resolved either finishes on the promoted replica, or is gone from it.
    const lost: string[] = [];
    await Promise.all(
      [...resolved.keys()].map(async (id) => {
        try {
          await consumerSide.waitForResult(id, { timeout: GUARD_MS });
        } catch (err) {
          if (!(err instanceof JobNotFoundError)) throw err;
          if (!runs.has(id)) lost.push(id);
        }
      }),
    );
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await Promise.all(consuming);
    const redelivered = [...runs].filter(([, phases]) => phases.length > 1).map(([id]) => id);
    return { resolved, rejected, runs, lost, redelivered, promoted };
  } finally {
    publishing = false;
    for (const close of closing.reverse()) await close().catch(() => undefined);
    if (replacement) {
      replacement.process.kill('SIGKILL');
      rmSync(replacement.dir, { recursive: true, force: true });
    }
    await sentinel.stop();
  }
}

/** Calls again, a moment later, while the client has not found the promoted replica yet. */
async function untilAnswered(call: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + GUARD_MS;
  for (;;) {
    try {
      return void (await call());
    } catch (err) {
      if (!(err instanceof BrokerUnavailableError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A redis-server on `port` replicating `of`, as the kit starts its replica. */
function startReplica(port: number, of: RedisAddress): { process: ChildProcess; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mindtrace-replica-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  args.push('--daemonize', 'no', '--loglevel', 'warning', '--replicaof', of.host, String(of.port));
  return { process: spawn('redis-server', args, { stdio: 'ignore' }), dir };
}

/** Wakes waiters when the tallies change; each waiter re-checks its condition, with a hang guard. */
class Changes {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  until(what: string, holds: () => boolean): Promise<void> {
    if (holds()) return Promise.resolve();
    return withGuard(
      what,
      new Promise<void>((resolve) => {
        const wake = (): void => {
          if (!holds()) return;
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      }),
    );
  }
}

async function withGuard<T>(what: string, waiting: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${GUARD_MS} ms`)), GUARD_MS);
  });
  try {
    return await Promise.race([waiting, hang]);
  } finally {
    clearTimeout(timer);
  }
}
