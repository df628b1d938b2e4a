import { randomUUID } from 'node:crypto';
import { Orchestrator, RedisClient } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { startNetwork, startRedisIn, type NetnsNetwork, type NetnsServer } from '../support/netns-kit';
import { countsOf, HELD, runPartitionScenario } from '../support/partition-scenario';

/** Short, so B takes A's jobs soon after the cut; A's keeper extends it every leaseMs / 3 while linked. */
const LEASE_MS = 1500;
const JOBS = 24;
const AFTER_RESTORE = 4;

describe('Redis: a worker host cut off by a network partition, then restored', () => {
  let net: NetnsNetwork;
  let redis: NetnsServer;
  let orchestrator: Orchestrator | undefined;

  beforeAll(async () => {
    net = await startNetwork(['broker', 'a', 'b']);
    redis = await startRedisIn(net, 'broker');
  }, 60_000);
  afterAll(async () => {
    await orchestrator?.close();
    await net?.stop();
  });

  it("runs the cut-off worker's jobs elsewhere after their lease, refuses its late completions, completes each job once and loses none", async () => {
    const prefix = `mt-partition-${randomUUID().slice(0, 8)}`;
    const queue = 'partitioned';
    orchestrator = new Orchestrator(new RedisClient(redis.url, { prefix }));
    await orchestrator.register(taskSchema(queue));

    const outcome = await runPartitionScenario({
      net,
      orchestrator,
      queue,
      env: { MT_BACKEND: 'redis', REDIS_URL: redis.url, MT_PREFIX: prefix, MT_LEASE_MS: String(LEASE_MS) },
      jobs: JOBS,
      afterRestore: AFTER_RESTORE,
    });
    const { ids, heldByA, a, b, states } = outcome;
    const runs = [...a, ...b].filter((m) => m.type === 'started');
    // Seen in the test's output: how long the takeover took and how many runs were redeliveries.
    process.stdout.write(
      `partition (Redis): B completed A's ${HELD} jobs ${outcome.takeoverMs} ms after the cut; ${runs.length - ids.length} redeliveries; phases (ms) ${JSON.stringify(outcome.phases)}\n`,
    );

    expect(heldByA).toHaveLength(HELD);
    // A's completions sent while cut off reach Redis once it is back, and are refused: the lease is B's.
    const late = a.filter((m) => (m.type === 'complete-refused' || m.type === 'complete-accepted') && heldByA.includes(m.id as string));
    expect(late.map((m) => [m.id, m.type, m.error]).sort()).toEqual(heldByA.map((id) => [id, 'complete-refused', 'LeaseLostError']).sort());
    // Only the held jobs ran twice: each once by A (attempt 1), then by B (attempt 2).
    const redelivered = runs.filter((m) => (m.attempt as number) > 1);
    expect(redelivered.map((m) => [m.id, m.by, m.attempt]).sort()).toEqual(heldByA.map((id) => [id, 'b', 2]).sort());
    expect(runs).toHaveLength(ids.length + HELD);

    // Each job completed exactly once across both workers, none by A among those it lost.
    const completions = countsOf([...a, ...b], 'completed');
    expect([...completions.keys()].sort()).toEqual([...ids].sort());
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    expect(a.filter((m) => m.type === 'completed' && heldByA.includes(m.id as string))).toEqual([]);
    // The job state holds B's result for the jobs A lost: A's late completion wrote nothing.
    expect(states.map((s) => s?.status)).toEqual(ids.map(() => 'completed'));
    for (const state of states.filter((s) => heldByA.includes(s?.id ?? ''))) {
      expect(state).toMatchObject({ attempt: 2, result: { echoed: `${String(state?.payload.label)}@b` } });
    }
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: ids.length, dead: 0 });
  }, 80_000);
});
