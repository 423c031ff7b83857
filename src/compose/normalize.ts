// From a release's Compose document and a site's resolved values to the typed project the agent applies.
import { SkiffError } from '../util/index.ts';
import { secretValues, settingsOf } from './config.ts';
import { parseLogEntry } from './log-files.ts';
import { toServiceSpec } from './convert.ts';
import { parseDuration } from './duration.ts';
import { splitShellWords } from './shell-words.ts';
import { interpolate, mapStrings } from './interpolate.ts';
import { formatPath, SyntaxIssue, type DocPath, type Issue } from './issues.ts';
import { crossReferenceIssues } from './references.ts';
import type { ComposeFile } from './schema.ts';
import type { ComposeProject } from './types.ts';
import { validateCompose } from './validate.ts';

const INTERPOLATED_SECTIONS = ['services', 'volumes', 'networks'] as const;

function fail(issues: readonly Issue[], redact: (text: string) => string, suffix = ''): never {
  const [first] = issues;
  const message = first === undefined ? 'is not valid' : `${formatPath(first.path)} ${first.message}`;
  throw new SkiffError(first?.unsupported ? 'COMPOSE_UNSUPPORTED_KEY' : 'COMPOSE_INVALID', redact(`compose: ${message}${suffix}`));
}

function toProject(file: ComposeFile, config: ComposeProject['config']): ComposeProject {
  const services = Object.fromEntries(Object.entries(file.services).map(([name, s]) => [name, toServiceSpec(name, s)]));
  const networks = Object.keys(file.networks ?? {});
  const usesDefault = Object.values(services).some((s) => s.networks.includes('default'));
  if (usesDefault && !networks.includes('default')) networks.push('default');
  const ext = file['x-skiff'];
  const snapshot = Object.fromEntries(Object.entries(ext?.volumes ?? {}).flatMap(([name, v]) => (v.snapshot === undefined ? [] : [[name, v.snapshot]])));
  const hooks = (['pre-upgrade', 'post-upgrade'] as const).flatMap((name) => {
    const h = ext?.hooks?.[name];
    if (h === undefined) return [];
    return [{ name, service: h.service, command: typeof h.command === 'string' ? splitShellWords(h.command) : h.command, ...(h.timeout === undefined ? {} : { timeoutNs: parseDuration(h.timeout) }) }];
  });
  const logs = (ext?.logs ?? []).map(parseLogEntry);
  return { services, volumes: Object.keys(file.volumes ?? {}), networks, config, snapshot, hooks, logs };
}

/**
 * Interpolates `values` (from resolveValues) into the document, then checks it again, since values can break syntax.
 * A declared setting without a value reads as ''; a name x-skiff.config does not declare is an error.
 */
export function normalizeCompose(raw: unknown, values: Readonly<Record<string, string>>): ComposeProject {
  const plain = (text: string): string => text;
  const checked = validateCompose(raw);
  if ('issues' in checked) fail(checked.issues, plain);
  const config = settingsOf(checked.file);
  const secrets = secretValues(config, values);
  const redact = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  const declared = new Set(config.map((s) => s.name));
  const lookup = (name: string): string | undefined => (Object.hasOwn(values, name) ? values[name] : undefined);
  const missing = (name: string): string => {
    if (declared.has(name)) return '';
    throw new SyntaxIssue(`uses \${${name}}, which is not a setting in x-skiff.config`);
  };
  const document = { ...(checked.raw as Record<string, unknown>) };
  const fill = (value: unknown, at: DocPath): unknown =>
    mapStrings(
      value,
      (text, path) => {
        try {
          return interpolate(text, lookup, missing);
        } catch (e) {
          if (e instanceof SyntaxIssue) fail([{ path, message: e.message }], redact);
          throw e;
        }
      },
      at,
    );
  for (const section of INTERPOLATED_SECTIONS) {
    if (document[section] !== undefined) document[section] = fill(document[section], [section]);
  }
  // x-skiff.logs names files where the site's settings put them ("data:/var/log/${LOG_DIR}/*.log"); the rest of x-skiff is the vendor's, as written.
  const ext = document['x-skiff'];
  if (typeof ext === 'object' && ext !== null && 'logs' in ext && ext.logs !== undefined) document['x-skiff'] = { ...ext, logs: fill(ext.logs, ['x-skiff', 'logs']) };
  const filled = validateCompose(document);
  if ('issues' in filled) fail(filled.issues, redact, ' (with this site\'s settings filled in)');
  const references = crossReferenceIssues(filled.file);
  if (references.length > 0) fail(references, redact, ' (with this site\'s settings filled in)');
  return toProject(filled.file, config);
}
