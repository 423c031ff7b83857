// HTTP/1.1 over a bare `node:net` socket that hangs up at a chosen point (before the response, after its headers,
// after N body bytes, or after sending N bytes of a request body), and what a process holds open (/proc/<pid>/fd).
import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: Buffer;
}

/** Where the client hangs up: right after the request head, after `bytes` of the request body, or after `bytes` of the response body. */
export type Cut =
  | { readonly at: 'start' }
  | { readonly at: 'sent'; readonly bytes: number }
  | { readonly at: 'received'; readonly bytes: number };

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export const describeCut = (c: Cut): string =>
  c.at === 'start'
    ? 'at the start'
    : c.at === 'sent'
      ? `after sending ${c.bytes} body bytes`
      : `after ${c.bytes} response body bytes`;

function head(req: RawRequest, host: string): string {
  const lines = [`${req.method} ${req.path} HTTP/1.1`, `host: ${host}`, 'connection: close'];
  for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function parseHead(text: string): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...rest] = text.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of rest) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Hangs up at `cut` (with a TCP reset when `reset`, else a plain close); resolves once the socket is gone. */
export async function hangUp(port: number, req: RawRequest, cut: Cut, reset: boolean): Promise<void> {
  const socket = await open(port);
  socket.on('error', () => undefined);
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const close = () => (reset ? socket.resetAndDestroy() : socket.destroy());
  socket.write(head(req, `127.0.0.1:${port}`));
  if (cut.at === 'sent') {
    if (cut.bytes > 0) socket.write(req.body?.subarray(0, cut.bytes) ?? Buffer.alloc(0));
    // Let the hub start on what it received, so the hang-up lands mid-upload.
    await pause(30);
  } else if (cut.at === 'received') {
    if (req.body) socket.write(req.body);
    await new Promise<void>((resolve) => {
      let seen = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf('\r\n\r\n');
        if (end >= 0 && seen.length - end - 4 >= cut.bytes) {
          socket.pause();
          resolve();
        }
      });
      socket.once('close', () => resolve());
    });
  }
  close();
  await gone;
}

/** Starts `req` and sends the first `sent` bytes of its body; the caller writes the rest, or leaves. `response` is all the hub sent. */
export function startRequest(port: number, req: RawRequest, sent: number): { socket: Socket; response: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(head(req, `127.0.0.1:${port}`));
  socket.write(req.body?.subarray(0, sent) ?? Buffer.alloc(0));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const response = new Promise<string>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  return { socket, response };
}

/** One whole exchange (the hub closes the connection after it); rejects after `timeoutMs`. */
export async function exchange(port: number, req: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const socket = await open(port);
  const chunks: Buffer[] = [];
  const timer = setTimeout(
    () => socket.destroy(new Error(`no answer to ${req.method} ${req.path} within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const body = req.body ?? Buffer.alloc(0);
  socket.write(
    head(
      { ...req, headers: { ...req.headers, ...(req.body ? { 'content-length': body.length } : {}) } },
      `127.0.0.1:${port}`,
    ),
  );
  socket.write(body);
  try {
    for await (const c of socket) chunks.push(c as Buffer);
  } finally {
    clearTimeout(timer);
  }
  const all = Buffer.concat(chunks);
  const end = all.indexOf('\r\n\r\n');
  const parsed = parseHead(all.subarray(0, end).toString('latin1'));
  return { ...parsed, body: all.subarray(end + 4) };
}

/** Remote port of each TCP socket of a process's network namespace, by socket inode (from /proc/<pid>/net/tcp and tcp6). */
async function tcpPeers(pid: number): Promise<Map<string, number>> {
  const peers = new Map<string, number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const remote = cols[2]?.split(':')[1];
      if (remote && cols[9]) peers.set(cols[9], parseInt(remote, 16));
    }
  }
  return peers;
}

/** What each open file descriptor of a process points at (files, pipes; a TCP socket as `tcp -> <remote port>`). */
export async function openFiles(pid: number): Promise<string[]> {
  const dir = `/proc/${pid}/fd`;
  const peers = await tcpPeers(pid);
  const out: string[] = [];
  for (const fd of await readdir(dir)) {
    const target = await readlink(`${dir}/${fd}`).catch(() => 'closed');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const port = inode === undefined ? undefined : peers.get(inode);
    out.push(port === undefined ? target : `tcp -> ${port}`);
  }
  return out;
}
