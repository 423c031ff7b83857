// `skiff fleet` and `skiff instance list|show|revoke|install-now|policy|tag|approve|approvals`: the connected sites as the hub sees them.
import { Command } from 'commander';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { policyBody } from './customer.ts';
import { printJson, runAction } from './run.ts';
import { SkiffError } from '../util/index.ts';
import type { Operations } from '../../web/src/api-types.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };

/** An instance as the hub documents it (web/src/api-types.ts, generated from the hub's OpenAPI document). */
type InstanceView = Operations['GET /instances']['response']['instances'][number];

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function table(list: readonly InstanceView[]): string {
  const head = ['CUSTOMER', 'INSTANCE', 'APP', 'VERSION', 'DESIRED', 'HEALTH', 'LAST SEEN', 'LAST ERROR / HELD BACK'];
  const rows = list.map((i) => [
    i.customer, `${i.name} (${i.id.slice(0, 8)})`, i.app, i.currentVersion ?? '-', i.desiredVersion ?? '-',
    i.revokedAt ? 'revoked' : (i.health ?? 'unknown'), i.lastSeenAt ?? 'never', [i.lastError, i.blockedReason].filter(Boolean).join('; '),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

function listOptions(cmd: Command): Command {
  return withHubOptions(cmd)
    .option('--app <app>', 'only this app')
    .option('--version <version>', 'only instances running this version')
    .option('--health <health>', 'healthy, unhealthy or unknown')
    .option('--customer <name>', 'only this customer')
    .option('--tag <key=value>', 'only instances with this tag (repeatable: all must match)', collect, [])
    .option('--search <text>', 'only instances whose id, name, customer, version or tags (key=value) hold every word')
    .option('--json', 'print JSON');
}

async function listFleet(o: HubOpts & { app?: string; version?: string; health?: string; customer?: string; tag?: string[]; search?: string; json?: boolean }, out: Output): Promise<void> {
  const q = new URLSearchParams(Object.entries({ app: o.app, version: o.version, health: o.health, customer: o.customer, q: o.search }).flatMap(([k, v]) => (v ? [[k, v]] : [])));
  if (o.tag?.length) {
    const { parseTag } = await import('../fleet/index-tags.ts');
    for (const t of o.tag) q.append('tag', parseTag(t, '--tag').join('='));
  }
  const { instances } = await clientFrom(o).get<Operations['GET /instances']['response']>(`/instances${q.size ? `?${q}` : ''}`);
  if (o.json) printJson(instances);
  else out.write(instances.length === 0 ? 'no instances\n' : table(instances));
}

export function fleetCommand(out: Output = process.stdout): Command {
  return listOptions(new Command('fleet'))
    .description('every connected instance: what it runs, what it should run, its health, last check-in and last error')
    .action((o: HubOpts & { app?: string; json?: boolean }) => runAction(() => listFleet(o, out)));
}

export function instanceCommand(out: Output = process.stdout): Command {
  const instance = new Command('instance').description('enrolled instances (connected sites) on the hub');

  listOptions(instance.command('list'))
    .description('list instances (as skiff fleet)')
    .action((o: HubOpts) => runAction(() => listFleet(o, out)));

  withHubOptions(instance.command('show <id>'))
    .description('one instance: status, services, and its history of versions, health and errors')
    .option('--json', 'print JSON')
    .action((id: string, o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const i = await clientFrom(o).get<Operations['GET /instances/:id']['response']>(`/instances/${encodeURIComponent(id)}`);
        if (o.json) return printJson(i);
        out.write(table([i]));
        if (Object.keys(i.tags).length > 0) out.write(`tags: ${Object.entries(i.tags).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
        if (i.lastOutage) out.write(`last outage: the hub was out of reach from ${i.lastOutage.since} to ${i.lastOutage.until} (${i.lastOutage.failedPolls} failed polls)\n`);
        for (const s of i.services) out.write(`  ${s.service.padEnd(16)} ${s.state} ${s.health}\n`);
        for (const h of i.history) out.write(`${h.at}  ${h.kind.padEnd(8)} ${JSON.stringify(h.detail)}\n`);
      }),
    );

  withHubOptions(instance.command('revoke <id>'))
    .description("revoke an instance's credential (it gets 401 from then on)")
    .action((id: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).post(`/instances/${encodeURIComponent(id)}/revoke`, {});
        out.write(`instance ${id} revoked\n`);
      }),
    );

  withHubOptions(instance.command('install-now <id>'))
    .description('switch at the next poll, even outside the maintenance windows')
    .action((id: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).post(`/instances/${encodeURIComponent(id)}/install-now`, {});
        out.write(`instance ${id} installs at its next poll\n`);
      }),
    );

  withHubOptions(instance.command('policy <id>'))
    .description("pin an instance to a version and/or set its own maintenance windows")
    .option('--pin <version>', 'stay on this version')
    .option('--unpin', "follow the customer's pin or the channel again")
    .option('--window <spec>', 'a weekly window "DAYS HH:MM-HH:MM TIMEZONE" (repeatable)', collect, [])
    .option('--no-windows', "use the customer's windows")
    .action((id: string, o: HubOpts & { pin?: string; unpin?: boolean; window: string[]; windows: boolean }) =>
      runAction(async () => {
        await clientFrom(o).request('PATCH', `/instances/${encodeURIComponent(id)}/policy`, await policyBody(o));
        out.write(`instance ${id}: policy set\n`);
      }),
    );

  withHubOptions(instance.command('tag <id> [tags...]'))
    .description('set tags (key=value, lowercase) on an instance, which rollouts target (skiff rollout create --tag)')
    .option('--remove <key>', 'remove this tag (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((id: string, tags: string[], o: HubOpts & { remove: string[]; json?: boolean }) =>
      runAction(async () => {
        const { parseTag } = await import('../fleet/index-tags.ts');
        const set = Object.fromEntries(tags.map((t) => parseTag(t, 'tag')));
        if (tags.length === 0 && o.remove.length === 0) throw new SkiffError('USAGE', 'name tags to set (key=value) or --remove KEY');
        const i = await clientFrom(o).request<Operations['PATCH /instances/:id/tags']['response']>('PATCH', `/instances/${encodeURIComponent(id)}/tags`, { ...(tags.length ? { set } : {}), ...(o.remove.length ? { remove: o.remove } : {}) });
        if (o.json) return printJson(i);
        out.write(`instance ${id}: tags ${Object.entries(i.tags).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}\n`);
      }),
    );

  withHubOptions(instance.command('approve <id> <version>'))
    .description("approve upgrading this one instance up to a version (when its customer requires approval); the customer's other instances stay held")
    .action((id: string, version: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).post(`/instances/${encodeURIComponent(id)}/approvals`, { version });
        out.write(`instance ${id}: upgrades up to ${version} approved\n`);
      }),
    );

  withHubOptions(instance.command('approvals <id>'))
    .description('whether the instance needs approval, and the versions approved for it and for its customer')
    .action((id: string, o: HubOpts) => runAction(async () => printJson(await clientFrom(o).get(`/instances/${encodeURIComponent(id)}/approvals`))));

  return instance;
}
