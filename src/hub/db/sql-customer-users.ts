// Customer users in portable SQL: rows of the users table that name their customer, so that one unique index keeps
// user names unique across vendor and customer users (one login form, no ambiguity) and sessions reference them as
// they reference vendor users. Vendor queries (sql-store.ts) read only the rows without a customer.
import { randomUUID } from 'node:crypto';
import { SkiffError } from '../../util/index.ts';
import type { SqlExec } from './driver.ts';
import type { CustomerRole, CustomerUserRecord, CustomerUserStore } from './types-customer-users.ts';

export const CUSTOMER_USERS_MIGRATION = {
  version: 22,
  name: 'customer users',
  statements: (): string[] => ['ALTER TABLE users ADD COLUMN customer_id TEXT REFERENCES customers(id)', 'CREATE INDEX users_customer ON users (customer_id)'],
};

interface Row { id: string; customer_id: string; username: string; password_hash: string; role: string; created_at: string }
const toRecord = (r: Row): CustomerUserRecord => ({
  id: r.id, customerId: r.customer_id, username: r.username, passwordHash: r.password_hash, role: r.role as CustomerRole, createdAt: r.created_at,
});

export class SqlCustomerUsers implements CustomerUserStore {
  readonly #read: () => SqlExec;
  readonly #write: () => SqlExec;
  readonly #isUniqueViolation: (e: unknown) => boolean;

  constructor(read: () => SqlExec, write: () => SqlExec, isUniqueViolation: (e: unknown) => boolean) {
    this.#read = read;
    this.#write = write;
    this.#isUniqueViolation = isUniqueViolation;
  }

  async create(u: { customerId: string; username: string; passwordHash: string; role: CustomerRole }): Promise<CustomerUserRecord> {
    const rec: CustomerUserRecord = { id: randomUUID(), ...u, createdAt: new Date().toISOString() };
    try {
      // A savepoint, so that a caught CONFLICT leaves the transaction usable (PostgreSQL aborts it otherwise).
      await this.#write().transaction((tx) =>
        tx.run('INSERT INTO users (id, username, password_hash, role, created_at, customer_id) VALUES (?, ?, ?, ?, ?, ?)',
          [rec.id, rec.username, rec.passwordHash, rec.role, rec.createdAt, rec.customerId]),
      );
    } catch (e) {
      if (this.#isUniqueViolation(e)) throw new SkiffError('CONFLICT', `user "${u.username}" already exists: choose another user name`, { cause: e });
      throw e;
    }
    return rec;
  }

  async get(id: string): Promise<CustomerUserRecord | undefined> {
    const [r] = await this.#read().all<Row>('SELECT * FROM users WHERE id = ? AND customer_id IS NOT NULL', [id]);
    return r && toRecord(r);
  }

  async getByName(username: string): Promise<CustomerUserRecord | undefined> {
    const [r] = await this.#read().all<Row>('SELECT * FROM users WHERE lower(username) = lower(?) AND customer_id IS NOT NULL', [username]);
    return r && toRecord(r);
  }

  async list(customerId: string): Promise<CustomerUserRecord[]> {
    return (await this.#read().all<Row>('SELECT * FROM users WHERE customer_id = ? ORDER BY username', [customerId])).map(toRecord);
  }

  async remove(customerId: string, username: string): Promise<boolean> {
    const [r] = await this.#write().all<{ id: string }>('SELECT id FROM users WHERE customer_id = ? AND lower(username) = lower(?)', [customerId, username]);
    if (!r) return false;
    await this.#write().run('DELETE FROM tokens WHERE user_id = ?', [r.id]);
    return (await this.#write().run('DELETE FROM users WHERE id = ?', [r.id])) === 1;
  }
}
