// The agent's state directory: what is installed, what it trusts, the journal of the step in flight, a lock.
//
//   <state>/
//     store/            verified content store (blobs, releases, the app's root chain)
//     staging/<id>/     blobs of a bundle being read; moved into store/ only when all is verified
//     state.json        app, current and previous release, values, history
//     trust.json        the newest root verified, highest version installed, last verification time
//     journal.json      the operation in flight and its phase (absent when idle)
//     lock              boot id and pid of the agent holding the directory (see lock.ts)
import { existsSync, writeFileSync } from 'node:fs';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as z from 'zod';
import { FsBlobStore } from '../store/index.ts';
import { acquireLock } from './lock.ts';
import { parseRoot, type RootMeta } from '../trust/index.ts';
import { writeJsonAtomic, SkiffError, errorMessage } from '../util/index.ts';

export const PHASES = ['fetching', 'verified', 'staged', 'snapshot', 'pre-hooks', 'switching', 'health-checking', 'post-hooks', 'committed', 'rolling-back', 'rolled-back'] as const;
export type Phase = (typeof PHASES)[number];

const InstalledSchema = z.object({
  version: z.string(),
  digest: z.string(),
  values: z.record(z.string(), z.string()),
  /** Settings to keep hidden beyond those the release declares secret (marked secret at the hub). */
  secrets: z.array(z.string()).optional(),
  installedAt: z.string(),
});
export type Installed = z.infer<typeof InstalledSchema>;

const HistorySchema = z.object({
  at: z.string(),
  event: z.enum(['installed', 'upgraded', 'reconfigured', 'rolled-back', 'rollback-failed', 'resumed', 'refused']),
  from: z.string().optional(),
  to: z.string().optional(),
  detail: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistorySchema>;

const StateSchema = z.object({
  app: z.string(),
  current: InstalledSchema.optional(),
  previous: InstalledSchema.optional(),
  history: z.array(HistorySchema),
});
export type AgentState = z.infer<typeof StateSchema>;

const JournalSchema = z.object({
  /** reconfigure: the release that runs, with other values (same switch, health gate and rollback as an upgrade). */
  op: z.enum(['install', 'rollback', 'reconfigure']),
  app: z.string(),
  phase: z.enum(PHASES),
  from: InstalledSchema.optional(),
  to: InstalledSchema,
  stagingId: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  reason: z.string().optional(),
  /** The volumes copied before the switch (restored on the way back) and the services stopped for the copy. */
  snapshot: z.object({ id: z.string(), volumes: z.array(z.string()), stopped: z.array(z.string()) }).optional(),
  /** Each service's last swap step toward `to` (kept, created, stopped, renamed, started, removed). */
  switched: z.record(z.string(), z.string()).optional(),
});
export type Journal = z.infer<typeof JournalSchema>;

const TrustStateSchema = z.object({ root: z.unknown(), highestVersion: z.string().optional(), lastVerified: z.string() });

export class StateDir {
  readonly dir: string;
  readonly store: FsBlobStore;

  constructor(dir: string) {
    this.dir = dir;
    this.store = new FsBlobStore(join(dir, 'store'));
  }

  staging(id: string): string {
    return join(this.dir, 'staging', id);
  }

  async readState(): Promise<AgentState | undefined> {
    return readJson(join(this.dir, 'state.json'), StateSchema);
  }
  async writeState(s: AgentState): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'state.json'), s, 0o600);
  }

  async readJournal(): Promise<Journal | undefined> {
    return readJson(join(this.dir, 'journal.json'), JournalSchema);
  }
  /** Written (temp, fsync, rename) before the step it names takes effect. */
  async writeJournal(j: Journal): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'journal.json'), { ...j, updatedAt: new Date().toISOString() }, 0o600);
    testKillPoint(j.phase);
  }
  async clearJournal(): Promise<void> {
    await rm(join(this.dir, 'journal.json'), { force: true });
  }

  async readTrust(): Promise<{ root: RootMeta; highestVersion?: string; lastVerified: string } | undefined> {
    const path = join(this.dir, 'trust.json');
    const t = await readJson(path, TrustStateSchema);
    if (!t) return undefined;
    let root: RootMeta;
    try {
      root = parseRoot(JSON.stringify(t.root), 'root');
    } catch (e) {
      throw corrupt(path, errorMessage(e));
    }
    return { root, highestVersion: t.highestVersion, lastVerified: t.lastVerified };
  }
  /** Records a newly verified root and/or the highest release version committed (rollback protection). */
  async updateTrust(patch: { root?: RootMeta; highestVersion?: string }): Promise<void> {
    const t = await this.readTrust();
    const root = patch.root ?? t?.root;
    if (!root) throw new SkiffError('STATE_INVALID', `${this.dir}/trust.json is missing: reinstall with --trust root.json`);
    const highestVersion = patch.highestVersion ?? t?.highestVersion;
    await writeJsonAtomic(join(this.dir, 'trust.json'), { root, highestVersion, lastVerified: new Date().toISOString() }, 0o600);
  }

  /**
   * One agent at a time per state directory; a lock left by a dead process is taken over (lock.ts). Releasing the lock of a
   * directory this call created, while nothing was recorded in it, removes the directory: a refused first command
   * leaves nothing behind.
   */
  async lock(): Promise<() => Promise<void>> {
    const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const release = await acquireLock(join(this.dir, 'lock'), this.dir);
    return async () => {
      if (created !== undefined && !(await this.#recordsAnything())) await rm(created, { recursive: true, force: true });
      else await release();
    };
  }

  async #recordsAnything(): Promise<boolean> {
    for (const f of RECORDS) if (await access(join(this.dir, f)).then(() => true, () => false)) return true;
    return false;
  }
}

/** The files that make a state directory worth keeping (the store alone is only a cache of verified blobs). */
const RECORDS = ['state.json', 'journal.json', 'trust.json'] as const;

/** What each file holds and what an operator can safely do when it cannot be read. */
const REPAIR: Readonly<Record<string, string>> = {
  'journal.json':
    'it records an interrupted install or rollback, and skiff agent resume cannot tell how far that got. Check the containers with docker ps -a --filter label=skiff.app, then delete the file and run the interrupted command again (skiff agent install with the same bundle, or skiff agent rollback): it redeploys that release, or rolls back to the one state.json names if it is unhealthy',
  'state.json':
    'it records the installed release, its settings and history. Restore it from a backup of the state directory; without one, move it aside, remove the containers docker ps -a --filter label=skiff.app lists (named volumes are kept) and install the release again with skiff agent install --values',
  'trust.json':
    "it records the vendor root this agent pinned and the highest release it ran. Restore it from a backup of the state directory; without one, move it aside and pass the vendor's root.json with --trust to the next skiff agent install",
};

const corrupt = (path: string, what: string): SkiffError =>
  new SkiffError('STATE_INVALID', `${path} is corrupt (${what}): ${REPAIR[basename(path)] ?? 'restore it from a backup'}`);

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw corrupt(path, text.trim() === '' ? 'it is empty' : `not JSON: ${errorMessage(e)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(path, `${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'not the expected shape'}`);
  }
  return parsed.data;
}

/**
 * Test-only: SKIFF_TEST_KILL_AT=<step> kills the agent right after that step: a phase once it is journaled, or a
 * finer step (`swap:<service>:<step>`, `snapshot:<volume>`, `restore:<volume>`, `hook:<name>:started`).
 */
export function testKillPoint(step: string): void {
  if (process.env.SKIFF_TEST_KILL_AT === step) process.kill(process.pid, 'SIGKILL');
  if (process.env.SKIFF_TEST_PAUSE_AT === step) testPause(process.env.SKIFF_TEST_PAUSE_FILE);
}

/**
 * Test-only: SKIFF_TEST_PAUSE_AT=<step> with SKIFF_TEST_PAUSE_FILE=<file> holds the agent at that step (it writes
 * `<file>.reached`, then waits while `<file>` exists), so a test can restart the engine under a live agent. The wait
 * blocks on purpose: nothing of the agent may run while it is held.
 */
function testPause(file: string | undefined): void {
  if (!file) return;
  writeFileSync(`${file}.reached`, String(process.pid));
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 300_000;
  while (existsSync(file) && Date.now() < until) Atomics.wait(sleeper, 0, 0, 50);
}
