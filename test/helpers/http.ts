import { HttpServer, type HttpServerOptions } from '../../src/web/server.js';

/** A started HttpServer (stop it with stop()). */
export async function listening(opts: HttpServerOptions): Promise<HttpServer> {
  const server = new HttpServer(opts);
  await server.start();
  return server;
}
