// The core lifecycle conformance suite, unchanged, against Express 4 and Express 5 (DESIGN §5).
import { conformance } from '@draingate/testkit/conformance';
import { driverFor, express4Flavour, express5Flavour } from './helpers/apps.js';

conformance(driverFor(express4Flavour));
conformance(driverFor(express5Flavour));
