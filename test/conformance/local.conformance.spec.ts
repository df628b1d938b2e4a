import { LocalClient } from '../../lib';
import { capabilitiesOf } from './conformance-context';
import { describeConformance } from './conformance';

describeConformance({
  name: 'LocalClient',
  capabilities: capabilitiesOf(new LocalClient()),
  create: (settings = {}) => new LocalClient({ retention: settings.retention }),
});
