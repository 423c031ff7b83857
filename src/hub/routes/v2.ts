// The customer-facing OCI pull API under /v2/: `docker login` with the token as password, then pull `<app>/<service>`.
import type { FastifyInstance } from 'fastify';
import { distributionPlugin } from '../../oci/distribution/index.ts';
import { requestAuthenticator } from '../auth/principal.ts';
import { HubPullResolver } from '../oci-pull.ts';

/** The challenge docker login answers with Basic credentials (any user name, the token as password). */
export const V2_CHALLENGE = 'Basic realm="skiff"';

export async function v2Routes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;
  // The OCI API has its own spec and error body; the hub's OpenAPI document describes only /api/v1.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  await app.register(distributionPlugin, {
    blobs,
    resolver: new HubPullResolver(access, blobs),
    authenticate: requestAuthenticator(db, { required: true }),
    challenge: () => V2_CHALLENGE,
  });
}
