// The same server with Deno.serve's reusePort option (Linux only, per
// Deno's docs; ignored elsewhere).
Deno.serve({ port: Number(Deno.args[0]), reusePort: true }, () => new Response('ok'));
