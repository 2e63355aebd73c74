// The CLI's servers (gdbserver, serve): listening on the address given, and
// how to name that address back to the user.
import type { Server } from 'node:net';
import { CliFailure, EXIT } from './output';

/** Whether `host` is this machine only (nobody else can connect). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::ffff:127.0.0.1';
}

/** Listens on host:port (port 0: any free one) and returns the port; CliFailure with status 1 if it cannot. */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
  } catch (e) {
    throw new CliFailure(EXIT.load, `cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  const address = server.address();
  return address && typeof address === 'object' ? address.port : port;
}

/** How to reach a server listening on `host` from this machine, bracketed for a URL or host:port: every interface is reached on loopback. */
export function localAddress(host: string): string {
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return local.includes(':') ? `[${local}]` : local;
}
