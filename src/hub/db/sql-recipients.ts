// A customer's age X25519 recipient: bundles fetched for that customer are encrypted to it (null: plain bundles).
import type { SqlExec } from './driver.ts';

export const RECIPIENTS_MIGRATION = {
  version: 14,
  name: 'customer recipients',
  statements: (): string[] => [`ALTER TABLE customers ADD COLUMN recipient TEXT`],
};

/** Sets or (null) clears the customer's recipient; false when there is no such customer. */
export async function setCustomerRecipient(sql: SqlExec, customerId: string, recipient: string | null): Promise<boolean> {
  return (await sql.run('UPDATE customers SET recipient = ? WHERE id = ?', [recipient, customerId])) > 0;
}
