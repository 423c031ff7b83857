// Shared helpers for the trust tests: temp trust dirs and assertions on SkiffError codes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { isSkiffError, type SkiffErrorCode } from '../../src/util/errors.ts';

/** A fresh directory under the OS temp dir, removed when the test ends; returns a not-yet-existing trust dir path inside it. */
export async function tempTrustDir(t: TestContext): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'skiff-trust-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  return join(base, 'trust');
}

function matches(e: unknown, code: SkiffErrorCode, message?: RegExp): true {
  assert.ok(isSkiffError(e), `expected a SkiffError, got ${String(e)}`);
  assert.equal(e.code, code, `wrong code for: ${e.message}`);
  if (message) assert.match(e.message, message);
  return true;
}

export function throwsCode(fn: () => unknown, code: SkiffErrorCode, message?: RegExp): void {
  assert.throws(fn, (e) => matches(e, code, message));
}

export async function rejectsCode(
  promise: Promise<unknown>,
  code: SkiffErrorCode,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (e) => matches(e, code, message));
}
