import { randomUUID } from 'node:crypto';
import { IsString } from 'class-validator';
import { Consumer, Job, JobInput, JobSchema, Orchestrator } from '../../lib';
import { toWireJson } from '../../lib/job/wire-json';

/**
 * toWireJson copies a value into what JSON carries. Only `__proto__` is unsafe to assign onto the copy
 * (it would set the copy's prototype); `constructor` and `prototype` are data like any other key.
 */
describe('toWireJson', () => {
  it('keeps constructor and prototype keys, at any depth, as own data of a plain object', () => {
    const value = { constructor: 'Acme Builders', prototype: { version: 2 }, items: [{ constructor: 1, prototype: null }] };
    const { value: wire } = toWireJson(value, 'result');
    expect(wire).toEqual(JSON.parse(JSON.stringify(value)));
    expect(Object.keys(wire as object)).toEqual(['constructor', 'prototype', 'items']);
    expect(Object.getPrototypeOf(wire)).toBe(Object.prototype);
  });

  it('leaves out an own __proto__ key (as JSON.parse makes it): the copy keeps its prototype, Object.prototype stays clean', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "nested": {"__proto__": {"polluted": true}, "kept": 1}}') as unknown;
    const { value: wire } = toWireJson(value, 'payload');
    expect(wire).toEqual({ nested: { kept: 1 } });
    expect(Object.getPrototypeOf(wire)).toBe(Object.prototype);
    expect(Object.getPrototypeOf((wire as { nested: object }).nested)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('a result without an output DTO', () => {
  class Input extends JobInput {
    @IsString() label = '';
  }

  it('reaches waitForResult with its constructor and prototype keys', async () => {
    const orchestrator = new Orchestrator();
    try {
      await orchestrator.register(new JobSchema({ name: 'wire-json-result', input: Input }));
      class Builder extends Consumer<Input> {
        run(): unknown {
          return { constructor: 'Acme Builders', prototype: 'p-1', label: 'kept' };
        }
      }
      const consumer = new Builder('wire-json-result');
      consumer.connect(orchestrator);
      const id = await orchestrator.publish('wire-json-result', { label: 'a' });
      expect(await consumer.consume(1)).toBe(1);
      expect(await orchestrator.waitForResult(id)).toEqual({ constructor: 'Acme Builders', prototype: 'p-1', label: 'kept' });
    } finally {
      await orchestrator.close();
    }
  });
});

describe('an unvalidated payload (a queue declared without a schema)', () => {
  it.each([
    ['a constructor key', { constructor: 'Acme Builders', prototype: 'p-1', label: 'kept' }],
    ['no prototype at all', Object.assign(Object.create(null) as object, { label: 'kept' })],
  ])('with %s is published and received as it was sent', async (_what, payload) => {
    const orchestrator = new Orchestrator();
    try {
      await orchestrator.declareQueue('wire-json-raw');
      const job = new Job(randomUUID(), 'wire-json-raw', 'wire-json-raw', payload as Record<string, unknown>, new Date().toISOString());
      expect(await orchestrator.publish('wire-json-raw', job)).toBe(job.id);
      expect((await orchestrator.receiveMessage('wire-json-raw'))?.payload).toEqual({ ...payload });
    } finally {
      await orchestrator.close();
    }
  });
});
