// Per-site values: a customer's per app and an instance's overrides. Set and unset (checked against the release each
// site runs or would get), list (a secret shows as set or unset, never its value, to anyone); the instance itself
// fetches its values, secrets included, with its own credential. Values never enter an error, a log or an audit entry.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkNewValues } from '../../fleet/index.ts';
import { isSkiffError, SkiffError } from '../../util/index.ts';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import { NAME, SECURITY, UUID, VERSION } from '../schemas.ts';
import { valuesListing, type Site } from '../values-view.ts';
import { instanceOf } from './enroll.ts';

const SETTING = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const CHANGE = {
  type: 'object',
  additionalProperties: false,
  properties: {
    set: {
      type: 'object',
      maxProperties: 256,
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: 65_536 }, { type: 'number' }, { type: 'boolean' }],
      },
    },
    unset: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 128 } },
    secret: { type: 'boolean' },
  },
} as const;
const customerAppParams = {
  type: 'object',
  required: ['customer', 'app'],
  additionalProperties: false,
  properties: { customer: NAME, app: NAME },
} as const;
const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: UUID },
} as const;

type Change = { set?: Record<string, string | number | boolean>; unset?: string[]; secret?: boolean };

/** The change's names and values as text; a name that is not a setting name is refused (names are never secret). */
function parseChange(body: Change): { set: Record<string, string>; unset: string[]; secret: boolean } {
  const set = Object.fromEntries(Object.entries(body.set ?? {}).map(([k, v]) => [k, String(v)]));
  const unset = [...new Set(body.unset ?? [])];
  for (const name of [...Object.keys(set), ...unset])
    if (!SETTING.test(name))
      throw new SkiffError(
        'INVALID_INPUT',
        `"${name.slice(0, 64)}" is not a setting name (letters, digits and _, not starting with a digit)`,
      );
  const both = unset.find((n) => Object.hasOwn(set, n));
  if (both) throw new SkiffError('INVALID_INPUT', `${both} is both set and unset: give it once`);
  if (Object.keys(set).length === 0 && unset.length === 0)
    throw new SkiffError('INVALID_INPUT', 'nothing to change: give body.set and/or body.unset');
  if (body.secret && Object.keys(set).length === 0)
    throw new SkiffError('INVALID_INPUT', 'body.secret marks values being set: give body.set');
  return { set, unset, secret: body.secret === true };
}

export async function valueRoutes(app: FastifyInstance): Promise<void> {
  const { db, access, values } = app.hub;

  async function customerSite(req: FastifyRequest, name: string, appName: string): Promise<Site> {
    const customer = await access.customer(principalOf(req), name);
    if (!customer.entitlements.some((e) => e.app === appName))
      throw notFound(`app "${appName}" in the entitlements of customer "${customer.name}"`);
    return {
      customer,
      scope: { customerId: customer.id, app: appName, instanceId: null },
      target: `customer:${customer.name}/app:${appName}`,
    };
  }

  async function instanceSite(req: FastifyRequest, id: string): Promise<Site> {
    const { inst, customer } = await access.instance(principalOf(req), id);
    return {
      customer,
      instance: inst,
      scope: { customerId: customer.id, app: inst.app, instanceId: inst.id },
      target: `instance:${inst.id}`,
    };
  }

  async function change(req: FastifyRequest, site: Site, body: Change) {
    const { set, unset, secret } = parseChange(body);
    const { customer, scope, instance } = site;
    const secrets = await mutate(
      app,
      req,
      async (tx) => {
        const targets = await values.targets(customer, scope.app, instance);
        for (const t of targets) {
          if (!t.release) continue;
          try {
            checkNewValues(values.settingsOf(t.release), set);
          } catch (e) {
            if (!isSkiffError(e, 'CONFIG_INVALID')) throw e;
            throw new SkiffError(
              'CONFIG_INVALID',
              `${e.message} (checked against ${scope.app}@${t.release.version}, which ${t.site} would run): nothing was changed`,
            );
          }
        }
        const existing = values.effective(
          await tx.listSiteValues(scope.customerId, scope.app, scope.instanceId ?? undefined),
          scope.instanceId,
        );
        const missing = unset.find((n) => existing.get(n)?.instanceId !== scope.instanceId);
        if (missing)
          throw new SkiffError(
            'NOT_FOUND',
            `${missing} is not set ${scope.instanceId ? `for instance ${instance?.name ?? scope.instanceId}` : `for customer "${customer.name}"`} (skiff values list shows what is): nothing was changed`,
          );
        const declaredSecret = new Set(
          targets.flatMap((t) =>
            t.release
              ? values
                  .settingsOf(t.release)
                  .filter((s) => s.secret)
                  .map((s) => s.name)
              : [],
          ),
        );
        const sealed = Object.keys(set).filter((n) => secret || declaredSecret.has(n));
        await tx.setSiteValues(
          scope,
          Object.entries(set).map(([name, value]) =>
            values.stored(scope, name, value, sealed.includes(name)),
          ),
        );
        if (unset.length > 0) await tx.unsetSiteValues(scope, unset);
        return sealed;
      },
      (sealed) => ({
        action: 'values.set',
        target: site.target,
        details: { app: scope.app, set: Object.keys(set), unset, secret: sealed },
      }),
    );
    return { ...(await valuesListing(values, db, site)), sealed: secrets };
  }

  app.get<{ Params: { customer: string; app: string } }>(
    '/customers/:customer/apps/:app/values',
    {
      schema: {
        tags: ['values'],
        summary: "A customer's values of an app (secrets shown as set or unset, never their value)",
        security: SECURITY,
        params: customerAppParams,
      },
    },
    async (req) => valuesListing(values, db, await customerSite(req, req.params.customer, req.params.app)),
  );

  app.patch<{ Params: { customer: string; app: string }; Body: Change }>(
    '/customers/:customer/apps/:app/values',
    {
      schema: {
        tags: ['values'],
        summary:
          "Set or unset a customer's values of an app, checked against the release each of its sites would get",
        security: SECURITY,
        params: customerAppParams,
        body: CHANGE,
      },
    },
    async (req) => {
      requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
      return change(req, await customerSite(req, req.params.customer, req.params.app), req.body);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/instances/:id/values',
    {
      schema: {
        tags: ['values'],
        summary: "An instance's values: its own over its customer's (secrets shown as set or unset)",
        security: SECURITY,
        params: idParams,
      },
    },
    async (req) => valuesListing(values, db, await instanceSite(req, req.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: Change }>(
    '/instances/:id/values',
    {
      schema: {
        tags: ['values'],
        summary: "Set or unset an instance's own values (over its customer's)",
        security: SECURITY,
        params: idParams,
        body: CHANGE,
      },
    },
    async (req) => {
      requireUser(req, 'customer:write', `instance ${req.params.id}`);
      return change(req, await instanceSite(req, req.params.id), req.body);
    },
  );

  app.get<{ Querystring: { version: string } }>(
    '/instances/self/values',
    {
      schema: {
        tags: ['values'],
        summary:
          'The values this instance runs a release with, secrets included (its own credential only); their digest is the one its desired state names',
        security: SECURITY,
        querystring: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: { version: VERSION },
        },
      },
    },
    async (req, reply) => {
      const p = instanceOf(req);
      const release = await access.release(p, p.app, req.query.version);
      const rows = await db.listSiteValues(p.customerId, p.app, p.instanceId);
      const verdict = values.verdict(release, values.merged(rows, p.instanceId));
      if (!verdict.ok)
        throw new SkiffError(
          'CONFIG_INVALID',
          `${p.app}@${release.version} is held back for this instance: ${verdict.reason}`,
        );
      const declared = values
        .settingsOf(release)
        .filter((s) => s.secret)
        .map((s) => s.name);
      const secret = [...values.effective(rows, p.instanceId).values()]
        .filter((r) => r.secret)
        .map((r) => r.name);
      reply.header('cache-control', 'no-store');
      return {
        app: p.app,
        version: release.version,
        digest: verdict.digest,
        values: verdict.values,
        secret: [...new Set([...declared, ...secret])].filter((n) => Object.hasOwn(verdict.values, n)).sort(),
      };
    },
  );
}
