// Login (username + password of a vendor or customer user → a session token, throttled before any hashing), logout, and who-am-I.
import type { FastifyInstance } from 'fastify';
import { SkiffError } from '../../util/index.ts';
import { roleScopes } from '../auth/permissions.ts';
import { hashPassword, mintToken, randomPassword } from '../auth/secrets.ts';
import { mutate, principalOf } from '../context.ts';
import { resolveToken, type Principal } from '../auth/principal.ts';
import { customerRoleOf } from '../access.ts';
import { clearSessionCookie, setSessionCookie } from '../auth/session-cookie.ts';
import { EMPTY_BODY, SECURITY, USERNAME } from '../schemas.ts';

export const SESSION_HOURS = 12;

let dummyHash: Promise<string> | undefined;

interface LoginBody {
  username: string;
  password: string;
  /** The web console's login: the token goes into an HttpOnly cookie instead of the body. */
  cookie?: boolean;
}

export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const { db, loginLimiter, verifyPassword } = app.hub;

  app.post<{ Body: LoginBody }>('/login', {
    schema: {
      tags: ['session'],
      summary: 'Exchange a username and password for a session token',
      body: {
        type: 'object',
        required: ['username', 'password'],
        additionalProperties: false,
        properties: { username: USERNAME, password: { type: 'string', minLength: 1, maxLength: 1024 }, cookie: { type: 'boolean' } },
      },
    },
  }, async (req, reply) => {
    const { username, password, cookie } = req.body;
    const attempt = await loginLimiter.admit(db, req.ip, username);
    const user = (await db.getUserByName(username)) ?? (await db.customerUsers.getByName(username));
    // Hash even for unknown users so that timing does not reveal which usernames exist.
    dummyHash ??= hashPassword(randomPassword());
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
    if (!user || !ok) throw new SkiffError('UNAUTHORIZED', 'username or password is wrong');
    await attempt.succeeded();
    const customer = 'customerId' in user ? await db.getCustomer(user.customerId) : undefined;
    const { token, hash } = mintToken('skh_');
    const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000).toISOString();
    await db.mutate(
      (tx) => tx.createToken({ kind: 'session', hash, name: 'session', userId: user.id, customerId: customer?.id ?? null, scopes: [], expiresAt }),
      { actor: customer ? `customer:${customer.name}/user:${user.username}` : `user:${user.username}`, action: 'login', target: `user:${user.username}`, address: req.ip },
    );
    const who = { username: user.username, role: user.role, ...(customer ? { kind: 'customer', customer: customer.name } : {}) };
    if (!cookie) return { token, expiresAt, ...who };
    setSessionCookie(req, reply, token, expiresAt);
    return { expiresAt, ...who };
  });

  // The customer portal's login: a customer token (the portal's user pastes it once) becomes the session cookie.
  app.post<{ Body: { token: string } }>('/login/customer', {
    schema: {
      tags: ['session'],
      summary: 'Exchange a customer token for the web portal\'s session cookie',
      body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 256 } } },
    },
  }, async (req, reply) => {
    const attempt = await loginLimiter.admit(db, req.ip, 'customer-token');
    const principal = await resolveToken(db, req.body.token).catch(() => undefined);
    if (principal?.kind !== 'customer') throw new SkiffError('UNAUTHORIZED', 'this is not a valid customer token; ask your vendor for one');
    await attempt.succeeded();
    const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000).toISOString();
    setSessionCookie(req, reply, req.body.token, expiresAt);
    return { kind: 'customer', customer: principal.customerName, expiresAt };
  });

  app.post('/logout', { schema: { tags: ['session'], summary: 'Revoke the token used for this call', security: SECURITY, body: EMPTY_BODY } }, async (req, reply) => {
    const p = principalOf(req);
    clearSessionCookie(req, reply);
    // A customer's token outlives the portal's session: signing out of the portal forgets it there, and revokes nothing.
    if (p.kind === 'customer' && !p.user) return { revoked: null };
    await mutate(app, req, (tx) => tx.revokeToken(p.tokenId), { action: 'logout', target: `token:${p.tokenId}` });
    return { revoked: p.tokenId };
  });

  // The console asks this first: anonymous is an answer here, not a 401 (which a browser reports as an error).
  app.get('/session', { schema: { tags: ['session'], summary: 'The caller, or {"kind":"anonymous"} without a credential' } }, async (req) =>
    req.principal ? whoami(req.principal) : { kind: 'anonymous' },
  );

  app.get('/whoami', { schema: { tags: ['session'], summary: 'The caller', security: SECURITY } }, async (req) => {
    return whoami(principalOf(req));
  });
}

function whoami(p: Principal) {
  if (p.kind === 'customer') return { kind: 'customer', customer: p.customerName, role: customerRoleOf(p), username: p.user?.username ?? null };
  if (p.kind === 'instance') return { kind: 'instance', customer: p.customerName, instance: p.instanceId, app: p.app };
  return { kind: 'user', username: p.username, role: p.role, scopes: [...p.scopes], roleScopes: roleScopes(p.role) };
}
