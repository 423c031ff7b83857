// A TCP proxy on 127.0.0.1 that counts what a server sends: it reads the HTTP/1.1 responses it relays (status, a few
// headers, body bytes by Content-Length), so a test can tell how many bytes of which answers went over the wire. When
// the server dies, the client gets what was already relayed and then the end of the connection, as from the server.
import { connect, createServer, type Socket } from 'node:net';

export interface RelayedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly contentRange: string | undefined;
  /** The body bytes relayed so far (fewer than its Content-Length when the server died mid-answer). */
  bodyBytes: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly port: number;
  /** Every response relayed, in the order their heads arrived. */
  readonly responses: readonly RelayedResponse[];
  /** Heads with a Transfer-Encoding, which this counter does not follow (a test should assert there are none). */
  readonly uncounted: number;
  close(): Promise<void>;
}

/** Follows one connection's response stream: heads, then Content-Length bytes of body (none for 1xx, 204 and 304). */
function responseReader(onHead: (r: RelayedResponse) => void, onUncounted: () => void): (chunk: Buffer) => void {
  let head = Buffer.alloc(0);
  let current: RelayedResponse | undefined;
  let left = 0;
  let lost = false;
  return (chunk) => {
    let rest = chunk;
    while (rest.length > 0 && !lost) {
      if (left > 0 && current) {
        const n = Math.min(left, rest.length);
        current.bodyBytes += n;
        left -= n;
        rest = rest.subarray(n);
        continue;
      }
      head = Buffer.concat([head, rest]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = head.subarray(0, end).toString('latin1').split('\r\n');
      rest = head.subarray(end + 4);
      head = Buffer.alloc(0);
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const status = Number(statusLine.split(' ')[1]);
      current = { status, contentType: headers.get('content-type') ?? '', contentRange: headers.get('content-range'), bodyBytes: 0 };
      onHead(current);
      if (headers.has('transfer-encoding')) {
        lost = true;
        onUncounted();
      }
      left = status < 200 || status === 204 || status === 304 ? 0 : Number(headers.get('content-length') ?? 0);
    }
  };
}

export async function startCountingProxy(target: { readonly host: string; readonly port: number }): Promise<CountingProxy> {
  const responses: RelayedResponse[] = [];
  let uncounted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    const read = responseReader((r) => responses.push(r), () => uncounted++);
    upstream.on('data', read);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    // A server that died (refused, or reset mid-answer): the client gets what was relayed, then the end.
    upstream.on('error', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    responses,
    get uncounted() {
      return uncounted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
