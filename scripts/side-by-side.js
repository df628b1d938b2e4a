// Runs shell commands at the same time and prints each one's output in one piece when it ends; exits
// non-zero if any failed. `npm test` runs its type check, lint and build this way: each is one process
// on one core, so on CI's two cores side by side they take about half as long as in turn.
const { spawn } = require('node:child_process');

/** Runs `command` in a shell; resolves with its exit code and everything it printed, in order. */
function run(command) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.once('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.once('close', (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const result = code === 0 ? 'done' : `failed (${signal ?? `exit ${code}`})`;
      process.stdout.write(`\n== ${command}: ${result} in ${seconds} s\n`);
      process.stdout.write(Buffer.concat(output));
      resolve(code ?? 1);
    });
  });
}

const commands = process.argv.slice(2);
if (commands.length === 0) {
  process.stderr.write('usage: node scripts/side-by-side.js "<command>" ["<command>" …]\n');
  process.exit(2);
}
Promise.all(commands.map(run)).then((codes) => {
  process.exitCode = codes.some((code) => code !== 0) ? 1 : 0;
});
