// Reads a vendor's compose.yaml: YAML syntax, the Skiff subset, settings and cross-references, each error with its line.
import { SkiffError } from '../util/index.ts';
import { settingsOf } from './config.ts';
import { mapStrings, templateReferences } from './interpolate.ts';
import { formatPath, SyntaxIssue, type Issue } from './issues.ts';
import { crossReferenceIssues } from './references.ts';
import type { ParsedCompose } from './types.ts';
import { validateCompose } from './validate.ts';
import { type YamlSource, loadYaml } from './yaml-source.ts';

/** Every problem, earliest in the file first, one line each; a single problem is the whole message. */
function problems(file: string, source: YamlSource, issues: readonly Issue[]): SkiffError {
  const ranked = issues.map((issue) => ({ issue, line: source.lineOf(issue.path) })).sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  const lines = ranked.map(({ issue, line }) => `${line === undefined ? file : `${file} line ${line}`}: ${formatPath(issue.path)} ${issue.message}`);
  const first = ranked[0];
  if (first === undefined) return new SkiffError('COMPOSE_INVALID', `${file} is not valid`);
  const code = first.issue.unsupported ? 'COMPOSE_UNSUPPORTED_KEY' : 'COMPOSE_INVALID';
  if (lines.length === 1) return new SkiffError(code, lines[0]!);
  return new SkiffError(code, `${file} has ${lines.length} problems:`, { details: lines });
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
  if ('issues' in validated) throw problems(file, source, validated.issues);
  const compose = validated.file;
  const config = settingsOf(compose);
  const declared = new Set(config.map((s) => s.name));
  const issues = [
    ...variableIssues({ services: compose.services, volumes: compose.volumes, networks: compose.networks }, declared),
    ...crossReferenceIssues(compose),
  ];
  if (issues.length > 0) throw problems(file, source, issues);
  const imageRefs = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.image]));
  return { raw: validated.raw, ...(compose.name === undefined ? {} : { name: compose.name }), config, imageRefs };
}
