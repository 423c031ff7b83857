// Figure: install — the bundle on disk to the new version healthy, from an engine without the app's images,
// against the old script (`docker load` of the zip, then stop, rm, run) until its first healthy probe. Interleaved.
// Both sides write phase marks (SKIFF_PHASE_TRACE, OLD_SCRIPT_TRACE): the phase table goes into the notes.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeImages, resetAgent } from './lib/engine.ts';
import { AGENT_SPANS, SCRIPT_SPANS, agentMarks, nowMs, phaseTable, scriptMarks, spans } from './lib/phases.ts';
import { untilHealthy } from './lib/probe.ts';
import { REPO, ROUNDS, SKIFF, STOP_TIMEOUT, image, median, note, readSetup, record, run, secs, workDir } from './lib/run.ts';

async function main(): Promise<void> {
  const s = await readSetup();
  const state = join(workDir(), 'in-agent');
  const peer = `${s.app}-oldscript`;
  const ours: number[] = [];
  const returned: number[] = [];
  const theirs: number[] = [];
  const ourPhases: number[][] = [];
  const theirPhases: number[][] = [];
  const agentTrace = join(workDir(), 'install-phases.jsonl');
  const scriptTrace = join(workDir(), 'old-script-phases.txt');
  for (let i = 0; i < ROUNDS; i++) {
    await resetAgent(s.app, state, [peer]);
    await removeImages(s.app);
    // Both sides end at the same moment: the first good probe of the new version from outside, probed the same way
    // from each side's spawn on. The agent's own return comes later (its health gate waits for Docker's
    // healthcheck, every 1 s, then commits and prunes).
    await rm(agentTrace, { force: true });
    const spawn = nowMs();
    const healthy = untilHealthy(s.port, 300_000);
    const args = ['agent', 'install', s.bundles['full-1.0.0']!, '--state', state, '--trust', s.root, '--stop-timeout', STOP_TIMEOUT];
    returned.push((await run(SKIFF, args, { env: { SKIFF_PHASE_TRACE: agentTrace } })).ms);
    const exit = nowMs();
    ours.push(await healthy);
    const marks = await agentMarks(agentTrace);
    ourPhases.push(spans(new Map([...marks, ['spawn', spawn], ['probe', spawn + ours.at(-1)!], ['exit', exit]]), AGENT_SPANS));
    await resetAgent(s.app, state, [peer]);
    await removeImages(s.app);
    await rm(scriptTrace, { force: true });
    const t0 = nowMs();
    const up = untilHealthy(s.port, 300_000);
    await run('bash', [join(REPO, 'bench/old-upgrade.sh'), s.saved['1.0.0']!, image('1.0.0'), peer, s.network, String(s.port), STOP_TIMEOUT], { env: { OLD_SCRIPT_TRACE: scriptTrace } });
    theirs.push(await up);
    theirPhases.push(spans(new Map([...(await scriptMarks(scriptTrace)), ['spawn', t0], ['probe', t0 + theirs.at(-1)!]]), SCRIPT_SPANS));
  }
  await resetAgent(s.app, state, [peer]);
  const a = median(ours);
  const b = median(theirs);
  const c = median(returned);
  await record({
    figure: 'install full netapp 1.0.0: bundle on disk → first healthy probe (engine without its images)',
    skiff: secs(a),
    peer: secs(b),
    ratio: `${(b / a).toFixed(2)}× faster`,
    target: 'faster',
    met: a < b ? 'yes' : 'no',
    samples: `skiff ${ours.map(secs).join(', ')}; old script ${theirs.map(secs).join(', ')}`,
  });
  await record({
    figure: 'install full netapp 1.0.0: until `skiff agent install` returns (health gate passed, committed; extra row)',
    skiff: secs(c),
    peer: secs(b),
    ratio: `${(b / c).toFixed(2)}× faster`,
    target: '—',
    met: '—',
    samples: `skiff ${returned.map(secs).join(', ')}`,
  });
  await note(`**Install phases** (netapp 1.0.0, engine without its images; medians of ${ROUNDS}, interleaved). skiff: ${phaseTable(AGENT_SPANS, ourPhases)}. Old script: ${phaseTable(SCRIPT_SPANS, theirPhases)}.`);
}

await main();
