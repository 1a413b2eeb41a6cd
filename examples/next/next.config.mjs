// The example's Next.js config. Standalone output too, so that @draingate/next is tested on both ways of running a
// build: `next build`'s .next (startNext({ dir })) and .next/standalone (startNext({ dir: <its server.js dir> })).
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
const config = {
  poweredByHeader: false,
  output: 'standalone',
  // This monorepo's root: pnpm links the app's node_modules there, and tracing must reach them. In an app of your
  // own, leave it out (it defaults to the app's directory).
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
};
export default config;
