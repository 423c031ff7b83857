// Reads a vendor's compose.yaml: YAML syntax, the Skiff subset, settings and cross-references, each error with its line.
import { SkiffError } from '../util/errors.ts';
import { settingsOf } from './config.ts';
import { mapStrings, templateReferences } from './interpolate.ts';
import { formatPath, SyntaxIssue } from './issues.ts';
import type { Issue } from './issues.ts';
import { crossReferenceIssues } from './references.ts';
import type { ParsedCompose } from './types.ts';
import { validateCompose } from './validate.ts';
import type { YamlSource } from './yaml-source.ts';
import { loadYaml } from './yaml-source.ts';

/** The problem earliest in the file, with a count of the others. */
function firstProblem(file: string, source: YamlSource, issues: readonly Issue[]): SkiffError {
  const ranked = issues.map((issue) => ({ issue, line: source.lineOf(issue.path) ?? Number.MAX_SAFE_INTEGER })).sort((a, b) => a.line - b.line);
  const first = ranked[0];
  if (first === undefined) return new SkiffError('COMPOSE_INVALID', `${file} is not valid`);
  const where = first.line === Number.MAX_SAFE_INTEGER ? file : `${file} line ${first.line}`;
  const others = ranked.length - 1;
  const more = others === 0 ? '' : ` (and ${others} more problem${others === 1 ? '' : 's'})`;
  const code = first.issue.unsupported ? 'COMPOSE_UNSUPPORTED_KEY' : 'COMPOSE_INVALID';
  return new SkiffError(code, `${where}: ${formatPath(first.issue.path)} ${first.issue.message}${more}`);
}

function variableIssues(sections: Readonly<Record<string, unknown>>, declared: ReadonlySet<string>): Issue[] {
  const issues: Issue[] = [];
  for (const [section, value] of Object.entries(sections)) {
    mapStrings(
      value,
      (text, path) => {
        try {
          for (const ref of templateReferences(text)) {
            if (declared.has(ref.name) || ref.hasFallback) continue;
            issues.push({ path, message: `uses \${${ref.name}}, which x-skiff.config does not declare: declare it there, or write \${${ref.name}:-default}` });
          }
        } catch (e) {
          if (!(e instanceof SyntaxIssue)) throw e;
          issues.push({ path, message: e.message });
        }
        return text;
      },
      [section],
    );
  }
  return issues;
}

/** Parses and validates the file before interpolation: `${X}` stays textual in `raw`. */
export function parseCompose(text: string, file = 'compose.yaml'): ParsedCompose {
  const source = loadYaml(text, file, 'COMPOSE_INVALID');
  if (source.value === null || source.value === undefined) throw new SkiffError('COMPOSE_INVALID', `${file} is empty: it must define services`);
  const validated = validateCompose(source.value);
  if ('issues' in validated) throw firstProblem(file, source, validated.issues);
  const compose = validated.file;
  const config = settingsOf(compose);
  const declared = new Set(config.map((s) => s.name));
  const issues = [
    ...variableIssues({ services: compose.services, volumes: compose.volumes, networks: compose.networks }, declared),
    ...crossReferenceIssues(compose),
  ];
  if (issues.length > 0) throw firstProblem(file, source, issues);
  const imageRefs = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.image]));
  return { raw: validated.raw, ...(compose.name === undefined ? {} : { name: compose.name }), config, imageRefs };
}
