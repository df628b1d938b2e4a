/**
 * The examples of README.md, read as the test suite runs them. Each fenced block the suite uses has a
 * marker on the line before it, saying what to do with it:
 *
 *   <!-- example: tsconfig -->                 the tsconfig.json every example is compiled with
 *   <!-- example: run as quick-start.ts -->    compiled, then run with node (it must exit 0)
 *   <!-- example: output of quick-start.ts --> what that run prints; a word holding "…" stands for any word
 *   <!-- example: test as app.e2e.spec.ts -->  compiled, then run by Jest
 *   <!-- example: compile-only as main.ts -->  compiled only ("as" names the file other examples import)
 *   <!-- example: fragment -->                 an excerpt without its imports: neither compiled nor run
 *
 * Every ```ts block must carry one, so a new example cannot go unchecked by accident.
 */
export type ExampleKind = 'tsconfig' | 'run' | 'output' | 'test' | 'compile-only' | 'fragment';

export interface ReadmeExample {
  kind: ExampleKind;
  /** The file it is written to (run, test, compile-only), or whose output it is (output). */
  file: string | null;
  code: string;
  /** Line of the block's first code line in its page, so a compile error can point into it. */
  line: number;
  /** The page it comes from (`README.md`, `docs/nest.md`). */
  source: string;
}

const MARKER = /^<!-- example: (tsconfig|run|output|test|compile-only|fragment)(?: (?:as|of) (\S+))? -->$/;
const KINDS_WITH_FILE: ExampleKind[] = ['run', 'output', 'test'];

/** The marked blocks of a README, and what is wrong with its markers (each problem names its line). */
export function readmeExamples(markdown: string, source = 'README.md'): { examples: ReadmeExample[]; problems: string[] } {
  const lines = markdown.split('\n');
  const examples: ReadmeExample[] = [];
  const problems: string[] = [];
  let pending: { kind: ExampleKind; file: string | null; line: number } | null = null;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    const marker = text.match(MARKER);
    if (marker) {
      pending = { kind: marker[1] as ExampleKind, file: marker[2] ?? null, line: index + 1 };
      if (KINDS_WITH_FILE.includes(pending.kind) && !pending.file)
        problems.push(`line ${index + 1}: "${text}" must name its file ("as x.ts" / "of x.ts")`);
      continue;
    }
    if (text.startsWith('<!-- example'))
      problems.push(`line ${index + 1}: "${text}" is not an example marker (see test/readme/readme-examples.ts)`);
    const fence = text.match(/^```(\w*)$/);
    if (!fence) {
      if (pending && text.trim() !== '') {
        problems.push(`line ${pending.line}: an example marker must stand right before its code block`);
        pending = null;
      }
      continue;
    }
    const end = lines.indexOf('```', index + 1);
    if (end < 0) {
      problems.push(`line ${index + 1}: a code block that is never closed`);
      break;
    }
    if (!pending && fence[1] === 'ts')
      problems.push(`line ${index + 1}: a \`\`\`ts block without an <!-- example: … --> marker before it — say whether the suite runs it`);
    if (pending)
      examples.push({
        kind: pending.kind,
        file: pending.file,
        code: lines.slice(index + 1, end).join('\n') + '\n',
        line: index + 2,
        source,
      });
    pending = null;
    index = end;
  }
  return { examples, problems };
}

/** A matcher for an output block: each word holding "…" stands for any one word (an id, a time). */
export function outputPattern(expected: string): RegExp {
  const escape = (word: string): string => (word.includes('…') ? '\\S+' : word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const lines = expected
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(escape).join('\\s+'));
  return new RegExp(`^${lines.join('\\n')}\\n?$`);
}
