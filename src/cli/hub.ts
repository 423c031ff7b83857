// `skiff hub init|serve|audit verify`: create a hub's data dir and first admin, run the hub, check its audit chain.
import { Command } from 'commander';
import type { NotifyFlags } from '../hub/index.ts';
import { SkiffError } from '../util/index.ts';
import { addHubAirgapCommands } from './hub-airgap.ts';
import { importPart, runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

/** The hub (Fastify, the database drivers), loaded when a command runs: `skiff hub --help` starts without it. */
const hubLib = importPart('hub', () => import('../hub/index.ts'));

interface DataOpts {
  data: string;
  database?: string;
}

export function hubCommand(out: Output = process.stdout): Command {
  const hub = new Command('hub').description('run the vendor hub: releases, channels, customers, the OCI pull API');

  hub
    .command('init')
    .description('create the database and the first admin (prints a one-time password and an admin API token)')
    .requiredOption('--data <dir>', 'data directory (SQLite file and blob store)')
    .option('--database <url>', 'PostgreSQL URL (postgres://…) instead of SQLite')
    .option('--admin <name>', 'name of the first admin', 'admin')
    .action((o: DataOpts & { admin: string }) =>
      runAction(async () => {
        const r = await (await hubLib()).initHub({ dataDir: o.data, database: o.database, admin: o.admin });
        out.write(
          [
            `hub initialized in ${o.data}`,
            `admin user:      ${r.username}`,
            `admin password:  ${r.password}   (shown once)`,
            `admin API token: ${r.token}   (shown once; use as --token or SKIFF_TOKEN)`,
            '',
          ].join('\n'),
        );
      }),
    );

  hub
    .command('serve')
    .description('serve the hub until interrupted')
    .requiredOption('--data <dir>', 'data directory made by `skiff hub init`')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:8443')
    .option('--database <url>', 'PostgreSQL URL (postgres://…) instead of SQLite')
    .option('--blob-registry <url>', 'keep blobs in this OCI registry instead of the data directory')
    .option('--tls-cert <file>', 'PEM certificate (with --tls-key) to serve HTTPS')
    .option('--tls-key <file>', 'PEM private key')
    .option('--smtp <url>', 'send notification e-mail through this SMTP server (smtp://host:port, smtps://user:pass@host:465)')
    .option('--mail-from <address>', 'the sender of notification e-mail', 'skiff-hub@localhost')
    .option('--silent-after <minutes>', 'an instance not seen for this long fires instance.silent once (0: never)', '15')
    .option('--notify-retry <ms>', 'delay before the first retry of a failed delivery; doubles each time', '10000')
    .option('--notify-timeout <ms>', 'how long one webhook call or e-mail may take', '10000')
    .option('--syslog <url>', "forward every log line from the agents to the vendor's log system: tcp://host:port or tls://host:port (RFC 5424)")
    .option('--syslog-ca <file>', 'PEM CA certificate that signed the syslog server (with --syslog tls://…)')
    .option('--syslog-cert <file>', "PEM client certificate the hub shows the syslog server (with --syslog-key), when it asks for one")
    .option('--syslog-key <file>', 'PEM private key of --syslog-cert')
    .action((o: DataOpts & NotifyFlags & { listen: string; blobRegistry?: string; tlsCert?: string; tlsKey?: string; syslog?: string; syslogCa?: string; syslogCert?: string; syslogKey?: string }) =>
      runAction(async () => {
        const running = await (await hubLib()).startHubServer({
          dataDir: o.data,
          listen: o.listen,
          database: o.database,
          blobRegistry: o.blobRegistry,
          tlsCert: o.tlsCert,
          tlsKey: o.tlsKey,
          syslog: o.syslog,
          syslogCa: o.syslogCa,
          syslogCert: o.syslogCert,
          syslogKey: o.syslogKey,
          logger: true,
          lastResort: true,
          notify: (await hubLib()).notifyOptionsFrom({ ...o, mailFrom: o.smtp === undefined ? undefined : o.mailFrom }),
        });
        out.write(`skiff hub listening on ${running.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void running.close().then(resolve, resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );

  const audit = hub.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('check that no audit entry was edited or deleted')
    .requiredOption('--data <dir>', 'data directory')
    .option('--database <url>', 'PostgreSQL URL (postgres://…) instead of SQLite')
    .action((o: DataOpts) =>
      runAction(async () => {
        const v = await (await hubLib()).verifyHubAudit({ dataDir: o.data, database: o.database });
        if (!v.ok) throw new SkiffError('STATE_INVALID', `audit log is broken at entry ${v.firstBadId}: ${v.reason}`);
        out.write(`audit log intact: ${v.entries} entries\n`);
      }),
    );

  addHubAirgapCommands(hub, out);
  return hub;
}
