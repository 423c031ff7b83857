// A real HTTP webhook receiver on 127.0.0.1 for notification tests: records each request (headers, raw body) and
// answers as the test scripts it (2xx, 500, or after a delay); it can stop listening and listen again on its port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Answers the next requests with these statuses, then 204 (a status of 0 never answers until delayMs). */
  script(statuses: number[]): void;
  delayMs: number;
  /** Resolves when `n` requests answered 2xx arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
  listen(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const accepted: Received[] = [];
  let queue: number[] = [];
  let server: Server | undefined;
  let bound = port;
  const r: WebhookReceiver = {
    get url() {
      return `http://127.0.0.1:${bound}/hook`;
    },
    get port() {
      return bound;
    },
    received,
    delayMs: 0,
    script: (s) => void (queue = [...s]),
    async waitFor(n, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (accepted.length < n) {
        if (Date.now() > end) throw new Error(`only ${accepted.length} of ${n} webhooks arrived within ${timeoutMs} ms (${received.length} requests)`);
        await new Promise((res) => setTimeout(res, 50));
      }
      return accepted.slice(0, n);
    },
    async listen() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const rec = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
          received.push(rec);
          const status = queue.shift() ?? 204;
          setTimeout(() => {
            if (status >= 200 && status < 300) accepted.push(rec);
            res.writeHead(status).end();
          }, r.delayMs);
        });
      });
      await new Promise<void>((res) => server!.listen(bound, '127.0.0.1', res));
      const addr = server.address();
      if (addr && typeof addr === 'object') bound = addr.port;
    },
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((res) => s.close(() => res()));
    },
  };
  await r.listen();
  return r;
}
