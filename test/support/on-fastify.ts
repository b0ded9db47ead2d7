// Setup file of the `lib-fastify` project: its apps run on Fastify (see create-test-app.ts).
process.env.HTTP_ADAPTER = 'fastify';
