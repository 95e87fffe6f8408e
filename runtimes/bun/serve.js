// Bun.serve with a port, as Bun's HTTP server documentation shows it: no
// hostname, so Bun listens on the unspecified address.
Bun.serve({ port: Number(process.argv[2]), fetch: () => new Response('ok') });
