import { Type } from 'class-transformer';
import { Allow, IsString, ValidateNested } from 'class-validator';
import {
  Consumer,
  DEFAULT_MAX_PAYLOAD_BYTES,
  InvalidOptionError,
  Job,
  JobInput,
  JobSchema,
  JobValidationError,
  LocalClient,
  MAX_PAYLOAD_DEPTH,
  Orchestrator,
  jobFromSchema,
  type JobRecord,
} from '../../lib';
import { thrownBy } from '../support/thrown';

class LooseInput extends JobInput {
  @IsString() label = '';
  @Allow() data?: unknown;
}

/** A DTO class-transformer converts (@Type), so its payloads take the class-transformer path. */
class Link {
  @IsString() name = '';
  @ValidateNested() @Type(() => Link) next?: Link;
}

class ChainInput extends JobInput {
  @ValidateNested() @Type(() => Link) head: Link = new Link();
}

const loose = new JobSchema({ name: 'payload-limits-loose', input: LooseInput });
const chain = new JobSchema({ name: 'payload-limits-chain', input: ChainInput });

const validationErrorFrom = (fn: () => unknown): JobValidationError => thrownBy(JobValidationError, fn);

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** The payload a run receives for `input` published with jobFromSchema, over the Local backend. */
async function delivered(input: Partial<LooseInput>): Promise<LooseInput> {
  const orchestrator = new Orchestrator(new LocalClient());
  try {
    await orchestrator.register(loose);
    await orchestrator.publish(loose.name, jobFromSchema(loose, input));
    let payload: LooseInput | undefined;
    const consumer = new (class extends Consumer<LooseInput> {
      run(job: Job<LooseInput>): void {
        payload = job.payload;
      }
    })(loose.name);
    consumer.connect(orchestrator);
    await consumer.consume(1);
    return payload as LooseInput;
  } finally {
    await orchestrator.close();
  }
}

/** The single violation of `error`: its path and its one constraint's name and message. */
function onlyViolation(error: JobValidationError): { path: string; constraint: string; message: string } {
  expect(error.violations).toHaveLength(1);
  const [{ path, constraints }] = error.violations;
  const [[constraint, message]] = Object.entries(constraints);
  return { path, constraint, message };
}

describe('payload limits', () => {
  describe('nesting', () => {
    it('data ten thousand levels deep is a JobValidationError naming the path, not a stack overflow', () => {
      const error = validationErrorFrom(() => jobFromSchema(loose, { label: 'deep', data: nested(10_000) }));
      const { path, constraint, message } = onlyViolation(error);
      expect(path).toBe(`data${'.a'.repeat(MAX_PAYLOAD_DEPTH - 1)}`);
      expect(constraint).toBe('maxDepth');
      expect(message).toBe(
        `a is nested more than ${MAX_PAYLOAD_DEPTH} levels deep (objects and arrays within each other); a payload may nest at most ${MAX_PAYLOAD_DEPTH}`,
      );
    });

    it('a circular DTO instance (the class-transformer path) is a JobValidationError naming where the cycle closes', () => {
      const input = new ChainInput();
      input.head = Object.assign(new Link(), { name: 'first' });
      input.head.next = Object.assign(new Link(), { name: 'second', next: input.head });
      const { path, constraint, message } = onlyViolation(validationErrorFrom(() => jobFromSchema(chain, input)));
      expect(path).toBe('head.next.next');
      expect(constraint).toBe('noCircularReference');
      expect(message).toContain('next refers back to head (a circular reference)');
    });

    it('a circular array names the index', () => {
      const list: unknown[] = ['x'];
      list.push({ list });
      const { path } = onlyViolation(validationErrorFrom(() => jobFromSchema(loose, { label: 'loop', data: list })));
      expect(path).toBe('data[1].list');
    });

    it('receiveMessage dead-letters a job that arrived too deep on a queue without a schema, instead of handing it over', async () => {
      const orchestrator = new Orchestrator(new LocalClient());
      try {
        await orchestrator.declareQueue('received-deep');
        const record: JobRecord = {
          id: 'deep-1',
          name: 'x',
          schemaName: 'foreign',
          payload: nested(MAX_PAYLOAD_DEPTH + 1),
          createdAt: new Date().toISOString(),
          priority: 0,
          attempt: 0,
        };
        await orchestrator.backend.publish('received-deep', [{ job: record }]);
        expect(await orchestrator.receiveMessage('received-deep')).toBeNull();
        const [dead] = await orchestrator.deadLetters('received-deep');
        expect(dead.job.id).toBe('deep-1');
        expect(dead.error.name).toBe('JobValidationError');
        expect(dead.error.message).toContain('[maxDepth]');
      } finally {
        await orchestrator.close();
      }
    });

    it('the same object twice (not a cycle) is fine, and arrives as two copies', async () => {
      const shared = { n: 1 };
      const { data } = await delivered({ label: 'shared', data: [shared, shared] });
      expect(data).toEqual([{ n: 1 }, { n: 1 }]);
      expect((data as object[])[0]).not.toBe((data as object[])[1]);
    });
  });

  describe('what JSON cannot carry', () => {
    it('names keys that are not identifiers with brackets', () => {
      const { path } = onlyViolation(
        validationErrorFrom(() => jobFromSchema(loose, { label: 'odd', data: { 'odd key': [0, { n: 1n }] } })),
      );
      expect(path).toBe('data["odd key"][1].n');
    });

    it('a BigInt at the top of a result is named as the result', async () => {
      const orchestrator = new Orchestrator(new LocalClient());
      try {
        await orchestrator.declareQueue('bigint-result');
        const consumer = new (class extends Consumer {
          run(): unknown {
            return 10n;
          }
        })('bigint-result');
        consumer.connect(orchestrator);
        const record: JobRecord = {
          id: 'r1',
          name: 'x',
          schemaName: 'x',
          payload: {},
          createdAt: new Date().toISOString(),
          priority: 0,
          attempt: 0,
        };
        await orchestrator.backend.publish('bigint-result', [{ job: record }]);
        expect(await consumer.consume(1)).toBe(1);
        const [dead] = await orchestrator.deadLetters('bigint-result');
        expect(dead.error.name).toBe('JobValidationError');
        expect(dead.error.message).toContain('the result is a BigInt');
      } finally {
        await orchestrator.close();
      }
    });

    it('anything with toJSON travels as its JSON form, as JSON.stringify would send it', async () => {
      class Money {
        constructor(readonly cents: number) {}
        toJSON(): string {
          return `${(this.cents / 100).toFixed(2)} EUR`;
        }
      }
      expect((await delivered({ label: 'price', data: { price: new Money(1250) } })).data).toEqual({ price: '12.50 EUR' });
    });

    it('unsafe keys are left out of the wire form', async () => {
      const data = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "kept": 2}') as unknown;
      expect((await delivered({ label: 'unsafe', data })).data).toEqual({ kept: 2 });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('an invalid Date is refused, not turned into null', () => {
      const { path, constraint } = onlyViolation(
        validationErrorFrom(() => jobFromSchema(loose, { label: 'when', data: { at: new Date('not a date') } })),
      );
      expect([path, constraint]).toEqual(['data.at', 'jsonCompatible']);
    });
  });

  describe('maxPayloadBytes', () => {
    async function registered(options?: { maxPayloadBytes?: number }) {
      const orchestrator = new Orchestrator(new LocalClient(), options);
      await orchestrator.register(loose);
      return orchestrator;
    }

    it('defaults to 1 MiB', async () => {
      const orchestrator = await registered();
      expect(orchestrator.options.maxPayloadBytes).toBe(DEFAULT_MAX_PAYLOAD_BYTES);
      expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(1024 * 1024);
      await orchestrator.close();
    });

    it('measures the JSON as sent: control characters escape to six bytes each', async () => {
      const orchestrator = await registered({ maxPayloadBytes: 1000 });
      // 170 characters, but 1020 bytes of JSON for them alone ({"label":"ctl","data":""} is 25 more).
      const error = await orchestrator.publish(loose.name, { label: 'ctl', data: '\u0001'.repeat(170) }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(JobValidationError);
      expect(onlyViolation(error as JobValidationError).message).toMatch(/^the payload is 1045 bytes as JSON, over the limit of 1000/);
      expect(await orchestrator.countQueueMessages(loose.name)).toBe(0);
      await orchestrator.close();
    });

    it('applies to a Job made by jobFromSchema too, whose check was skipped as it was made', async () => {
      const orchestrator = await registered({ maxPayloadBytes: 100 });
      const job = jobFromSchema(loose, { label: 'made early', data: 'x'.repeat(200) });
      const error = await orchestrator.publish(loose.name, job).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(JobValidationError);
      expect((error as JobValidationError).queue).toBe(loose.name);
      await orchestrator.close();
    });

    it('applies to a Job published to a queue without a schema', async () => {
      const orchestrator = new Orchestrator(new LocalClient(), { maxPayloadBytes: 100 });
      await orchestrator.declareQueue('no-schema');
      const job = new Job('j1', 'custom', 'custom', { text: 'y'.repeat(200) }, new Date().toISOString());
      const error = await orchestrator.publish('no-schema', job).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(JobValidationError);
      expect((error as JobValidationError).schemaName).toBe('custom');
      await orchestrator.close();
    });

    it.each<[string, unknown, string]>([
      ['0', { maxPayloadBytes: 0 }, 'maxPayloadBytes'],
      ['a fraction', { maxPayloadBytes: 10.5 }, 'maxPayloadBytes'],
      ['more than 512 MiB', { maxPayloadBytes: 512 * 1024 * 1024 + 1 }, 'maxPayloadBytes'],
      ['a string', { maxPayloadBytes: '1mb' }, 'maxPayloadBytes'],
      ['an unknown option', { maxPayloadSize: 10 }, 'maxPayloadSize'],
      ['not an object', 5, 'options'],
    ])('new Orchestrator refuses %s, naming the option', (_label, options, option) => {
      const error = thrownBy(InvalidOptionError, () => new Orchestrator(new LocalClient(), options as never));
      expect(error.where).toBe('new Orchestrator');
      expect(error.option).toBe(option);
    });
  });
});
