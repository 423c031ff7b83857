// The metadata seam's notification part: webhook endpoints, opt-ins, the delivery outbox, silences and upgrade approvals.

/** A webhook endpoint: where events go, signed with its secret (sealed at rest); a customer's endpoint gets only its events. */
export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  readonly secretSealed: string;
  /** Event names, or ["*"]. */
  readonly events: readonly string[];
  readonly customerId: string | null;
  readonly createdAt: string;
}

/** A customer's opt-in to notifications about it, and the addresses e-mail goes to. */
export interface CustomerNotify {
  readonly webhooks: boolean;
  readonly email: boolean;
  readonly contacts: readonly string[];
}

/** One thing to deliver: a webhook call (target: the endpoint id) or an e-mail (target: the address). */
export interface OutboxItem {
  readonly kind: 'webhook' | 'email';
  readonly target: string;
  readonly event: string;
  /** The JSON body (webhook) or the message as JSON (e-mail). */
  readonly payload: string;
}

export interface OutboxRecord extends OutboxItem {
  readonly id: string;
  readonly createdAt: string;
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAt: string;
  readonly doneAt: string | null;
}

export interface DeliveryAttempt {
  readonly at: string;
  readonly status: number | null;
  readonly durationMs: number;
  readonly error: string | null;
}

export interface DeliveryLog extends OutboxRecord {
  readonly log: readonly DeliveryAttempt[];
}

export interface SilentInstance {
  readonly id: string;
  readonly customerId: string;
  readonly app: string;
  readonly name: string;
  readonly lastSeenAt: string;
}

/** Whether a customer approves each upgrade of an app before its instances take it, and the versions it approved. */
export interface ApprovalPolicy {
  readonly required: boolean;
  readonly approved: readonly string[];
}

/** The notification and approval tables (src/hub/db/sql-notify.ts); writes marked so run only inside mutate. */
export interface NotifyStore {
  /** mutate only. */
  addWebhook(w: Omit<WebhookRecord, 'createdAt'>): Promise<WebhookRecord>;
  /** mutate only. */
  removeWebhook(id: string): Promise<boolean>;
  listWebhooks(): Promise<WebhookRecord[]>;
  getWebhook(id: string): Promise<WebhookRecord | undefined>;
  getCustomerNotify(customerId: string): Promise<CustomerNotify>;
  /** mutate only. */
  setCustomerNotify(customerId: string, n: CustomerNotify): Promise<void>;
  /** Stores deliveries (inside the caller's transaction when there is one). */
  enqueue(items: readonly OutboxItem[]): Promise<string[]>;
  claimDue(limit: number, leaseMs: number, at?: Date): Promise<OutboxRecord[]>;
  recordAttempt(id: string, a: { status: number | null; durationMs: number; error: string | null; delivered: boolean; retryAt: string | null }): Promise<void>;
  /** mutate only. */
  redeliver(id: string): Promise<boolean>;
  getDelivery(id: string): Promise<OutboxRecord | undefined>;
  listDeliveries(target: string, limit?: number): Promise<DeliveryLog[]>;
  tellNewSilences(before: string, tell: (s: SilentInstance) => OutboxItem[]): Promise<number>;
  getApproval(customerId: string, app: string): Promise<ApprovalPolicy>;
  /** mutate only. */
  setApprovalRequired(customerId: string, app: string, required: boolean): Promise<boolean>;
  /** mutate only. */
  approve(customerId: string, app: string, version: string, by: string): Promise<void>;
  /** The versions approved for one instance (over its customer's approvals). */
  instanceApprovals(instanceId: string): Promise<InstanceApproval[]>;
  /** mutate only. */
  approveInstance(instanceId: string, version: string, by: string): Promise<void>;
}

/** A customer approved upgrading one instance up to `version`. */
export interface InstanceApproval {
  readonly version: string;
  readonly approvedBy: string;
  readonly approvedAt: string;
}
