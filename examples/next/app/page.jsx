// GET /: a page, prerendered at build time.
export default function Home() {
  return (
    <main>
      <h1>hello world</h1>
      <p>A Next.js app served by @draingate/next: /readyz, draining and graceful stop come from the gate.</p>
    </main>
  );
}
