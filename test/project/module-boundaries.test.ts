// The lint rule that keeps module boundaries: another src/ module is imported only through its index.ts.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: resolve(import.meta.dirname, '../..') });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(import.meta.dirname, '../..', file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'skiff/module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('refuses an import past another module’s index.ts, naming what to import instead', async () => {
    const [msg] = await problems('src/agent/example.ts', "import { SkiffError } from '../util/errors.ts';\nexport const e = SkiffError;\n");
    assert.match(msg ?? '', /'\.\.\/util\/errors\.ts' reaches inside module 'util': import it from 'util\/index\.ts'/);
    assert.equal((await problems('src/agent/example.ts', "export { parseDigest } from '../oci/digest.ts';\n")).length, 1, 're-exports too');
  });

  it('allows the index.ts of another module and any file of the same module', async () => {
    assert.deepEqual(await problems('src/agent/example.ts', "import { SkiffError } from '../util/index.ts';\nexport const e = SkiffError;\n"), []);
    assert.deepEqual(await problems('src/agent/connected/example.ts', "import { StateDir } from '../state.ts';\nexport const s = StateDir;\n"), []);
    assert.deepEqual(await problems('src/hub/example.ts', "import { distributionPlugin } from '../oci/distribution/index.ts';\nexport const d = distributionPlugin;\n"), []);
  });

});
