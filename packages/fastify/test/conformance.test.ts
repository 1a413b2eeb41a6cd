import { conformance } from '../../core/test/conformance/suite.js';
import { fastifyDriver } from './drivers.js';

conformance(fastifyDriver('4'));
conformance(fastifyDriver('5'));
