// GET /work?ms=N: answers { worked: N } after N ms (at most 60 s), like the other examples.
// ?after=M also schedules an after() callback that runs M ms once the response is sent and then prints an
// `after` line: Next awaits such callbacks in app.close(), which @draingate/next runs as a shutdown hook.
import { after } from 'next/server';

export const dynamic = 'force-dynamic';

const bounded = (value) => Math.min(Math.max(Number(value) || 0, 0), 60_000);

export async function GET(request) {
  const ms = bounded(request.nextUrl.searchParams.get('ms'));
  const afterMs = request.nextUrl.searchParams.get('after');
  if (afterMs !== null) {
    after(async () => {
      await new Promise((resolve) => setTimeout(resolve, bounded(afterMs)));
      console.log(JSON.stringify({ event: 'after', ms: bounded(afterMs), at: Date.now() }));
    });
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  return Response.json({ worked: ms });
}
