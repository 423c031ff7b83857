// `skiff values set|unset|list CUSTOMER[/INSTANCE] --app A`: per-site values at the hub, a customer's per app and an
// instance's overrides. A secret is sent once and never printed: lists show it as set or not set.
import { Command } from 'commander';
import { text } from 'node:stream/consumers';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions, type HubCalls } from './hub-options.ts';
import { printJson, runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string; app?: string };

interface ValuesAnswer {
  customer: string;
  app: string;
  instance: { id: string; name: string } | null;
  release: string | null;
  values: {
    name: string;
    level: string | null;
    secret: boolean;
    set: boolean;
    value?: string;
    declared: boolean;
    required: boolean;
  }[];
  held: { site: string; release: string; reason: string }[];
  sealed?: string[];
}

const SETTING = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The values route of `acme` (with --app) or `acme/gw-01` (an instance's name or id). */
async function valuesPath(client: HubCalls, site: string, app: string | undefined): Promise<string> {
  const [customer, instance, extra] = site.split('/');
  if (!customer || instance === '' || extra !== undefined)
    throw new SkiffError('USAGE', `"${site}" is not CUSTOMER or CUSTOMER/INSTANCE, e.g. acme or acme/gw-01`);
  if (instance === undefined) {
    if (!app)
      throw new SkiffError(
        'USAGE',
        `--app is required for customer "${customer}"'s values: they are per app`,
      );
    return `/customers/${encodeURIComponent(customer)}/apps/${encodeURIComponent(app)}/values`;
  }
  const { instances } = await client.get<{ instances: { id: string; name: string; app: string }[] }>(
    `/customers/${encodeURIComponent(customer)}/instances`,
  );
  const found = instances.find((i) => i.id === instance || i.name === instance);
  if (!found)
    throw new SkiffError(
      'NOT_FOUND',
      `customer "${customer}" has no instance "${instance}" (skiff instance list --customer ${customer} shows them)`,
    );
  if (app && found.app !== app)
    throw new SkiffError('USAGE', `instance ${instance} runs app "${found.app}", not "${app}"`);
  return `/instances/${found.id}/values`;
}

/** KEY=VALUE arguments; an argument without "=" is never echoed (it may be a secret typed in the wrong place). */
export function parseAssignments(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  args.forEach((arg, i) => {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new SkiffError('USAGE', `value argument ${i + 1} is not KEY=VALUE (it has no "=")`);
    const name = arg.slice(0, eq);
    if (!SETTING.test(name))
      throw new SkiffError(
        'USAGE',
        `value argument ${i + 1}: "${name.slice(0, 64)}" is not a setting name (letters, digits and _)`,
      );
    out[name] = arg.slice(eq + 1);
  });
  return out;
}

function table(a: ValuesAnswer): string {
  const site = `${a.customer}${a.instance ? `/${a.instance.name}` : ''}`;
  const head = `${site} (${a.app}${a.release ? `@${a.release}` : ', no release yet'}):\n`;
  if (a.values.length === 0) return `${head}  no settings\n`;
  const rows = a.values.map((v) => [
    v.name,
    v.secret ? (v.set ? '(secret, set)' : '(secret, not set)') : v.set ? (v.value ?? '') : '(not set)',
    v.level ?? '-',
    [v.required ? 'required' : '', v.declared ? '' : 'not a setting of this release']
      .filter(Boolean)
      .join(', '),
  ]);
  const widths = [0, 1, 2].map((c) =>
    Math.max(...[['SETTING', 'VALUE', 'FROM'], ...rows].map((r) => (r[c] ?? '').length)),
  );
  const line = (r: string[]) =>
    `  ${r
      .map((v, c) => (c < 3 ? v.padEnd(widths[c] ?? 0) : v))
      .join('  ')
      .trimEnd()}\n`;
  return head + line(['SETTING', 'VALUE', 'FROM', '']) + rows.map(line).join('');
}

function heldNotes(a: ValuesAnswer): string {
  return a.held
    .map((h) => `held back: ${h.site} cannot get ${a.app}@${h.release} yet: ${h.reason}\n`)
    .join('');
}

export function valuesCommand(out: Output = process.stdout): Command {
  const values = new Command('values').description(
    "per-site settings at the hub (a release's x-skiff.config): a customer's per app, an instance's over them",
  );

  withHubOptions(values.command('set <site> [assignments...]'))
    .description(
      'set values (KEY=VALUE …) of CUSTOMER or CUSTOMER/INSTANCE, checked against the release each site runs or would get',
    )
    .option('--app <app>', 'the app (required for a customer)')
    .option(
      '--secret',
      'these values are secret: sealed at the hub, never shown, sent only to the instance (settings the release declares secret always are)',
    )
    .option(
      '--stdin <key>',
      "read KEY's value from standard input (a final newline dropped): keeps a secret out of shell history and the process list",
    )
    .option('--json', 'print JSON')
    .action((site: string, assignments: string[], o: HubOpts & { secret?: boolean; stdin?: string; json?: boolean }) =>
      runAction(async () => {
        const set = parseAssignments(assignments);
        if (o.stdin !== undefined) {
          const [name] = Object.keys(parseAssignments([`${o.stdin}=`]));
          if (name === undefined || name in set) throw new SkiffError('USAGE', `--stdin ${o.stdin.slice(0, 64)}: the setting is also given as an argument; give it once`);
          set[name] = (await text(process.stdin)).replace(/\r?\n$/, '');
        }
        if (Object.keys(set).length === 0) throw new SkiffError('USAGE', 'no values given: pass KEY=VALUE arguments or --stdin KEY');
        const client = clientFrom(o);
        const a = await client.request<ValuesAnswer>('PATCH', await valuesPath(client, site, o.app), {
          set,
          ...(o.secret ? { secret: true } : {}),
        });
        if (o.json) return printJson(a);
        const sealed = new Set(a.sealed ?? []);
        out.write(
          `${site}: set ${Object.keys(set)
            .map((n) => (sealed.has(n) ? `${n} (secret)` : n))
            .join(', ')}\n${heldNotes(a)}`,
        );
      }),
    );

  withHubOptions(values.command('unset <site> <names...>'))
    .description(
      'remove values of CUSTOMER or CUSTOMER/INSTANCE (an instance then takes its customer’s, or the default)',
    )
    .option('--app <app>', 'the app (required for a customer)')
    .action((site: string, names: string[], o: HubOpts) =>
      runAction(async () => {
        const client = clientFrom(o);
        const a = await client.request<ValuesAnswer>('PATCH', await valuesPath(client, site, o.app), {
          unset: names,
        });
        out.write(`${site}: unset ${names.join(', ')}\n${heldNotes(a)}`);
      }),
    );

  withHubOptions(values.command('list <site>'))
    .description(
      'the values of CUSTOMER or CUSTOMER/INSTANCE and where each comes from (a secret shows as set or not set)',
    )
    .option('--app <app>', 'the app (required for a customer)')
    .option('--json', 'print JSON')
    .action((site: string, o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const client = clientFrom(o);
        const a = await client.get<ValuesAnswer>(await valuesPath(client, site, o.app));
        if (o.json) return printJson(a);
        out.write(table(a) + heldNotes(a));
      }),
    );

  return values;
}
