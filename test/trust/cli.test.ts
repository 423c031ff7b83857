// `skiff trust init | rotate | show` through the commander group, as the lead's main program registers it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trustCommand } from '../../src/cli/trust.ts';
import { loadTrustDir } from '../../src/trust/index.ts';
import { rejectsCode, tempTrustDir } from './fixtures.ts';

async function run(args: readonly string[]): Promise<string> {
  let text = '';
  const command = trustCommand({ write: (s: string) => (text += s) });
  command.exitOverride().configureOutput({ writeErr: () => undefined });
  for (const sub of command.commands) sub.exitOverride().configureOutput({ writeErr: () => undefined });
  await command.parseAsync([...args], { from: 'user' });
  return text;
}

test('init, rotate and show print short summaries', async (t) => {
  const dir = await tempTrustDir(t);
  const init = await run(['init', '--dir', dir, '--expires-days', '30']);
  assert.match(init, /root\.json version 1, expires /);
  assert.match(init, /root keys \(threshold 1\): [0-9a-f]{8}\n/);
  const oldRelease = (await loadTrustDir(dir)).root.signed.roles.release.keyids[0]?.slice(0, 8) ?? '';

  const rotated = await run(['rotate', '--dir', dir, '--no-root']);
  assert.match(rotated, /root\.json version 2/);
  assert.match(rotated, new RegExp(`revoked release keys: ${oldRelease}`));

  const shown = await run(['show', '--dir', dir]);
  assert.match(shown, /version 2[\s\S]*chain: root\.1 \.\. root\.2/);
  const json = JSON.parse(await run(['show', '--dir', dir, '--json'])) as {
    version: number;
    chain: number;
    roles: { release: { keyids: string[] } };
  };
  assert.equal(json.version, 2);
  assert.equal(json.chain, 2);
  assert.equal(json.roles.release.keyids.length, 1);
});

test('bad flags and an existing dir are refused with a one-line reason', async (t) => {
  const dir = await tempTrustDir(t);
  await assert.rejects(run(['init', '--dir', dir, '--expires-days', 'soon']), /positive number of days/);
  await assert.rejects(run(['init']), /--dir/);
  await run(['init', '--dir', dir]);
  await rejectsCode(run(['init', '--dir', dir]), 'CONFLICT');
});
