// The `hub serve` process's last-resort handlers: a client's hang-up that escaped every listener is logged and the
// process serves on; any other uncaught error is logged as fatal and the process exits 1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isClientGone } from '../../src/hub/last-resort.ts';
import { SkiffError } from '../../src/util/errors.ts';

const coded = (code: string) => Object.assign(new Error(code), { code });

describe('last-resort error handlers', () => {
  it('tell a client hang-up from everything else', () => {
    for (const e of [coded('ERR_STREAM_PREMATURE_CLOSE'), coded('ECONNRESET'), coded('EPIPE'), new DOMException('aborted', 'AbortError'), new Error('wrapped', { cause: coded('ABORT_ERR') })])
      assert.equal(isClientGone(e), true, String(e));
    for (const e of [new TypeError('x is undefined'), new SkiffError('INTERNAL', 'db broke'), coded('ENOSPC'), 'ECONNRESET', undefined])
      assert.equal(isClientGone(e), false, String(e));
  });

  it('keep a process serving after a hang-up escaped as uncaught, and end it on any other error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-last-resort-'));
    try {
      const script = join(dir, 'child.mjs');
      const module = new URL('../../src/hub/last-resort.ts', import.meta.url).href;
      await writeFile(
        script,
        `import { PassThrough } from 'node:stream';
import { installLastResort } from ${JSON.stringify(module)};
const log = { warn: (_o, m) => console.log('warn:', m), fatal: (_o, m) => console.log('fatal:', m) };
installLastResort(log);
new PassThrough().destroy(Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
void Promise.reject(new DOMException('client left', 'AbortError'));
setTimeout(() => console.log('still serving'), 50);
setTimeout(() => { throw new TypeError('a bug'); }, 100);
setTimeout(() => console.log('never printed'), 5000);
`,
      );
      const run = promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 });
      const failed = await run.then(
        () => assert.fail('the process should exit 1 on the TypeError'),
        (e: { code?: number; stdout?: string }) => e,
      );
      assert.equal(failed.code, 1);
      assert.deepEqual(failed.stdout?.trim().split('\n'), [
        'warn: uncaught exception from a stream whose client went away; serving on',
        'warn: unhandled rejection from a stream whose client went away; serving on',
        'still serving',
        "fatal: uncaught exception; exiting, as the hub's state is unknown",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
