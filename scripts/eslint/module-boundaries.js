// An ESLint rule for src/: a module (a top-level folder of src/) is imported from another module only through an
// index.ts of it (its public API), never through its inner files. A module may also offer narrower public entries,
// `index-<part>.ts` beside its index.ts, for callers that must not load the whole module (a one-shot command's start-up).
import { dirname, relative, resolve, sep } from 'node:path';

const moduleOf = (srcDir, file) => {
  const rel = relative(srcDir, file);
  return rel.startsWith('..') ? undefined : rel.split(sep)[0];
};

/** An index.ts, or a module's `src/<module>/index-<part>.ts`: public entries. */
const isPublicEntry = (srcDir, target) => {
  if (target.endsWith(`${sep}index.ts`)) return true;
  const parts = relative(srcDir, target).split(sep);
  return parts.length === 2 && /^index-[a-z0-9-]+\.ts$/.test(parts[1]);
};

export default {
  meta: {
    type: 'problem',
    docs: { description: 'import another src/ module only through its index.ts' },
    messages: {
      inner: "'{{source}}' reaches inside module '{{module}}': import it from '{{module}}/index.ts' or a narrower '{{module}}/index-<part>.ts' (export what you need there)",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const srcDir = resolve(context.cwd, 'src');
    const from = moduleOf(srcDir, file);
    if (from === undefined) return {};
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const to = moduleOf(srcDir, target);
      if (to === undefined || to === from || isPublicEntry(srcDir, target) || !target.includes(sep)) return;
      context.report({ node: node.source, messageId: 'inner', data: { source, module: to } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};
