import { LocalClient } from '../../lib';
import { describeConformance } from './conformance';

describeConformance({ name: 'LocalClient', create: () => new LocalClient() });
