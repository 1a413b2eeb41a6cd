// Every other path: the JSON 404 the other examples answer, instead of Next's HTML not-found page.

export function GET() {
  return Response.json({ error: 'not found' }, { status: 404 });
}
