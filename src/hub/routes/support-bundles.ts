// Support bundles of an instance: uploaded by the instance itself (its credential) or by a vendor user who carried it by
// hand, kept in the hub's content store, listed and downloaded by vendor users; and a vendor's request that a connected
// instance send one (a pending command in its desired state, cleared when the instance's upload arrives).
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Digest } from '../../oci/index.ts';
import { SkiffError } from '../../util/index.ts';
import { actorOf } from '../auth/principal.ts';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import { SECURITY, UUID } from '../schemas.ts';
import { requireCustomerAdmin } from '../access.ts';

/** The largest support bundle the hub takes (a bundle's logs are bounded well below it). */
export const MAX_SUPPORT_BUNDLE_BYTES = 256 * 1024 * 1024;
const GZIP = 'application/gzip';
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } } as const;
const bundleParams = { type: 'object', required: ['id', 'bundle'], additionalProperties: false, properties: { id: UUID, bundle: UUID } } as const;

export async function supportBundleRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;
  // The bundle reaches the handler as the raw request stream, straight into the content store.
  app.addContentTypeParser(GZIP, (_req, payload, done) => done(null, payload));

  /** The instance itself, a vendor user allowed to change customers' instances, or its own customer's admin. */
  async function uploader(req: FastifyRequest<{ Params: { id: string } }>): Promise<{ byInstance: boolean }> {
    const p = principalOf(req);
    if (p.kind === 'user') requireUser(req, 'customer:write', `instance ${req.params.id}`);
    else if (p.kind === 'customer') requireCustomerAdmin(p, 'upload support bundles');
    else if (p.instanceId !== req.params.id) throw notFound(`instance ${req.params.id}`);
    await access.instance(p, req.params.id);
    return { byInstance: p.kind === 'instance' };
  }

  app.post<{ Params: { id: string } }>('/instances/:id/support-bundles', {
    schema: { tags: ['instances'], summary: `Upload a support bundle (${GZIP}, with its Content-Length) for an instance: by the instance itself, a vendor user or its customer's admin`, security: SECURITY, params: idParams },
  }, async (req, reply) => {
    const { byInstance } = await uploader(req);
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== GZIP) return reply.status(415).send({ error: { code: 'INVALID_INPUT', message: `send the support bundle with "content-type: ${GZIP}"` } });
    const header = req.headers['content-length'];
    if (header === undefined || !/^\d{1,15}$/.test(header)) throw new SkiffError('INVALID_INPUT', 'headers.content-length is required: send the bundle with its exact Content-Length, not chunked');
    const size = Number(header);
    if (size > MAX_SUPPORT_BUNDLE_BYTES) {
      reply.header('connection', 'close');
      return reply.status(413).send({ error: { code: 'INVALID_INPUT', message: `the support bundle is ${size} bytes, more than the ${MAX_SUPPORT_BUNDLE_BYTES} the hub takes: collect it again (logs are bounded) or send its parts to the vendor another way` } });
    }
    const stat = await blobs.put(req.body instanceof Readable ? req.body : Readable.from([]), { size });
    const rec = await mutate(app, req, async (tx) => {
      const made = await tx.addSupportBundle({ instanceId: req.params.id, digest: stat.digest, size: stat.size, uploadedBy: actorOf(req.principal) });
      // The instance answered the hub's request: clearing it moves the generation on, so its next desired state drops it.
      if (byInstance && (await tx.getAirgapState(req.params.id)).supportRequestedAt !== null) await tx.setSupportRequest(req.params.id, null);
      return made;
    }, (made) => ({ action: 'instance.support-bundle', target: `instance:${req.params.id}`, details: { id: made.id, digest: made.digest, size: made.size } }));
    return reply.status(201).send(rec);
  });

  app.get<{ Params: { id: string } }>('/instances/:id/support-bundles', {
    schema: { tags: ['instances'], summary: "An instance's support bundles, and whether one is requested", security: SECURITY, params: idParams },
  }, async (req) => {
    requireUser(req, 'customer:read', `instance ${req.params.id}`);
    await access.instance(principalOf(req), req.params.id);
    const [bundles, airgap] = await Promise.all([db.listSupportBundles(req.params.id), db.getAirgapState(req.params.id)]);
    return { bundles, requestedAt: airgap.supportRequestedAt };
  });

  app.get<{ Params: { id: string; bundle: string } }>('/instances/:id/support-bundles/:bundle', {
    schema: { tags: ['instances'], summary: 'Download one support bundle (gzipped tar; spec.json inside says what was collected)', security: SECURITY, params: bundleParams },
  }, async (req, reply) => {
    requireUser(req, 'customer:read', `instance ${req.params.id}`);
    await access.instance(principalOf(req), req.params.id);
    const rec = (await db.listSupportBundles(req.params.id)).find((b) => b.id === req.params.bundle);
    if (!rec) throw notFound(`support bundle ${req.params.bundle} of instance ${req.params.id}`);
    reply.header('content-type', GZIP).header('content-length', rec.size).header('content-disposition', `attachment; filename="support-${rec.id}.tar.gz"`);
    return reply.send(await blobs.get(rec.digest as Digest));
  });

  app.post<{ Params: { id: string } }>('/instances/:id/support-bundle-request', {
    schema: { tags: ['instances'], summary: 'Ask a connected instance for a support bundle: its next desired state carries the request until its upload arrives', security: SECURITY, params: idParams, body: { type: 'object', additionalProperties: false, properties: {} } },
  }, async (req, reply) => {
    requireUser(req, 'customer:write', `instance ${req.params.id}`);
    const { inst } = await access.instance(principalOf(req), req.params.id);
    if (inst.revokedAt !== null) throw new SkiffError('CONFLICT', `instance ${inst.id} is revoked: it cannot send a support bundle`);
    const at = new Date().toISOString();
    await mutate(app, req, (tx) => tx.setSupportRequest(inst.id, at), { action: 'instance.support-bundle.request', target: `instance:${inst.id}` });
    return reply.status(202).send({ requestedAt: at });
  });
}
