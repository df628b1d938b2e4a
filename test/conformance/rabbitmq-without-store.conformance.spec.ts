import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { requireServer } from '../support/servers';
import { capabilitiesOf } from './conformance-context';
import { describeConformance } from './conformance';

beforeAll(() => requireServer('rabbitmq'));

// A plain RabbitMQClient, as a user gets it without a jobStore: the backend without job state (no
// getJob, waitForResult or completed count). The cases needing it are skipped by capability.
// One prefix per run; every queue a case declares is deleted again at the end.
const clients = new RabbitMQTestClients({ prefix: testPrefix('conf-nostore') });
afterAll(() => clients.deleteDeclaredQueues());

describeConformance({
  name: 'RabbitMQClient without a job store',
  capabilities: capabilitiesOf(clients.create()),
  // Retention is passed whole: a client without a store refuses a `completed` rule, it keeps no completed jobs.
  create: (settings = {}) => clients.create({ retention: settings.retention }),
});
