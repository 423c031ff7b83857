// The documented answers of the console's customer page: a customer's tokens (listed, issued, revoked), enrollment
// tokens, and its values of an app (listed and changed; a secret shows as set or not, never its value).
import { arr, BOOL, INT, obj, orNull, type Schema, STR, TIME } from './response-schemas-fleet.ts';

const VALUE = obj(
  { name: STR, level: orNull({ type: 'string', enum: ['customer', 'instance'] }), secret: BOOL, set: BOOL, value: STR, declared: BOOL, required: BOOL },
  ['value'],
);
const VALUES = {
  customer: STR,
  app: STR,
  instance: orNull(obj({ id: STR, name: STR })),
  release: orNull(STR),
  values: arr(VALUE),
  held: arr(obj({ site: STR, release: STR, reason: STR })),
};

export const CUSTOMER_RESPONSES: Record<string, Record<number, Schema>> = {
  'GET /customers/:customer/tokens': { 200: obj({ tokens: arr(obj({ id: STR, kind: STR, name: STR, createdAt: TIME, revokedAt: orNull(TIME) })) }) },
  'POST /customers/:customer/tokens': { 201: obj({ token: STR }) },
  'DELETE /tokens/:id': { 200: obj({ revoked: STR }) },
  'POST /customers/:customer/enroll-tokens': { 201: obj({ token: STR, app: STR, customer: STR, uses: INT, expiresAt: TIME }) },
  'GET /customers/:customer/apps/:app/values': { 200: obj(VALUES) },
  'PATCH /customers/:customer/apps/:app/values': { 200: obj({ ...VALUES, sealed: arr(STR) }) },
  'DELETE /customers/:customer/users/:username': { 200: obj({ removed: STR }) },
};
