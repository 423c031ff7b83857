// Per-site configuration: the settings x-skiff.config declares, and checking a site's values against them.
import { SkiffError } from '../util/index.ts';
import { SyntaxIssue } from './issues.ts';
import type { ComposeFile } from './schema.ts';
import { settingText } from './setting-value.ts';
import type { ConfigSetting } from './types.ts';
import { loadYaml } from './yaml-source.ts';

export function settingsOf(file: ComposeFile): ConfigSetting[] {
  return Object.entries(file['x-skiff']?.config ?? {}).map(([name, s]) => ({
    name,
    type: s.type,
    ...(s.default === undefined ? {} : { default: s.default }),
    required: s.required ?? false,
    secret: s.secret ?? false,
    ...(s.description === undefined ? {} : { description: s.description }),
  }));
}

/** Checks every value, reporting all problems in one line; values never appear in messages (some are secret). */
export function resolveValues(settings: readonly ConfigSetting[], values: Readonly<Record<string, unknown>>): Readonly<Record<string, string>> {
  const problems: string[] = [];
  const resolved: Record<string, string> = {};
  const known = new Set(settings.map((s) => s.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) {
      const list = settings.length === 0 ? 'this release declares none' : `known: ${[...known].join(', ')}`;
      problems.push(`${name} is not a setting of this release (${list})`);
    }
  }
  for (const setting of settings) {
    const value = Object.hasOwn(values, setting.name) ? values[setting.name] : undefined;
    if (value === undefined || value === null) {
      if (setting.default !== undefined) resolved[setting.name] = settingText(setting.type, setting.default);
      else if (setting.required) problems.push(`setting ${setting.name} is required${setting.description ? ` (${setting.description})` : ''}: set it in the values`);
      continue;
    }
    try {
      resolved[setting.name] = settingText(setting.type, value);
    } catch (e) {
      if (!(e instanceof SyntaxIssue)) throw e;
      problems.push(`setting ${setting.name} ${e.message}`);
    }
  }
  if (problems.length > 0) throw new SkiffError('CONFIG_INVALID', `invalid values: ${problems.join('; ')}`);
  return resolved;
}

/** A values.yaml: a flat mapping NAME: value; an empty file means no values. */
export function parseValuesYaml(text: string, file = 'values.yaml'): Record<string, unknown> {
  const source = loadYaml(text, file, 'CONFIG_INVALID');
  if (source.value === null || source.value === undefined) return {};
  if (typeof source.value !== 'object' || Array.isArray(source.value)) {
    throw new SkiffError('CONFIG_INVALID', `${file} line ${source.lineOf([]) ?? 1}: must be a mapping of setting names to values`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source.value)) {
    if (value !== null && typeof value === 'object') {
      throw new SkiffError('CONFIG_INVALID', `${file} line ${source.lineOf([name]) ?? 1}: ${name} must be a single value, not a list or mapping`);
    }
    values[name] = value;
  }
  return values;
}

/** The values of secret settings, longest first so that redacting one never leaves part of another. */
export function secretValues(settings: readonly ConfigSetting[], values: Readonly<Record<string, string>>): readonly string[] {
  const secrets = new Set<string>();
  for (const setting of settings) {
    const value = setting.secret ? values[setting.name] : undefined;
    if (value !== undefined && value !== '') secrets.add(value);
  }
  return [...secrets].sort((a, b) => b.length - a.length || a.localeCompare(b));
}
