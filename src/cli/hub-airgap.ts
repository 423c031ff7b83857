// `skiff hub answer-enroll` and `skiff hub import-report`: the vendor's side of the air gap, through the hub's API.
import type { Command } from 'commander';
import { writeJsonAtomic } from '../util/index.ts';
import { connectionOf, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

type HubFlags = { hub?: string; token?: string; hubCa?: string };

export function addHubAirgapCommands(hub: Command, out: { write(text: string): unknown }): void {
  withHubOptions(
    hub
      .command('answer-enroll')
      .description('answer an air-gapped agent’s enrollment request file (uses its enrollment token, as an online enrollment does)')
      .argument('<request.json>', 'the file skiff agent enroll --offline wrote')
      .requiredOption('-o, --output <file>', 'the answer file to carry back to the site'),
  ).action((request: string, o: HubFlags & { output: string }) =>
    runAction(async () => {
      const { answerEnrollRequest } = await import('../hub-client/index.ts');
      const answer = await answerEnrollRequest(await connectionOf(o), request);
      // The answer holds the instance's credential: readable by its owner only.
      await writeJsonAtomic(o.output, answer, 0o600);
      out.write(`instance ${answer.instance.id} (${answer.instance.name}) enrolled; carry ${o.output} to the site: skiff agent enroll --offline --answer ${o.output} --state DIR\n`);
    }),
  );
  withHubOptions(
    hub
      .command('import-report')
      .description("apply an air-gapped instance's signed report (.skiffr) to its record at the hub")
      .argument('<report.skiffr>', 'the file skiff agent report wrote'),
  ).action((file: string, o: HubFlags) =>
    runAction(async () => {
      const { importReport } = await import('../hub-client/index.ts');
      const r = await importReport(await connectionOf(o), file);
      out.write(`${r.message}\n`);
    }),
  );
}
