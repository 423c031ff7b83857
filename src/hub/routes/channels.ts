// Channels per app: list (customers see only their entitled channel), promote, demote, mark a release required.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import type { MetadataDb } from '../db/types.ts';
import { checkPromotionGate } from '../gate-check.ts';
import { emitReleasePublished } from '../notify/index.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';

const channelParams = { type: 'object', required: ['app', 'channel'], additionalProperties: false, properties: { app: NAME, channel: NAME } } as const;
const entryParams = {
  type: 'object',
  required: ['app', 'channel', 'version'],
  additionalProperties: false,
  properties: { app: NAME, channel: NAME, version: VERSION },
} as const;

async function writableApp(db: MetadataDb, req: FastifyRequest, app: string): Promise<void> {
  requireUser(req, 'channel:write', `app "${app}"`);
  if (!(await db.getApp(app))) throw notFound(`app "${app}"`);
}

export async function channelRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;
  type P = { app: string; channel: string };
  type E = P & { version: string };

  app.get<{ Params: { app: string } }>('/apps/:app/channels', {
    schema: {
      tags: ['channels'],
      summary: "The app's channels, releases in semver order",
      security: SECURITY,
      params: { type: 'object', required: ['app'], additionalProperties: false, properties: { app: NAME } },
    },
  }, async (req) => ({ channels: await access.channels(principalOf(req), req.params.app) }));

  app.get<{ Params: P }>('/apps/:app/channels/:channel', {
    schema: { tags: ['channels'], summary: 'One channel', security: SECURITY, params: channelParams },
  }, async (req) => {
    const found = (await access.channels(principalOf(req), req.params.app)).find((c) => c.name === req.params.channel);
    if (!found) throw notFound(`channel "${req.params.channel}" of app "${req.params.app}"`);
    return found;
  });

  app.post<{ Params: P; Body: { version: string; required?: boolean } }>('/apps/:app/channels/:channel/releases', {
    schema: {
      tags: ['channels'],
      summary: "Promote a release into a channel (creating the channel); the channel's gate may refuse it (409 POLICY_REFUSED)",
      security: SECURITY,
      params: channelParams,
      body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: VERSION, required: { type: 'boolean' } } },
    },
  }, async (req, reply) => {
    const { app: name, channel } = req.params;
    await writableApp(db, req, name);
    const required = req.body.required ?? false;
    await mutate(app, req, async (tx) => {
      await checkPromotionGate(tx, blobs, name, channel, req.body.version);
      await tx.promote(name, channel, req.body.version, required);
      await emitReleasePublished(tx, { app: name, channel, version: req.body.version, required });
    }, {
      action: 'channel.promote', target: `app:${name}/channel:${channel}`, details: { version: req.body.version, required },
    });
    return reply.status(201).send(await db.getChannel(name, channel));
  });

  app.delete<{ Params: E }>('/apps/:app/channels/:channel/releases/:version', {
    schema: { tags: ['channels'], summary: 'Demote a release from a channel', security: SECURITY, params: entryParams },
  }, async (req) => {
    const { app: name, channel, version } = req.params;
    await writableApp(db, req, name);
    await mutate(app, req, async (tx) => {
      if (!(await tx.demote(name, channel, version))) throw notFound(`release ${name}@${version} in channel "${channel}"`);
    }, { action: 'channel.demote', target: `app:${name}/channel:${channel}`, details: { version } });
    return (await db.getChannel(name, channel)) ?? { app: name, name: channel, releases: [] };
  });

  app.patch<{ Params: E; Body: { required: boolean } }>('/apps/:app/channels/:channel/releases/:version', {
    schema: {
      tags: ['channels'],
      summary: 'Mark a release in a channel required (no customer skips it) or not',
      security: SECURITY,
      params: entryParams,
      body: { type: 'object', required: ['required'], additionalProperties: false, properties: { required: { type: 'boolean' } } },
    },
  }, async (req) => {
    const { app: name, channel, version } = req.params;
    await writableApp(db, req, name);
    await mutate(app, req, async (tx) => {
      if (!(await tx.setRequired(name, channel, version, req.body.required))) throw notFound(`release ${name}@${version} in channel "${channel}"`);
    }, { action: 'channel.required', target: `app:${name}/channel:${channel}`, details: { version, required: req.body.required } });
    return db.getChannel(name, channel);
  });
}
