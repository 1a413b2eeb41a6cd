import { conformance } from '@draingate/testkit/conformance';
import { fastifyDriver } from './drivers.js';

conformance(fastifyDriver('4'));
conformance(fastifyDriver('5'));
