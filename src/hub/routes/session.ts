// Login (username + password → a session token, throttled before any hashing), logout, and who-am-I.
import type { FastifyInstance } from 'fastify';
import { SkiffError } from '../../util/index.ts';
import { roleScopes } from '../auth/permissions.ts';
import { hashPassword, mintToken, randomPassword } from '../auth/secrets.ts';
import { mutate, principalOf } from '../context.ts';
import { EMPTY_BODY, SECURITY, USERNAME } from '../schemas.ts';

export const SESSION_HOURS = 12;

let dummyHash: Promise<string> | undefined;

interface LoginBody {
  username: string;
  password: string;
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
        properties: { username: USERNAME, password: { type: 'string', minLength: 1, maxLength: 1024 } },
      },
    },
  }, async (req) => {
    const { username, password } = req.body;
    const attempt = await loginLimiter.admit(db, req.ip, username);
    const user = await db.getUserByName(username);
    // Hash even for unknown users so that timing does not reveal which usernames exist.
    dummyHash ??= hashPassword(randomPassword());
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
    if (!user || !ok) throw new SkiffError('UNAUTHORIZED', 'username or password is wrong');
    await attempt.succeeded();
    const { token, hash } = mintToken('skh_');
    const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000).toISOString();
    await db.mutate(
      (tx) => tx.createToken({ kind: 'session', hash, name: 'session', userId: user.id, customerId: null, scopes: [], expiresAt }),
      { actor: `user:${user.username}`, action: 'login', target: `user:${user.username}`, address: req.ip },
    );
    return { token, expiresAt, username: user.username, role: user.role };
  });

  app.post('/logout', { schema: { tags: ['session'], summary: 'Revoke the token used for this call', security: SECURITY, body: EMPTY_BODY } }, async (req) => {
    const p = principalOf(req);
    await mutate(app, req, (tx) => tx.revokeToken(p.tokenId), { action: 'logout', target: `token:${p.tokenId}` });
    return { revoked: p.tokenId };
  });

  app.get('/whoami', { schema: { tags: ['session'], summary: 'The caller', security: SECURITY } }, async (req) => {
    const p = principalOf(req);
    if (p.kind === 'customer') return { kind: 'customer', customer: p.customerName };
    if (p.kind === 'instance') return { kind: 'instance', customer: p.customerName, instance: p.instanceId, app: p.app };
    return { kind: 'user', username: p.username, role: p.role, scopes: [...p.scopes], roleScopes: roleScopes(p.role) };
  });
}
