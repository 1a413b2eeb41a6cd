// The core lifecycle conformance suite, unchanged, against Nest 11 and Nest 10, each on Express and on Fastify.
import { conformance } from '@draingate/testkit/conformance';
import { nest11 } from './helpers/apps.js';
import { nest10 } from './nest10/apps.js';

for (const kit of [nest11, nest10]) {
  conformance(kit.nestDriver('express'));
  conformance(kit.nestDriver('fastify'));
}
