import { InMemoryJobStateStore } from '../../lib';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { requireServer } from '../support/servers';
import { describeConformance } from './conformance';

beforeAll(() => requireServer('rabbitmq'));

// One prefix per run, so runs (and leftovers of killed runs) can never collide; every queue a case
// declares is deleted again at the end. Each client gets its own in-memory job store, so getJob and
// waitForResult are tested too (sharedJobState stays false: a second client has a store of its own).
const clients = new RabbitMQTestClients({ prefix: testPrefix('conf') });
afterAll(() => clients.deleteDeclaredQueues());

describeConformance({ name: 'RabbitMQClient', create: () => clients.create({ jobStore: new InMemoryJobStateStore() }) });
