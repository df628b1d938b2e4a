import { InMemoryJobStateStore } from '../../lib';
import type { RetentionRule } from '../../lib/backend/retention-options';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { requireServer } from '../support/servers';
import { capabilitiesOf, type BackendSettings } from './conformance-context';
import { describeConformance } from './conformance';

beforeAll(async () => {
  await requireServer('rabbitmq');
});

// The whole suite on quorum queues (queueType 'quorum'), on the machine's single node: RabbitMQ 3.10
// runs quorum queues on one node too. Priorities are not theirs before RabbitMQ 4 (capabilities say so,
// and those cases are skipped with the reason). One prefix per run; every queue is deleted at the end.
const clients = new RabbitMQTestClients({ prefix: testPrefix('conf-quorum'), queueType: 'quorum' });
afterAll(() => clients.deleteDeclaredQueues());

function deadRetentionOf(settings: BackendSettings): { dead: RetentionRule } | undefined {
  return settings.retention?.dead === undefined ? undefined : { dead: settings.retention.dead };
}

describeConformance({
  name: 'RabbitMQClient (quorum queues) + InMemoryJobStateStore',
  capabilities: capabilitiesOf(clients.create({ jobStore: new InMemoryJobStateStore() })),
  create: (settings = {}) =>
    clients.create({ retention: deadRetentionOf(settings), jobStore: new InMemoryJobStateStore({ retention: settings.retention }) }),
});
