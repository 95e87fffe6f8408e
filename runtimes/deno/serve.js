// Deno.serve with a port, as Deno's HTTP server documentation shows it: the
// default hostname 0.0.0.0.
Deno.serve({ port: Number(Deno.args[0]) }, () => new Response('ok'));
