/**
 * Summarizes V8 CPU profiles (from `node --cpu-prof …` or `npm run bench -- --profile-children <dir>`):
 * where the samples went, by package and by function, self and inclusive, with our own code (lib/)
 * listed apart. Usage:
 *
 *   npx ts-node --transpile-only bench/profile-summary.ts <file.cpuprofile | dir> [--top 25] [--match lib/] [--stacks <name>]
 *
 * Samples spent loading modules (require, and ts-node compiling them) are left out unless `--with-loading`:
 * they are start-up, not the steady state a benchmark measures.
 *
 * `--stacks <name>`: the most frequent call stacks (innermost --depth frames, default 8) of samples spent in functions
 * whose name contains <name>: who calls the hot native function.
 * Several files are summed (e.g. the consumer processes of one pipeline run).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const ROOT = join(__dirname, '..');

function main(): void {
  const args = process.argv.slice(2);
  let top = 25;
  let match = 'lib/';
  let stacksOf: string | null = null;
  let depth = 8;
  let withLoading = false;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else if (args[i] === '--match') match = args[++i];
    else if (args[i] === '--stacks') stacksOf = args[++i];
    else if (args[i] === '--depth') depth = Number(args[++i]);
    else if (args[i] === '--with-loading') withLoading = true;
    else paths.push(args[i]);
  }
  if (paths.length === 0) {
    process.stderr.write('usage: ts-node --transpile-only bench/profile-summary.ts <file.cpuprofile | dir>… [--top 25] [--match lib/]\n');
    process.exit(2);
  }
  const files = paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(p, f))
      : [p],
  );

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const stacks = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let loading = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    for (const sample of profile.samples) {
      const leaf = byId.get(sample);
      if (!leaf) continue;
      total++;
      const leafName = frameName(leaf.callFrame);
      if (leafName === '(idle)') {
        idle++;
        continue;
      }
      if (!withLoading && isLoading(sample, byId, parent)) {
        loading++;
        continue;
      }
      add(self, leafName);
      add(byPackage, packageOf(leaf.callFrame));
      const seen = new Set<string>();
      const stack: string[] = [];
      for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
        const node = byId.get(id);
        if (!node) break;
        const name = frameName(node.callFrame);
        if (stack.length < depth) stack.push(name);
        if (!seen.has(name)) {
          seen.add(name);
          add(inclusive, name);
        }
      }
      if (stacksOf !== null && leafName.includes(stacksOf)) add(stacks, stack.join('\n         ← '));
    }
  }
  const busy = total - idle - loading;
  const pct = (n: number): string => `${((100 * n) / busy).toFixed(1).padStart(5)}%`;
  const print = (title: string, map: Map<string, number>, filter: (name: string) => boolean = () => true): void => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, n] of [...map]
      .filter(([name]) => filter(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top))
      process.stdout.write(`  ${pct(n)}  ${name}\n`);
  };
  const share = (n: number): string => `${((100 * n) / Math.max(total, 1)).toFixed(1)}%`;
  process.stdout.write(
    `${files.length} profile(s), ${total} samples: ${idle} idle (${share(idle)}), ${loading} loading modules (${share(loading)}, left out); percentages are of the ${busy} busy samples\n`,
  );
  print('self time by package', byPackage);
  print('self time by function', self);
  print(`inclusive time, functions in "${match}"`, inclusive, (name) => name.includes(` ${match}`));
  print(`self time, functions in "${match}"`, self, (name) => name.includes(` ${match}`));
  if (stacksOf !== null) print(`stacks of samples in "${stacksOf}"`, stacks);
}

/** True if the sample is inside require(): module loading and ts-node compiling. */
function isLoading(sample: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): boolean {
  for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)?.callFrame;
    if (frame && frame.functionName === 'Module._load') return true;
  }
  return false;
}

function add(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function frameName(frame: CallFrame): string {
  if (!frame.url) return frame.functionName || '(anonymous)';
  const file = frame.url.startsWith('file://') ? frame.url.slice(7) : frame.url;
  const where = file.startsWith('/') ? relative(ROOT, file) : file;
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
}

/** "ioredis", "class-validator", "lib/backends/redis", "node:internal", "(garbage collector)" … */
function packageOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName || '(native)';
  const file = frame.url.startsWith('file://') ? frame.url.slice(7) : frame.url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (nm) return nm[1];
  if (file.startsWith('node:')) return 'node:internal';
  const rel = relative(ROOT, file);
  const parts = rel.split('/');
  if (parts[0] === 'lib') return parts.slice(0, Math.min(parts.length - 1, 3)).join('/');
  return parts.slice(0, Math.min(parts.length - 1, 2)).join('/') || rel;
}

main();
