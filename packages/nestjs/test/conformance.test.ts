// The core lifecycle conformance suite, unchanged, against Nest on Express and Nest on Fastify.
import { conformance } from '@draingate/testkit/conformance';
import { nestDriver } from './helpers/apps.js';

conformance(nestDriver('express'));
conformance(nestDriver('fastify'));
