// A real SMTP server on 127.0.0.1 for e-mail tests: Debian's python3-aiosmtpd with its default handler, which prints
// every message it accepts; the messages are parsed from that output. It fails (never skips) when aiosmtpd is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

const PYTHON = '/usr/bin/python3';

export interface Mail {
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface SmtpServer {
  readonly port: number;
  readonly messages: Mail[];
  waitFor(n: number, timeoutMs?: number): Promise<Mail[]>;
  stop(): Promise<void>;
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=), as mailers write non-ASCII or long headers. */
function decodeWords(v: string): string {
  return v.replace(/=\?UTF-8\?([QB])\?([^?]*)\?=\s*(?==\?)?/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

function parse(block: string): Mail {
  const [head = '', ...rest] = block.split('\n\n');
  const headers: Record<string, string> = {};
  // A long header is folded onto lines that start with white space.
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return { headers, body: rest.join('\n\n') };
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export async function startSmtpServer(port: number): Promise<SmtpServer> {
  const child: ChildProcess = spawn(PYTHON, ['-u', '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const messages: Mail[] = [];
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    for (let m = /-{10} MESSAGE FOLLOWS -{10}\n([\s\S]*?)\n-{12} END MESSAGE -{12}\n/.exec(out); m; m = /-{10} MESSAGE FOLLOWS -{10}\n([\s\S]*?)\n-{12} END MESSAGE -{12}\n/.exec(out)) {
      messages.push(parse(m[1] ?? ''));
      out = out.slice(m.index + m[0].length);
    }
  });
  child.stderr?.on('data', (c: Buffer) => void (err = (err + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const end = Date.now() + 20_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`the SMTP server (${PYTHON} -m aiosmtpd, Debian's python3-aiosmtpd) did not start on port ${port}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    messages,
    async waitFor(n, timeoutMs = 30_000) {
      const stop = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > stop) throw new Error(`only ${messages.length} of ${n} e-mails arrived within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages.slice(0, n);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
