import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient } from '../../lib';
import { describeFlowControlProcesses } from '../support/flow-control-processes';

// One file shared by the test and its worker processes, as processes of one host share it.
const dir = mkdtempSync(join(tmpdir(), 'jobs-flow-processes-'));
const path = join(dir, 'queue.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeFlowControlProcesses({
  name: 'LocalClient on a file',
  env: { MT_BACKEND: 'file', MT_PATH: path },
  create: () => new LocalClient({ path }),
});
