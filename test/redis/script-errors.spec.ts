import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InvalidOptionError,
  jobFromSchema,
  LeaseLostError,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
  RedisClient,
  type JobRecord,
} from '../../lib';
import { SCRIPT_ERROR_CODES } from '../../lib/backends/redis/script-errors';
import { taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { SCRIPTS_DIR, adminConnection, deleteKeysUnder, luaFiles, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * A script says no with refuse(code, args) (_common.lua), and script-errors.ts is the one table that
 * turns each code into its typed error. The arguments travel as JSON, so ids holding spaces, commas,
 * quotes or brackets come back whole in the error a user reads; raised from a shared helper (Redis 7
 * appends the script's sha and line to such errors) or from the script itself alike.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const backend = new RedisClient(REDIS_URL, { prefix });
let counter = 0;

/** Every script file with its text. */
function scripts(): { file: string; text: string }[] {
  return luaFiles().map((file) => ({ file, text: readFileSync(join(SCRIPTS_DIR, file), 'utf8') }));
}

async function declared(label: string): Promise<string> {
  const queue = `${label}-${++counter}`;
  await backend.declareQueue(queue, 'fifo');
  return queue;
}

/** A job's wire form with a chosen id, as the orchestrator hands it to the backend. */
function record(queue: string, id: string): JobRecord {
  const job = jobFromSchema(taskSchema(queue), { label: id });
  return { id, name: job.name, schemaName: job.schemaName, payload: { label: id }, createdAt: job.createdAt, priority: 0, attempt: 0 };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (err: Error) => err,
  );
}

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await backend.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it('every code a script refuses with is in the one table, and every code in the table is raised by a script', () => {
  const raised = new Set(scripts().flatMap(({ text }) => [...text.matchAll(/refuse\('([A-Z_]+)'/g)].map((match) => match[1])));
  expect([...raised].sort()).toEqual([...SCRIPT_ERROR_CODES].sort());
  // No script says no any other way: a bare error_reply would reach the user untranslated.
  expect(
    scripts()
      .filter(({ text }) => /error_reply|error\(\{/.test(text.replace(/local function refuse[\s\S]*?\nend/, '')))
      .map(({ file }) => file),
  ).toEqual([]);
});

it('a refused redrive names every id that is not a dead letter, whole: spaces, commas, quotes and brackets included', async () => {
  const queue = await declared('redrive');
  const ids = ['not dead, at all', 'x"]y [z]', 'plain'];
  const error = await failure(backend.redrive(queue, ids));
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error.message).toBe(`redrive on "${queue}": option "ids" names jobs that are not in its dead-letter queue: ${ids.join(', ')}`);
});

it('a refused publish names the duplicate id whole', async () => {
  const queue = await declared('duplicate');
  const job = record(queue, 'order 42, line 7');
  await backend.publish(queue, [{ job }]);
  const error = await failure(backend.publish(queue, [{ job }]));
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error.message).toContain(`option "job.id" order 42, line 7 is already a job of "${queue}"`);
});

it('a settle of a job no longer held is LeaseLostError naming the job, from a shared helper (dead-letter) and from a script (extend)', async () => {
  const queue = await declared('lease');
  await backend.publish(queue, [{ job: record(queue, 'held [1]') }]);
  const [delivery] = await backend.fetch(queue, 1, { leaseMs: 30_000, wait: false });
  const stranger = { ...delivery, token: 'not-the-holder:1' };
  const failure1 = { name: 'Error', message: 'boom', attempt: 1, failedAt: new Date().toISOString() };
  for (const refused of [backend.deadLetter(stranger, failure1), backend.extendLease(stranger, 1_000)]) {
    const error = await failure(refused);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ queue, jobId: 'held [1]' });
  }
  await backend.complete(delivery, null);
});

it('declaring a queue again with another type names both types; a queue never declared is QueueNotDeclaredError', async () => {
  const queue = await declared('types');
  const error = await failure(backend.declareQueue(queue, 'stack'));
  expect(error).toBeInstanceOf(QueueTypeMismatchError);
  expect(error).toMatchObject({ queue, existingType: 'fifo', requestedType: 'stack' });
  await expect(backend.countWaiting(`never-declared-${counter}`)).rejects.toBeInstanceOf(QueueNotDeclaredError);
});
