import { randomUUID } from 'node:crypto';
import { Orchestrator, RabbitMQClient, RedisJobStateStore } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { startNetwork, startRabbitMQIn, startRedisIn, type NetnsNetwork, type NetnsServer } from '../support/netns-kit';
import { countsOf, HELD, runPartitionScenario } from '../support/partition-scenario';

/** Seconds: the broker drops a connection it heard nothing from for two of them, and requeues its deliveries. */
const HEARTBEAT_S = 1;
const JOBS = 24;
const AFTER_RESTORE = 4;

describe('RabbitMQ: a worker host cut off by a network partition, then restored', () => {
  let net: NetnsNetwork;
  let rabbit: NetnsServer;
  let redis: NetnsServer;
  let orchestrator: Orchestrator | undefined;

  beforeAll(async () => {
    net = await startNetwork(['broker', 'a', 'b']);
    // The job store is a Redis beside the broker, in the same namespace: the partition cuts A off from both.
    [rabbit, redis] = await Promise.all([startRabbitMQIn(net, 'broker'), startRedisIn(net, 'broker')]);
  }, 100_000);
  afterAll(async () => {
    await orchestrator?.close();
    await net?.stop();
  });

  it("runs the cut-off worker's jobs elsewhere once the broker drops its connection, refuses its late acks, records each job completed once and loses none", async () => {
    const prefix = `mt-partition-${randomUUID().slice(0, 8)}`;
    const queue = 'partitioned';
    orchestrator = new Orchestrator(
      new RabbitMQClient({ url: rabbit.url, prefix, jobStore: new RedisJobStateStore(redis.url, { prefix }) }),
    );
    await orchestrator.register(taskSchema(queue));

    const outcome = await runPartitionScenario({
      net,
      orchestrator,
      queue,
      env: { MT_BACKEND: 'rabbitmq', RABBITMQ_URL: rabbit.url, STORE_URL: redis.url, MT_PREFIX: prefix, MT_HEARTBEAT: String(HEARTBEAT_S) },
      jobs: JOBS,
      afterRestore: AFTER_RESTORE,
    });
    const { ids, heldByA, a, b, states } = outcome;
    const runs = [...a, ...b].filter((m) => m.type === 'started');
    process.stdout.write(
      `partition (RabbitMQ): B completed A's ${HELD} jobs ${outcome.takeoverMs} ms after the cut; ${runs.length - ids.length} redeliveries; phases (ms) ${JSON.stringify(outcome.phases)}\n`,
    );

    expect(heldByA).toHaveLength(HELD);
    // A's channel died with its connection: the completions of its runs are refused before anything is written.
    const late = a.filter((m) => (m.type === 'complete-refused' || m.type === 'complete-accepted') && heldByA.includes(m.id as string));
    expect(late.map((m) => [m.id, m.type, m.error]).sort()).toEqual(heldByA.map((id) => [id, 'complete-refused', 'LeaseLostError']).sort());
    // Only the held jobs ran twice: each once by A, then redelivered to B (attempt 2).
    const redelivered = runs.filter((m) => (m.attempt as number) > 1);
    expect(redelivered.map((m) => [m.id, m.by, m.attempt]).sort()).toEqual(heldByA.map((id) => [id, 'b', 2]).sort());
    expect(runs).toHaveLength(ids.length + HELD);

    const completions = countsOf([...a, ...b], 'completed');
    expect([...completions.keys()].sort()).toEqual([...ids].sort());
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    expect(a.filter((m) => m.type === 'completed' && heldByA.includes(m.id as string))).toEqual([]);
    // The job store keeps B's completion of the jobs A lost: nothing of A's late run reached it.
    expect(states.map((s) => s?.status)).toEqual(ids.map(() => 'completed'));
    for (const state of states.filter((s) => heldByA.includes(s?.id ?? ''))) {
      expect(state).toMatchObject({ attempt: 2, result: { echoed: `${String(state?.payload.label)}@b` } });
    }
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, completed: ids.length, dead: 0 });
  }, 80_000);
});
