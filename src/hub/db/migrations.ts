// Numbered schema migrations, one dialect-neutral source; only the bytes type differs between SQLite and PostgreSQL.
import type { Dialect } from './driver.ts';
import { FLEET_MIGRATION } from './sql-fleet.ts';
import { VALUES_MIGRATION } from './sql-values.ts';
import { GENERATION_MIGRATION } from './sql-generation.ts';
import { GATES_MIGRATION } from './sql-gates.ts';
import { ROLLOUTS_MIGRATION } from './sql-rollouts.ts';
import { NOTIFY_ATTEMPT_NUMBERS_MIGRATION, NOTIFY_MIGRATION } from './sql-notify.ts';
import { LOGS_MIGRATION } from './sql-logs.ts';
import { OBSERVE_MIGRATION } from './sql-observe.ts';
import { AIRGAP_MIGRATION } from './sql-airgap.ts';
import { TAGS_MIGRATION } from './sql-tags.ts';
import { RECIPIENTS_MIGRATION } from './sql-recipients.ts';
import { CUSTOMER_USERS_MIGRATION } from './sql-customer-users.ts';
import { SCAN_SIGNATURES_MIGRATION } from './sql-scan-signatures.ts';
import { ROLLOUT_COUNTS_MIGRATION } from './sql-rollout-counts.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(d: Dialect): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    statements: (d) => {
      const bytes = d === 'postgres' ? 'BYTEA' : 'BLOB';
      return [
        `CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
          role TEXT NOT NULL, created_at TEXT NOT NULL)`,
        `CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, airgapped INTEGER NOT NULL,
          created_at TEXT NOT NULL)`,
        `CREATE TABLE tokens (id TEXT PRIMARY KEY, kind TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
          user_id TEXT REFERENCES users(id), customer_id TEXT REFERENCES customers(id), scopes TEXT NOT NULL,
          created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)`,
        `CREATE TABLE apps (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)`,
        `CREATE TABLE app_roots (app TEXT NOT NULL REFERENCES apps(name), version INTEGER NOT NULL, root ${bytes} NOT NULL,
          created_at TEXT NOT NULL, PRIMARY KEY (app, version))`,
        `CREATE TABLE releases (app TEXT NOT NULL REFERENCES apps(name), version TEXT NOT NULL, digest TEXT NOT NULL,
          manifest ${bytes} NOT NULL, signature ${bytes} NOT NULL, created_at TEXT NOT NULL, visible INTEGER NOT NULL,
          PRIMARY KEY (app, version))`,
        `CREATE TABLE channels (app TEXT NOT NULL REFERENCES apps(name), name TEXT NOT NULL, created_at TEXT NOT NULL,
          PRIMARY KEY (app, name))`,
        `CREATE TABLE channel_releases (app TEXT NOT NULL, channel TEXT NOT NULL, version TEXT NOT NULL,
          required INTEGER NOT NULL, promoted_at TEXT NOT NULL, PRIMARY KEY (app, channel, version),
          FOREIGN KEY (app, channel) REFERENCES channels(app, name), FOREIGN KEY (app, version) REFERENCES releases(app, version))`,
        `CREATE TABLE entitlements (customer_id TEXT NOT NULL REFERENCES customers(id), app TEXT NOT NULL REFERENCES apps(name),
          channel TEXT NOT NULL, expires_at TEXT, PRIMARY KEY (customer_id, app))`,
        `CREATE TABLE instances (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id), app TEXT NOT NULL,
          name TEXT NOT NULL, current_version TEXT, desired_version TEXT, health TEXT, last_seen_at TEXT,
          created_at TEXT NOT NULL, UNIQUE (customer_id, name))`,
        `CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
          target TEXT NOT NULL, address TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
        `CREATE INDEX tokens_user ON tokens (user_id)`,
        `CREATE INDEX tokens_customer ON tokens (customer_id)`,
        `CREATE INDEX instances_customer ON instances (customer_id)`,
      ];
    },
  },
  {
    version: 2,
    name: 'login attempts',
    // Failed (and in-flight) logins of the throttle window, shared by every replica; rows older than the window are deleted.
    statements: () => [
      `CREATE TABLE login_attempts (id TEXT PRIMARY KEY, at TEXT NOT NULL, address TEXT NOT NULL, username TEXT NOT NULL)`,
      `CREATE INDEX login_attempts_at ON login_attempts (at)`,
    ],
  },
  {
    version: 3,
    name: 'case-insensitive user names',
    // "Admin" and "admin" were two users. The oldest of each such group keeps its name; the others get "-<id prefix>"
    // appended (listed under the new name by `GET /users`), so no account is lost and logins are no longer ambiguous.
    statements: () => [
      `UPDATE users SET username = username || '-' || substr(id, 1, 8)
        WHERE EXISTS (SELECT 1 FROM users o WHERE lower(o.username) = lower(users.username)
          AND (o.created_at < users.created_at OR (o.created_at = users.created_at AND o.id < users.id)))`,
      `CREATE UNIQUE INDEX users_username_lower ON users (lower(username))`,
    ],
  },
  FLEET_MIGRATION,
  VALUES_MIGRATION,
  GENERATION_MIGRATION,
  GATES_MIGRATION,
  RECIPIENTS_MIGRATION,
  ROLLOUTS_MIGRATION,
  NOTIFY_MIGRATION,
  LOGS_MIGRATION,
  OBSERVE_MIGRATION,
  AIRGAP_MIGRATION,
  TAGS_MIGRATION,
  CUSTOMER_USERS_MIGRATION,
  SCAN_SIGNATURES_MIGRATION,
  ROLLOUT_COUNTS_MIGRATION,
  NOTIFY_ATTEMPT_NUMBERS_MIGRATION,
];
