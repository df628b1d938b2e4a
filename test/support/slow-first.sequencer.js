const { join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * Spec files that run for a minute or more on CI (packing and installing the package; compiling and
 * starting the sample), relative to the root. Jest orders a run by the durations it recorded on this
 * machine, and on a fresh one (CI) by file size, which puts these small files late, where they end the
 * run alone; here they start first. Add a file when it takes as long.
 */
const SLOW_FILES = ['test/install/install.spec.ts', 'test/e2e/sample-startup.e2e.spec.ts'];

/** Jest's order, with SLOW_FILES moved to the front in their listed order. */
class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const rank = (test) => {
      const index = SLOW_FILES.findIndex((file) => test.path === join(test.context.config.rootDir, file));
      return index === -1 ? SLOW_FILES.length : index;
    };
    // Array.prototype.sort is stable: the files not listed keep Jest's order.
    return ordered.sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowFirstSequencer;
