import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient } from '../../lib';
import { capabilitiesOf } from './conformance-context';
import { describeConformance } from './conformance';

// One file per run, shared by every client the suite makes (as processes of one host share it); the
// queue names keep the cases apart.
const dir = mkdtempSync(join(tmpdir(), 'jobs-conformance-'));
const path = join(dir, 'queue.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeConformance({
  name: 'LocalClient on a file',
  capabilities: capabilitiesOf(new LocalClient({ path })),
  create: (settings = {}) => new LocalClient({ path, retention: settings.retention }),
});
