// An HTTP proxy for tests, between an agent and a real hub: it forwards every request, records what was asked, keeps
// the hub's last JSON answer on one path, and can rewrite that path's answers (a tampering network, or a hub that lies).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { request } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'proxy-connection']);

export interface RewritingProxy {
  readonly url: string;
  /** `METHOD /path?query` of every request, in order. */
  readonly requests: string[];
  /** The hub's last 200 answer on the watched path that went through unchanged. */
  readonly lastAnswer: unknown;
  /**
   * When set, a GET of the watched path is asked of the hub without If-None-Match (so it answers with a body) and this
   * gives the body sent on instead (with a made-up ETag).
   */
  rewrite: ((hubAnswer: unknown) => unknown) | undefined;
  close(): Promise<void>;
}

const headersOf = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
};

export async function startRewritingProxy(hub: string, watched: string): Promise<RewritingProxy> {
  const requests: string[] = [];
  let lastAnswer: unknown;
  let rewrite: RewritingProxy['rewrite'];
  const server = createServer((req, res) => {
    void (async () => {
      requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const body = await buffer(req);
      const watchedGet = req.method === 'GET' && req.url === watched;
      const rewriting = watchedGet ? rewrite : undefined;
      const headers = headersOf(req);
      if (rewriting) delete headers['if-none-match'];
      const up = await request(`${hub}${req.url ?? '/'}`, { method: req.method as 'GET', headers, ...(body.length > 0 ? { body } : {}) });
      let out = Buffer.from(await up.body.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) outHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      if (watchedGet && up.statusCode === 200) {
        const answer: unknown = JSON.parse(out.toString('utf8'));
        if (rewriting) {
          out = Buffer.from(JSON.stringify(rewriting(answer)));
          outHeaders.etag = `"rewritten-${requests.length}"`;
        } else lastAnswer = answer;
      }
      res.writeHead(up.statusCode, { ...outHeaders, 'content-length': String(out.length) }).end(out);
    })().catch((e: unknown) => {
      res.destroy(e instanceof Error ? e : new Error(String(e)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get lastAnswer() {
      return lastAnswer;
    },
    get rewrite() {
      return rewrite;
    },
    set rewrite(f) {
      rewrite = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
