// Loopback ports for servers a test or benchmark starts itself.
import { createServer } from 'node:net';

/** Whether 127.0.0.1:port can be bound right now; resolves to the port the OS gave for port 0. */
function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(addr && typeof addr === 'object' ? addr.port : undefined));
    });
  });
}

/** A port free right now (the OS picks it), for a server the caller binds at once. */
export async function freePort(): Promise<number> {
  const port = await bindable(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

/**
 * A port free right now below the kernel's ephemeral range (32768 and up on Linux), for a port that is bound later
 * (an app's published port, set in a release before the agent installs it): in the ephemeral range, a busy suite's
 * outgoing connections could take it in between.
 */
export async function freeStablePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await bindable(20000 + Math.floor(Math.random() * 12000));
    if (port !== undefined) return port;
  }
  throw new Error('no free loopback port in 20000-31999');
}
