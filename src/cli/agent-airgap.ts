// `skiff agent enroll --offline`, `skiff agent report` and `skiff agent support-bundle`: an air-gapped site enrolls by
// request and answer files and carries its signed reports to the hub by hand; any site writes (and may send) a support bundle.
import type { Command } from 'commander';
import { SkiffError } from '../util/index.ts';
import { runAction } from './run.ts';

/** The agent's library, loaded when a command runs (not for --help). */
const agentLib = () => import('../agent/index.ts');

type EnrollFlags = { state: string; offline?: boolean; enrollToken?: string; answer?: string; output?: string; name?: string };

export function addAirgapCommands(cmd: Command): void {
  cmd
    .command('enroll')
    .description('enroll an air-gapped instance: --offline --enroll-token T -o request.json, carry it to the vendor, then --offline --answer answer.json')
    .requiredOption('--state <dir>', "the agent's state directory")
    .option('--offline', 'enroll by files (the only way this command enrolls; a connected agent enrolls with skiff agent run --enroll-token)')
    .option('--enroll-token <token>', 'the token from skiff customer enroll-token: writes the request file')
    .option('-o, --output <file>', 'where to write the request file (with --enroll-token)')
    .option('--answer <file>', 'the answer file from skiff hub answer-enroll: completes the enrollment')
    .option('--name <name>', 'the instance name shown at the hub (default: the host name)')
    .action((o: EnrollFlags) =>
      runAction(async () => {
        if (!o.offline) throw new SkiffError('USAGE', 'skiff agent enroll enrolls by files: pass --offline (a connected agent enrolls with skiff agent run --hub URL --enroll-token T)');
        if ((o.enrollToken === undefined) === (o.answer === undefined)) throw new SkiffError('USAGE', 'pass either --enroll-token T -o request.json (step 1) or --answer answer.json (step 2)');
        if (o.enrollToken !== undefined) {
          if (!o.output) throw new SkiffError('USAGE', 'pass -o request.json: where to write the request file to carry to the vendor');
          const req = await (await agentLib()).requestOfflineEnrollment(o.state, o.enrollToken, o.output, o.name);
          process.stdout.write(`wrote ${o.output} (instance ${req.name}); the vendor answers it with skiff hub answer-enroll ${o.output} -o answer.json\n`);
          return;
        }
        const id = await (await agentLib()).completeOfflineEnrollment(o.state, o.answer!);
        process.stdout.write(`enrolled as ${id.app} instance ${id.instanceId} (${id.name}); write reports with skiff agent report --state ${o.state} -o report.skiffr\n`);
      }),
    );
  cmd
    .command('report')
    .description("write the air-gapped report: status, history and redacted logs since the last report, signed with this instance's key")
    .requiredOption('--state <dir>', "the agent's state directory")
    .requiredOption('-o, --output <file>', 'the report file to write (.skiffr)')
    .option('--since <seq>', 're-export: cover everything since report SEQ (the last the hub has, as its import message says), for reports lost on the way')
    .action((o: { state: string; output: string; since?: string }) =>
      runAction(async () => {
        if (o.since !== undefined && !/^\d{1,9}$/.test(o.since)) throw new SkiffError('USAGE', `--since "${o.since}" is not a report number: give the last report the hub has (0: everything since enrollment)`);
        const r = await (await agentLib()).writeAirgapReport(o.state, o.output, o.since === undefined ? {} : { since: Number(o.since) });
        if (r.logsMissing) process.stderr.write(`skiff: no container logs in the report: ${r.logsMissing}\n`);
        process.stdout.write(`wrote report ${r.seq} to ${r.file} (${r.bytes} bytes); import it with skiff hub import-report ${r.file}\n`);
      }),
    );
  cmd
    .command('support-bundle')
    .description('collect logs, docker inspect, the agent journal and history and host facts into one redacted .tar.gz (spec.json inside lists what was collected)')
    .requiredOption('--state <dir>', "the agent's state directory")
    .requiredOption('-o, --output <file>', 'the bundle to write (.tar.gz)')
    .option('--upload', 'also send it to the hub this instance enrolled with')
    .option('--hub-ca <file>', "PEM file of the CA that issued the hub's certificate (with --upload)")
    .action((o: { state: string; output: string; upload?: boolean; hubCa?: string }) =>
      runAction(async () => {
        const spec = await (await agentLib()).createSupportBundle(o.state, o.output);
        for (const c of spec.collectors.filter((x) => x.error !== undefined)) process.stderr.write(`skiff: collector ${c.name} failed: ${c.error}\n`);
        process.stdout.write(`wrote ${o.output} (${spec.collectors.reduce((n, c) => n + c.files.length, 0)} files)\n`);
        if (o.upload) {
          const r = await (await agentLib()).uploadOwnSupportBundle(o.state, o.output, o.hubCa);
          process.stdout.write(`uploaded to the hub as ${r.id} (${r.size} bytes)\n`);
        }
      }),
    );
}
