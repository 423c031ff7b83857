// The documented answers of a customer's tokens (the console's customer page lists, issues and revokes them).
import { arr, obj, orNull, type Schema, STR, TIME } from './response-schemas-fleet.ts';

export const CUSTOMER_RESPONSES: Record<string, Record<number, Schema>> = {
  'GET /customers/:customer/tokens': { 200: obj({ tokens: arr(obj({ id: STR, kind: STR, name: STR, createdAt: TIME, revokedAt: orNull(TIME) })) }) },
  'POST /customers/:customer/tokens': { 201: obj({ token: STR }) },
};
