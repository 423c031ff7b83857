// `skiff app create|roots|list`: register an app on the hub with its root.json.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };

// Libraries load when a command runs, not when it is defined: `skiff app --help` starts without them.
const trustLib = () => import('../trust/index.ts');

function readRoot(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((e: unknown) => {
    throw new SkiffError('USAGE', fsErrorMessage(e, '--root', { path }) ?? `--root ${path} cannot be read: ${errorMessage(e)}`, { cause: e });
  });
}

export function appCommand(out: Output = process.stdout): Command {
  const app = new Command('app').description('apps on the hub');

  withHubOptions(app.command('create <app>'))
    .description("create an app on the hub with its vendor root.json (version 1)")
    .requiredOption('--root <file>', 'the root.json of the vendor trust dir')
    .action((name: string, o: HubOpts & { root: string }) =>
      runAction(async () => {
        const root = await readRoot(o.root);
        await clientFrom(o).post('/apps', { name, root });
        out.write(`app ${name} created\n`);
      }),
    );

  withHubOptions(app.command('roots <app>'))
    .description("add the app's next root.json after `skiff trust rotate` (the hub accepts it only along the chain)")
    .requiredOption('--root <file>', 'the new root.json of the vendor trust dir')
    .action((name: string, o: HubOpts & { root: string }) =>
      runAction(async () => {
        const root = await readRoot(o.root);
        await clientFrom(o).post(`/apps/${encodeURIComponent(name)}/roots`, { root });
        out.write(`app ${name}: root.json added\n`);
      }),
    );

  withHubOptions(app.command('timestamp-key <app>'))
    .description("give the hub the app's timestamp key from the trust dir, so it can sign what connected agents should run")
    .requiredOption('--trust <dir>', 'the vendor trust dir (skiff trust init)')
    .action((name: string, o: HubOpts & { trust: string }) =>
      runAction(async () => {
        const key = await (await (await trustLib()).loadTrustDir(o.trust)).timestampKeyPem();
        if (!key) throw new SkiffError('USAGE', `${o.trust} has no timestamp key: add one with skiff trust rotate --dir ${o.trust} --timestamp, push the new root (skiff app roots), then run this again`);
        const r = await clientFrom(o).request<{ keyid: string }>('PUT', `/apps/${encodeURIComponent(name)}/keys/timestamp`, { key });
        out.write(`app ${name}: the hub signs desired state with timestamp key ${r.keyid.slice(0, 8)}\n`);
      }),
    );

  withHubOptions(app.command('list'))
    .description('list apps')
    .option('--json', 'print JSON')
    .action((o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const { apps } = await clientFrom(o).get<{ apps: { name: string; createdAt: string }[] }>('/apps');
        out.write(o.json ? JSON.stringify(apps, null, 2) + '\n' : apps.map((a) => `${a.name}\t${a.createdAt}\n`).join(''));
      }),
    );

  return app;
}
