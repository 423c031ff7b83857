// The metadata seam's customer users: people who sign in to the portal for one customer, with a customer role.

/** customer-admin: approves upgrades, sets maintenance windows, uploads reports, manages its customer's users; customer-viewer: reads only. */
export type CustomerRole = 'customer-admin' | 'customer-viewer';
export const CUSTOMER_ROLES: readonly CustomerRole[] = ['customer-admin', 'customer-viewer'];

export interface CustomerUserRecord {
  readonly id: string;
  readonly customerId: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: CustomerRole;
  readonly createdAt: string;
}

/** Customer users (src/hub/db/sql-customer-users.ts); user names are unique across vendor and customer users. Writes run only inside mutate. */
export interface CustomerUserStore {
  /** mutate only; CONFLICT when any user (vendor or customer) has that name, in any letter case. */
  create(u: { customerId: string; username: string; passwordHash: string; role: CustomerRole }): Promise<CustomerUserRecord>;
  get(id: string): Promise<CustomerUserRecord | undefined>;
  getByName(username: string): Promise<CustomerUserRecord | undefined>;
  list(customerId: string): Promise<CustomerUserRecord[]>;
  /** mutate only; the user's sessions go with it. False when the customer has no such user. */
  remove(customerId: string, username: string): Promise<boolean>;
}
