// The documented answers of the customer portal's reads: release notes, approvals (per customer and per instance),
// a site's pin and maintenance windows, and the customer's users.
import { arr, BOOL, obj, orNull, type Schema, STR, TIME } from './response-schemas-fleet.ts';

const APPROVAL = obj({ required: BOOL, approved: arr(STR) });
const INSTANCE_APPROVALS = obj({ instance: STR, name: STR, customer: STR, app: STR, required: BOOL, customerApproved: arr(STR), approved: arr(obj({ version: STR, approvedBy: STR, approvedAt: TIME })) });
const WINDOW = obj({ days: arr(STR), start: STR, end: STR, timeZone: STR });

export const PORTAL_RESPONSES: Record<string, Record<number, Schema>> = {
  'GET /apps/:app/notes': { 200: obj({ app: STR, customer: STR, from: orNull(STR), to: orNull(STR), notes: arr(obj({ version: STR, changelog: STR, createdAt: TIME })) }) },
  'GET /customers/:customer/apps/:app/approval': { 200: APPROVAL },
  'GET /customers/:customer/apps/:app/policy': { 200: obj({ pinnedVersion: orNull(STR), windows: arr(WINDOW) }) },
  'GET /customers/:customer/users': { 200: obj({ users: arr(obj({ id: STR, customer: STR, username: STR, role: { type: 'string', enum: ['customer-admin', 'customer-viewer'] }, createdAt: TIME })) }) },
  'GET /instances/:id/approvals': { 200: INSTANCE_APPROVALS },
  'POST /instances/:id/approvals': { 201: INSTANCE_APPROVALS },
};
