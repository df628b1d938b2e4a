import { newJobId } from '../../lib/job/job-id';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newJobId', () => {
  it('makes version 4 UUIDs, none twice, across many refills of its entropy pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newJobId();
      expect(id).toMatch(UUID_V4);
      seen.add(id);
    }
    expect(seen.size).toBe(20_000);
  });

  it('uses every hex digit in every free position (the random bits are not stuck)', () => {
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...newJobId()].forEach((char, at) => digits[at].add(char));
    const free = digits.filter((_, at) => ![8, 13, 14, 18, 19, 23].includes(at));
    for (const seen of free) expect(seen.size).toBe(16);
    expect([...digits[19]].sort()).toEqual(['8', '9', 'a', 'b']);
  });
});
