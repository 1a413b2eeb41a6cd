// The core lifecycle conformance suite, unchanged, against a Next.js app served by startNext() (DESIGN §5).
import { conformance } from '@draingate/testkit/conformance';
import { beforeAll } from 'vitest';
import { buildExample, nextDriver } from './helpers/example.js';

beforeAll(buildExample);

conformance(nextDriver);
