// The example's Next.js config: nothing draingate needs. Telemetry is off in build.mjs (NEXT_TELEMETRY_DISABLED).
/** @type {import('next').NextConfig} */
const config = {
  poweredByHeader: false,
};
export default config;
