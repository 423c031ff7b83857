// Apps and their trusted root chain: create with a self-signed root.json, accept rotations only along the chain.
import type { FastifyInstance } from 'fastify';
import { parseRoot, verifyRootChain, verifyRootSelfSigned, checkRootExpiry, type RootMeta } from '../../trust/index.ts';
import { SkiffError } from '../../util/index.ts';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import { NAME, ROOT_JSON, SECURITY, appParams } from '../schemas.ts';

const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

export async function appRoutes(app: FastifyInstance): Promise<void> {
  const { db, access } = app.hub;

  app.post<{ Body: { name: string; root: string } }>('/apps', {
    schema: {
      tags: ['apps'],
      summary: 'Create an app with its first root.json',
      security: SECURITY,
      body: { type: 'object', required: ['name', 'root'], additionalProperties: false, properties: { name: NAME, root: ROOT_JSON } },
    },
  }, async (req, reply) => {
    requireUser(req, 'app:write', 'route POST /api/v1/apps');
    const root = parseRoot(req.body.root, 'body.root');
    if (root.signed.version !== 1)
      throw new SkiffError('TRUST_INVALID', `body.root is root.json version ${root.signed.version}; create the app with version 1 and add later roots in order`);
    verifyRootSelfSigned(root);
    checkRootExpiry(root);
    const bytes = new TextEncoder().encode(req.body.root);
    const rec = await mutate(app, req, (tx) => tx.createApp(req.body.name, { version: 1, bytes }), (r) => ({ action: 'app.create', target: `app:${r.name}`, details: { rootVersion: 1 } }));
    return reply.status(201).send({ ...rec, rootVersion: 1 });
  });

  app.get('/apps', { schema: { tags: ['apps'], summary: 'List apps the caller may see', security: SECURITY } }, async (req) => ({
    apps: await access.apps(principalOf(req)),
  }));

  app.get<{ Params: { app: string } }>('/apps/:app', {
    schema: { tags: ['apps'], summary: 'Show an app', security: SECURITY, params: appParams },
  }, async (req) => {
    const rec = await access.app(principalOf(req), req.params.app);
    const roots = await db.listRoots(rec.name);
    return { ...rec, rootVersion: roots.at(-1)?.version ?? 0 };
  });

  app.get<{ Params: { app: string } }>('/apps/:app/roots', {
    schema: { tags: ['apps'], summary: 'The root chain, version 1 first', security: SECURITY, params: appParams },
  }, async (req) => {
    const rec = await access.app(principalOf(req), req.params.app);
    return { roots: (await db.listRoots(rec.name)).map((r) => ({ version: r.version, root: decode(r.root), createdAt: r.createdAt })) };
  });

  app.post<{ Params: { app: string }; Body: { root: string } }>('/apps/:app/roots', {
    schema: {
      tags: ['apps'],
      summary: 'Add the next root.json (a rotation signed by the current root and itself)',
      security: SECURITY,
      params: appParams,
      body: { type: 'object', required: ['root'], additionalProperties: false, properties: { root: ROOT_JSON } },
    },
  }, async (req, reply) => {
    requireUser(req, 'app:write', `app "${req.params.app}"`);
    const roots = await db.listRoots(req.params.app);
    const last = roots.at(-1);
    if (!last) throw notFound(`app "${req.params.app}"`);
    const trusted: RootMeta = parseRoot(last.root, `stored root.json version ${last.version}`);
    const next = parseRoot(req.body.root, 'body.root');
    if (next.signed.version !== last.version + 1)
      throw new SkiffError('TRUST_INVALID', `body.root is version ${next.signed.version} but the app's latest root is version ${last.version}; send version ${last.version + 1}`);
    verifyRootChain([next], trusted);
    const bytes = new TextEncoder().encode(req.body.root);
    const rec = await mutate(app, req, (tx) => tx.addRoot(req.params.app, next.signed.version, bytes), (r) => ({ action: 'app.root.add', target: `app:${req.params.app}`, details: { rootVersion: r.version } }));
    return reply.status(201).send({ version: rec.version, createdAt: rec.createdAt });
  });
}
