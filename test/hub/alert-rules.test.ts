// The shipped Prometheus rules file passes Debian's promtool, and names the same alerts, with the same silence
// threshold, as the rules the hub evaluates itself.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ALERT_RULES, DEFAULT_SILENT_AFTER_MS } from '../../src/hub/alerts/rules.ts';
import { RULES_FILE } from '../helpers/prometheus.ts';

test('promtool check rules accepts deploy/prometheus/skiff-rules.yml', async () => {
  const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', RULES_FILE], { timeout: 60_000 });
  assert.match(stdout, /SUCCESS: 3 rules found/);
});

test('the rules file and the hub evaluate the same alerts with the same silence threshold', async () => {
  const doc = parse(await readFile(RULES_FILE, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);
  assert.deepEqual(rules.map((r) => r.alert).sort(), Object.values(ALERT_RULES).sort());
  const silent = rules.find((r) => r.alert === ALERT_RULES['instance-silent']);
  assert.match(silent?.expr ?? '', new RegExp(`> ${DEFAULT_SILENT_AFTER_MS / 60_000} \\* 60$`));
});
