// Follows the log files that x-skiff.logs names inside volumes, through each volume's mountpoint on the host, like
// `tail -F`: a file renamed away (rotation) is read to its end before its successor, a truncated one (copytruncate) is
// read again from its start. Its cursor is inode:offset after the last whole line spooled, so a restarted agent
// resumes there, in the rotated file when the rotation happened while it was down.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { matchesPattern } from '../../../compose/index.ts';
import { LineRedactor } from '../../../redact/index.ts';
import { levelOf } from './collect.ts';
import type { LogSpool, SpoolEntry } from './spool.ts';

export interface LogFileTarget {
  /** The service that writes the files (the first that mounts the volume there). */
  readonly service: string;
  /** `<volume>/<dir in the volume>`, naming the files' source. */
  readonly label: string;
  /** The directory on the host, under the volume's mountpoint. */
  readonly hostDir: string;
  readonly pattern: string;
}

/** A line longer than this is cut (the hub accepts up to 16 KiB). */
const MAX_LINE = 8 * 1024;
const READ_CHUNK = 256 * 1024;

interface Followed {
  fh: FileHandle;
  ino: number;
  offset: number;
  readonly redactor: LineRedactor;
}

export class FileLogCollector {
  readonly #spool: LogSpool;
  readonly #secrets: () => Promise<string[]>;
  readonly #files = new Map<string, Followed>();

  constructor(spool: LogSpool, secrets: () => Promise<string[]>) {
    this.#spool = spool;
    this.#secrets = secrets;
  }

  /** Reads what was appended to every matching file since the last scan. */
  async scan(targets: readonly LogFileTarget[]): Promise<void> {
    const secrets = await this.#secrets();
    for (const t of targets) {
      const names = await readdir(t.hostDir).catch(() => [] as string[]);
      for (const name of names.filter((n) => matchesPattern(t.pattern, n)).sort()) await this.#poll(t, name, secrets);
    }
  }

  async stop(): Promise<void> {
    for (const f of this.#files.values()) await f.fh.close().catch(() => undefined);
    this.#files.clear();
  }

  async #poll(t: LogFileTarget, name: string, secrets: string[]): Promise<void> {
    const path = join(t.hostDir, name);
    const key = `file:${t.label}/${name}`;
    const st = await stat(path).catch(() => undefined);
    if (!st) return;
    let f = this.#files.get(path);
    if (!f) {
      const [ino, offset] = (this.#spool.cursor(key) ?? '').split(':').map(Number);
      if (ino !== undefined && offset !== undefined && !Number.isNaN(ino) && ino !== st.ino) await this.#drainRotated(t, key, ino, offset, secrets);
      const resume = ino === st.ino && offset !== undefined && offset <= st.size ? offset : 0;
      f = { fh: await open(path, 'r'), ino: st.ino, offset: resume, redactor: new LineRedactor(secrets) };
      this.#files.set(path, f);
    } else if (f.ino !== st.ino) {
      // Rotated: the old file (still open) is read to its end, then its successor from the start.
      await this.#read(f, t, key, true);
      await f.fh.close();
      f = { fh: await open(path, 'r'), ino: st.ino, offset: 0, redactor: new LineRedactor(secrets) };
      this.#files.set(path, f);
    } else if (st.size < f.offset) {
      f.offset = 0;
    }
    await this.#read(f, t, key, false);
  }

  /** The file a restarted agent was reading, renamed while it was down: found by its inode in the same directory. */
  async #drainRotated(t: LogFileTarget, key: string, ino: number, offset: number, secrets: string[]): Promise<void> {
    for (const other of await readdir(t.hostDir).catch(() => [] as string[])) {
      const st = await stat(join(t.hostDir, other)).catch(() => undefined);
      if (st?.ino !== ino || st.size < offset) continue;
      const f: Followed = { fh: await open(join(t.hostDir, other), 'r'), ino, offset, redactor: new LineRedactor(secrets) };
      try {
        await this.#read(f, t, key, true);
      } finally {
        await f.fh.close();
      }
      return;
    }
  }

  /** Spools the whole lines from the file's offset to its end (and an unfinished last line when `toEnd`). */
  async #read(f: Followed, t: LogFileTarget, key: string, toEnd: boolean): Promise<void> {
    let pending = Buffer.alloc(0);
    let pos = f.offset;
    for (;;) {
      const buf = Buffer.alloc(READ_CHUNK);
      const { bytesRead } = await f.fh.read(buf, 0, READ_CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
      const entries: SpoolEntry[] = [];
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0 || pending.length > MAX_LINE) {
        const cut = nl >= 0 && nl <= MAX_LINE ? nl : MAX_LINE;
        entries.push(this.#entry(f, t, key, pending.subarray(0, cut), cut + (cut === nl ? 1 : 0)));
        pending = pending.subarray(cut + (cut === nl ? 1 : 0));
      }
      await this.#spool.append(entries);
    }
    if (toEnd && pending.length > 0) await this.#spool.append([this.#entry(f, t, key, pending, pending.length)]);
  }

  #entry(f: Followed, t: LogFileTarget, key: string, line: Buffer, consumed: number): SpoolEntry {
    f.offset += consumed;
    const message = f.redactor.line(line.toString('utf8').replace(/\r$/, ''));
    return { at: new Date().toISOString(), service: t.service, source: key, level: levelOf(message, 'stdout'), message, cursorKey: key, cursor: `${f.ino}:${f.offset}` };
  }
}
