// Promotion gates: a channel's policy (severity that refuses, licenses refused), a release's scan report (uploaded by
// the vendor CLI, signed by the release keys, naming the release digest) and waivers (a reason and an expiry each).
// Every change is audited.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SEVERITIES, countBySeverity } from '../../scan/index.ts';
import { SkiffError } from '../../util/index.ts';
import { actorOf } from '../auth/principal.ts';
import { mutate, notFound, requireUser } from '../context.ts';
import type { MetadataDb } from '../db/types.ts';
import { storedReleaseOf } from '../release-verify.ts';
import { signedScanHint, verifiedScanReport } from '../scan-verify.ts';
import { DATE, NAME, SECURITY, VERSION } from '../schemas.ts';

const channelParams = { type: 'object', required: ['app', 'channel'], additionalProperties: false, properties: { app: NAME, channel: NAME } } as const;
const releaseParams = { type: 'object', required: ['app', 'version'], additionalProperties: false, properties: { app: NAME, version: VERSION } } as const;
const MAX_REPORT_BYTES = 8 << 20;
/** A waiver is a decision to revisit: at most a year. */
const MAX_WAIVER_DAYS = 366;

type C = { app: string; channel: string };
type R = { app: string; version: string };

async function visibleRelease(db: MetadataDb, app: string, version: string) {
  const rec = await db.getRelease(app, version);
  if (!rec?.visible) throw notFound(`release ${app}@${version}`);
  return rec;
}

export async function gateRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;

  app.get<{ Params: C }>('/apps/:app/channels/:channel/policy', {
    schema: { tags: ['gates'], summary: "A channel's promotion gate", security: SECURITY, params: channelParams },
  }, async (req) => {
    requireUser(req, 'read', `app "${req.params.app}"`);
    const p = await db.getChannelPolicy(req.params.app, req.params.channel);
    return { app: req.params.app, channel: req.params.channel, failOn: p?.failOn ?? null, refusedLicenses: p?.refusedLicenses ?? [], updatedAt: p?.updatedAt ?? null };
  });

  app.put<{ Params: C; Body: { failOn: string | null; refusedLicenses?: string[] } }>('/apps/:app/channels/:channel/policy', {
    schema: {
      tags: ['gates'],
      summary: "Set a channel's gate: scan findings at or above failOn refuse a promotion (null: no scan needed); refusedLicenses are refused",
      security: SECURITY,
      params: channelParams,
      body: {
        type: 'object',
        required: ['failOn'],
        additionalProperties: false,
        properties: {
          failOn: { anyOf: [{ type: 'string', enum: [...SEVERITIES] }, { type: 'null' }] },
          refusedLicenses: { type: 'array', maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
  }, async (req) => {
    const { app: name, channel } = req.params;
    requireUser(req, 'channel:write', `app "${name}"`);
    if (!(await db.getApp(name))) throw notFound(`app "${name}"`);
    const policy = { app: name, channel, failOn: req.body.failOn, refusedLicenses: [...new Set(req.body.refusedLicenses ?? [])] };
    await mutate(app, req, (tx) => tx.setChannelPolicy(policy), { action: 'channel.policy', target: `app:${name}/channel:${channel}`, details: { failOn: policy.failOn, refusedLicenses: policy.refusedLicenses } });
    return (await db.getChannelPolicy(name, channel)) ?? policy;
  });

  app.put<{ Params: R; Body: Record<string, unknown> }>('/apps/:app/releases/:version/scan', {
    bodyLimit: MAX_REPORT_BYTES,
    schema: {
      tags: ['gates'],
      summary: "Upload a release's signed scan report: the JSON report (skiff release scan --json --sign) and its detached signature, each as the exact text of its file",
      security: SECURITY,
      params: releaseParams,
      body: { type: 'object', properties: { report: { type: 'string', minLength: 1 }, signature: { type: 'string', minLength: 1 } } },
    },
  }, async (req, reply) => {
    const { app: name, version } = req.params;
    requireUser(req, 'release:push', `app "${name}"`);
    const { report: text, signature } = req.body;
    // The body is checked before the release is looked up: a malformed body is a 400 whether or not the release exists.
    if (typeof text !== 'string' || typeof signature !== 'string')
      throw new SkiffError('INVALID_INPUT', `body needs the report and its signature (body.report, body.signature): gates count only signed scan reports; ${signedScanHint(`${name}@${version}`)}`);
    const release = storedReleaseOf(await visibleRelease(db, name, version));
    const { report, keyids } = await verifiedScanReport(db, release, text, signature);
    const reportDigest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    await mutate(app, req, (tx) => tx.putReleaseScan({ app: name, version, releaseDigest: release.digest, reportDigest, report: text, signature }), {
      action: 'release.scan',
      target: `app:${name}/release:${version}`,
      details: { reportDigest, database: report.database.digest, findings: countBySeverity(report.findings), signedBy: keyids },
    });
    return reply.status(201).send({ app: name, version, reportDigest, findings: countBySeverity(report.findings) });
  });

  app.get<{ Params: R }>('/apps/:app/releases/:version/scan', {
    schema: { tags: ['gates'], summary: "A release's uploaded scan report", security: SECURITY, params: releaseParams },
  }, async (req) => {
    requireUser(req, 'read', `app "${req.params.app}"`);
    const scan = await db.getReleaseScan(req.params.app, req.params.version);
    if (!scan) throw notFound(`a scan report of ${req.params.app}@${req.params.version}`);
    return { reportDigest: scan.reportDigest, uploadedAt: scan.uploadedAt, report: JSON.parse(scan.report) as unknown };
  });

  app.post<{ Params: R; Body: { finding: string; reason: string; expiresAt: string } }>('/apps/:app/releases/:version/waivers', {
    schema: {
      tags: ['gates'],
      summary: 'Waive a finding (an advisory id, or license:NAME) of a release for channel gates, with a reason, until an expiry',
      security: SECURITY,
      params: releaseParams,
      body: {
        type: 'object',
        required: ['finding', 'reason', 'expiresAt'],
        additionalProperties: false,
        properties: { finding: { type: 'string', minLength: 1, maxLength: 300 }, reason: { type: 'string', maxLength: 2000 }, expiresAt: DATE },
      },
    },
  }, async (req, reply) => {
    const { app: name, version } = req.params;
    const user = requireUser(req, 'channel:write', `app "${name}"`);
    await visibleRelease(db, name, version);
    const reason = req.body.reason.trim();
    if (reason.length < 3) throw new SkiffError('INVALID_INPUT', 'body.reason is empty: a waiver needs the reason it is acceptable (it goes to the audit log)');
    const expires = new Date(req.body.expiresAt);
    const now = Date.now();
    if (!(expires.getTime() > now)) throw new SkiffError('INVALID_INPUT', `body.expiresAt ${req.body.expiresAt} is not in the future: a waiver must expire later`);
    if (expires.getTime() > now + MAX_WAIVER_DAYS * 86_400_000) throw new SkiffError('INVALID_INPUT', `body.expiresAt ${req.body.expiresAt} is more than ${MAX_WAIVER_DAYS} days away: waive for at most a year and review it then`);
    const waiver = { app: name, version, finding: req.body.finding, reason, expiresAt: expires.toISOString(), createdBy: actorOf(user) };
    await mutate(app, req, (tx) => tx.putWaiver(waiver), { action: 'release.waive', target: `app:${name}/release:${version}`, details: { finding: waiver.finding, reason, expiresAt: waiver.expiresAt } });
    return reply.status(201).send(waiver);
  });

  app.get<{ Params: R }>('/apps/:app/releases/:version/waivers', {
    schema: { tags: ['gates'], summary: "A release's waivers (expired ones included, with their expiry)", security: SECURITY, params: releaseParams },
  }, async (req) => {
    requireUser(req, 'read', `app "${req.params.app}"`);
    return { waivers: await db.listWaivers(req.params.app, req.params.version) };
  });
}
