// The same server with Bun.serve's reusePort option: SO_REUSEPORT on Linux
// (Bun's docs: "load balance across processes"; ignored on Windows and macOS).
Bun.serve({ port: Number(process.argv[2]), reusePort: true, fetch: () => new Response('ok') });
