// The provenance flags of `release create` (defaults from the CI's own environment: GitHub Actions, Jenkins) and the
// lines `release show` prints for a release's verified provenance.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { ProvenanceInput, VerifiedProvenance } from '../release/index.ts';

export interface ProvenanceFlags {
  provenance?: boolean;
  builderId?: string;
  ciRun?: string;
  sourceRepo?: string;
  sourceCommit?: string;
}

export function withProvenanceOptions(cmd: Command): Command {
  return cmd
    .option('--provenance', 'record signed build provenance (in-toto statement, SLSA provenance predicate) beside the release')
    .option('--builder-id <uri>', 'who built it (default: the CI job, from GitHub Actions or Jenkins variables)')
    .option('--ci-run <url>', 'the CI run (default: GitHub run URL or Jenkins BUILD_URL)')
    .option('--source-repo <url>', 'the source repository (default: from the CI variables)')
    .option('--source-commit <sha>', 'the source commit (default: GITHUB_SHA or GIT_COMMIT)');
}

/** What `release create` records, flags first, then the CI's variables; undefined without --provenance. */
export function provenanceOf(f: ProvenanceFlags, env: NodeJS.ProcessEnv = process.env): Omit<ProvenanceInput, 'startedOn'> | undefined {
  if (!f.provenance) return undefined;
  const gh = env['GITHUB_SERVER_URL'] && env['GITHUB_REPOSITORY'] ? `${env['GITHUB_SERVER_URL']}/${env['GITHUB_REPOSITORY']}` : undefined;
  const builderId =
    f.builderId ?? (gh && env['GITHUB_WORKFLOW_REF'] ? `${env['GITHUB_SERVER_URL']}/${env['GITHUB_WORKFLOW_REF']}` : undefined) ?? env['JOB_URL'] ?? env['JENKINS_URL'] ?? `local:${hostname()}`;
  const invocationId = f.ciRun ?? (gh && env['GITHUB_RUN_ID'] ? `${gh}/actions/runs/${env['GITHUB_RUN_ID']}` : undefined) ?? env['BUILD_URL'];
  const sourceRepo = f.sourceRepo ?? gh ?? env['GIT_URL'];
  const sourceCommit = f.sourceCommit ?? env['GITHUB_SHA'] ?? env['GIT_COMMIT'];
  return { builderId, ...(invocationId ? { invocationId } : {}), ...(sourceRepo ? { sourceRepo } : {}), ...(sourceCommit ? { sourceCommit } : {}) };
}

/** The provenance as `release show --json` prints it. */
export function provenanceSummary(p: VerifiedProvenance): Record<string, unknown> {
  const { buildDefinition, runDetails } = p.statement.predicate;
  const dep = buildDefinition.resolvedDependencies[0] as { uri?: string; digest?: { gitCommit?: string } } | undefined;
  return {
    verified: true,
    signedBy: p.keyids,
    builder: runDetails.builder.id,
    ...(runDetails.metadata['invocationId'] ? { ciRun: runDetails.metadata['invocationId'] } : {}),
    ...(dep?.uri ? { sourceRepo: dep.uri } : {}),
    ...(dep?.digest?.gitCommit ? { sourceCommit: dep.digest.gitCommit } : {}),
    compose: buildDefinition.externalParameters['compose'],
    startedOn: runDetails.metadata['startedOn'],
    finishedOn: runDetails.metadata['finishedOn'],
  };
}

export function describeProvenance(p: VerifiedProvenance | undefined): string[] {
  if (!p) return [];
  const s = provenanceSummary(p);
  const compose = s['compose'] as { path?: string; digest?: { sha256?: string } } | undefined;
  return [
    `provenance (in-toto, SLSA v1; signature verified, key ${p.keyids.join(', ')}):`,
    `  builder: ${String(s['builder'])}`,
    ...(s['ciRun'] ? [`  CI run: ${String(s['ciRun'])}`] : []),
    ...(s['sourceRepo'] || s['sourceCommit'] ? [`  source: ${String(s['sourceRepo'] ?? '')}${s['sourceCommit'] ? ` @ ${String(s['sourceCommit'])}` : ''}`] : []),
    `  compose: ${compose?.path ?? ''} sha256:${compose?.digest?.sha256 ?? ''}`,
    `  built: ${String(s['startedOn'])} → ${String(s['finishedOn'])}`,
  ];
}
