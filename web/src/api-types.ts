// Generated from the hub's OpenAPI document by scripts/web-api-types.ts: do not edit; run
// `node --import tsx scripts/web-api-types.ts` after changing a route's schema.

export interface Operations {
  "GET /alerts": {
    params: Record<string, never>;
    query: {
      state?: "firing" | "resolved";
    };
    body: never;
    response: {
      alerts: {
        rule: string;
        alertname: string;
        instanceId: string;
        instance: string;
        customer: string;
        app: string;
        state: "firing" | "resolved";
        since: string;
        resolvedAt: string | null;
        detail: Record<string, unknown>;
      }[];
    };
  };
  "GET /apps": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: {
      apps: {
        name: string;
        createdAt: string;
      }[];
    };
  };
  "POST /apps": {
    params: Record<string, never>;
    query: never;
    body: {
      name: string;
      root: string;
    };
    response: unknown;
  };
  "GET /apps/:app": {
    params: {
      app: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "POST /apps/:app/approvals": {
    params: {
      app: string;
    };
    query: never;
    body: {
      version: string;
      customer?: string;
    };
    response: unknown;
  };
  "GET /apps/:app/channels": {
    params: {
      app: string;
    };
    query: never;
    body: never;
    response: {
      channels: {
        app: string;
        name: string;
        releases: {
          version: string;
          required: boolean;
          promotedAt: string;
        }[];
      }[];
    };
  };
  "GET /apps/:app/channels/:channel": {
    params: {
      app: string;
      channel: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /apps/:app/channels/:channel/policy": {
    params: {
      app: string;
      channel: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /apps/:app/channels/:channel/policy": {
    params: {
      app: string;
      channel: string;
    };
    query: never;
    body: {
      failOn: ("low" | "medium" | "high" | "critical") | null;
      /**
       * @maxItems 200
       */
      refusedLicenses?: string[];
    };
    response: unknown;
  };
  "POST /apps/:app/channels/:channel/releases": {
    params: {
      app: string;
      channel: string;
    };
    query: never;
    body: {
      version: string;
      required?: boolean;
    };
    response: {
      app: string;
      name: string;
      releases: {
        version: string;
        required: boolean;
        promotedAt: string;
      }[];
    };
  };
  "PATCH /apps/:app/channels/:channel/releases/:version": {
    params: {
      app: string;
      channel: string;
      version: string;
    };
    query: never;
    body: {
      required: boolean;
    };
    response: unknown;
  };
  "DELETE /apps/:app/channels/:channel/releases/:version": {
    params: {
      app: string;
      channel: string;
      version: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /apps/:app/keys/timestamp": {
    params: {
      app: string;
    };
    query: never;
    body: {
      key: string;
    };
    response: unknown;
  };
  "GET /apps/:app/notes": {
    params: {
      app: string;
    };
    query: {
      from?: string;
      customer?: string;
    };
    body: never;
    response: {
      app: string;
      customer: string;
      from: string | null;
      to: string | null;
      notes: {
        version: string;
        changelog: string;
        createdAt: string;
      }[];
    };
  };
  "GET /apps/:app/releases": {
    params: {
      app: string;
    };
    query: never;
    body: never;
    response: {
      releases: {
        app: string;
        version: string;
        digest: string;
        createdAt: string;
      }[];
    };
  };
  "GET /apps/:app/releases/:version": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /apps/:app/releases/:version": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: {
      manifest: string;
      signature: string;
    };
    response: unknown;
  };
  "GET /apps/:app/releases/:version/details": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: never;
    response: {
      app: string;
      version: string;
      digest: string;
      createdAt: string;
      changelog: string;
      minAgentVersion: string;
      images: {
        service: string;
        ref: string;
        manifestDigest: string;
        platform: string;
        compressedBytes: number;
      }[];
      totalCompressedBytes: number;
      settings: {
        name: string;
        type: string;
        required: boolean;
        secret: boolean;
      }[];
      signature: {
        keyIds: string[];
        verifiedAtPush: string;
      };
      channels: string[];
    };
  };
  "GET /apps/:app/releases/:version/diff": {
    params: {
      app: string;
      version: string;
    };
    query: {
      from: string;
    };
    body: never;
    response: {
      app: string;
      from: {
        version: string;
        digest: string;
      };
      to: {
        version: string;
        digest: string;
      };
      services: {
        added: string[];
        removed: string[];
        changed: string[];
      };
      images: {
        service: string;
        status: "added" | "removed" | "changed" | "unchanged";
        imageChanged: boolean;
        from?: {
          ref: string;
          manifestDigest: string;
          configDigest: string;
          size: number;
        };
        to?: {
          ref: string;
          manifestDigest: string;
          configDigest: string;
          size: number;
        };
        layersAdded: {
          digest: string;
          size: number;
        }[];
        layersRemoved: {
          digest: string;
          size: number;
        }[];
      }[];
      delta: {
        blobs: number;
        bytes: number;
      };
      compose: {
        path: string;
        kind: "added" | "removed" | "changed";
        from?: unknown;
        to?: unknown;
      }[];
    };
  };
  "GET /apps/:app/releases/:version/scan": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /apps/:app/releases/:version/scan": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: {
      report?: string;
      signature?: string;
    };
    response: unknown;
  };
  "GET /apps/:app/releases/:version/waivers": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "POST /apps/:app/releases/:version/waivers": {
    params: {
      app: string;
      version: string;
    };
    query: never;
    body: {
      finding: string;
      reason: string;
      expiresAt: string;
    };
    response: unknown;
  };
  "GET /apps/:app/roots": {
    params: {
      app: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "POST /apps/:app/roots": {
    params: {
      app: string;
    };
    query: never;
    body: {
      root: string;
    };
    response: unknown;
  };
  "GET /audit": {
    params: Record<string, never>;
    query: {
      after?: string;
      limit?: string;
    };
    body: never;
    response: {
      entries: {
        id: number;
        at: string;
        actor: string;
        action: string;
        target: string;
        address: string;
        details: Record<string, unknown>;
        prevHash: string;
        hash: string;
      }[];
    };
  };
  "GET /audit/verify": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /blobs/:digest": {
    params: {
      digest: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /bundles/:app/:version": {
    params: {
      app: string;
      version: string;
    };
    query: {
      from?: string | string[];
    };
    body: never;
    response: unknown;
  };
  "GET /customers": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: {
      customers: {
        id: string;
        name: string;
        airgapped: boolean;
        createdAt: string;
        entitlements: {
          app: string;
          channel: string;
          expiresAt: string | null;
        }[];
        recipient: string | null;
      }[];
    };
  };
  "POST /customers": {
    params: Record<string, never>;
    query: never;
    body: {
      name: string;
      /**
       * @maxItems 1000
       */
      entitlements: {
        app: string;
        channel: string;
        expiresAt?: string | null;
      }[];
      airgapped?: boolean;
    };
    response: unknown;
  };
  "GET /customers/:customer": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /customers/:customer/apps/:app/approval": {
    params: {
      customer: string;
      app: string;
    };
    query: never;
    body: never;
    response: {
      required: boolean;
      approved: string[];
    };
  };
  "PUT /customers/:customer/apps/:app/approval": {
    params: {
      customer: string;
      app: string;
    };
    query: never;
    body: {
      required: boolean;
    };
    response: unknown;
  };
  "GET /customers/:customer/apps/:app/policy": {
    params: {
      customer: string;
      app: string;
    };
    query: never;
    body: never;
    response: {
      pinnedVersion: string | null;
      windows: {
        days: string[];
        start: string;
        end: string;
        timeZone: string;
      }[];
    };
  };
  "PATCH /customers/:customer/apps/:app/policy": {
    params: {
      customer: string;
      app: string;
    };
    query: never;
    body: {
      pinnedVersion?: string | null;
      /**
       * @maxItems 64
       */
      windows?: Record<string, unknown>[];
    };
    response: unknown;
  };
  "GET /customers/:customer/apps/:app/values": {
    params: {
      customer: string;
      app: string;
    };
    query: never;
    body: never;
    response: {
      customer: string;
      app: string;
      instance: {
        id: string;
        name: string;
      } | null;
      release: string | null;
      values: {
        name: string;
        level: ("customer" | "instance") | null;
        secret: boolean;
        set: boolean;
        value?: string;
        declared: boolean;
        required: boolean;
      }[];
      held: {
        site: string;
        release: string;
        reason: string;
      }[];
    };
  };
  "PATCH /customers/:customer/apps/:app/values": {
    params: {
      customer: string;
      app: string;
    };
    query: never;
    body: {
      set?: {
        [k: string]: string | number | boolean | undefined;
      };
      /**
       * @maxItems 256
       */
      unset?: string[];
      secret?: boolean;
    };
    response: {
      customer: string;
      app: string;
      instance: {
        id: string;
        name: string;
      } | null;
      release: string | null;
      values: {
        name: string;
        level: ("customer" | "instance") | null;
        secret: boolean;
        set: boolean;
        value?: string;
        declared: boolean;
        required: boolean;
      }[];
      held: {
        site: string;
        release: string;
        reason: string;
      }[];
      sealed: string[];
    };
  };
  "POST /customers/:customer/enroll-tokens": {
    params: {
      customer: string;
    };
    query: never;
    body: {
      app: string;
      uses?: number;
      expiresInSeconds?: number;
    };
    response: {
      token: string;
      app: string;
      customer: string;
      uses: number;
      expiresAt: string;
    };
  };
  "GET /customers/:customer/entitlements": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /customers/:customer/entitlements": {
    params: {
      customer: string;
    };
    query: never;
    body: {
      /**
       * @maxItems 1000
       */
      entitlements: {
        app: string;
        channel: string;
        expiresAt?: string | null;
      }[];
    };
    response: unknown;
  };
  "GET /customers/:customer/instances": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /customers/:customer/log-retention": {
    params: {
      customer: string;
    };
    query: never;
    body: {
      days: number;
    };
    response: unknown;
  };
  "GET /customers/:customer/notifications": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /customers/:customer/notifications": {
    params: {
      customer: string;
    };
    query: never;
    body: {
      webhooks?: boolean;
      email?: boolean;
      /**
       * @maxItems 50
       */
      contacts?: string[];
    };
    response: unknown;
  };
  "PUT /customers/:customer/recipient": {
    params: {
      customer: string;
    };
    query: never;
    body: {
      recipient: string;
    };
    response: unknown;
  };
  "DELETE /customers/:customer/recipient": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /customers/:customer/tokens": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: {
      tokens: {
        id: string;
        kind: string;
        name: string;
        createdAt: string;
        revokedAt: string | null;
      }[];
    };
  };
  "POST /customers/:customer/tokens": {
    params: {
      customer: string;
    };
    query: never;
    body: Record<string, never>;
    response: {
      token: string;
    };
  };
  "GET /customers/:customer/users": {
    params: {
      customer: string;
    };
    query: never;
    body: never;
    response: {
      users: {
        id: string;
        customer: string;
        username: string;
        role: "customer-admin" | "customer-viewer";
        createdAt: string;
      }[];
    };
  };
  "POST /customers/:customer/users": {
    params: {
      customer: string;
    };
    query: never;
    body: {
      username: string;
      password: string;
      role: "customer-admin" | "customer-viewer";
    };
    response: unknown;
  };
  "DELETE /customers/:customer/users/:username": {
    params: {
      customer: string;
      username: string;
    };
    query: never;
    body: never;
    response: {
      removed: string;
    };
  };
  "POST /deliveries/:id/redeliver": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "POST /enroll": {
    params: Record<string, never>;
    query: never;
    body: {
      token: string;
      rootSha256?: string;
      name: string;
      publicKey: string;
      facts?: {
        [k: string]: string | undefined;
      };
    };
    response: unknown;
  };
  "GET /instances": {
    params: Record<string, never>;
    query: {
      app?: string;
      version?: string;
      health?: "healthy" | "unhealthy" | "unknown";
      customer?: string;
      seenBefore?: string;
      tag?: string | string[];
      q?: string;
      limit?: string;
      offset?: string;
    };
    body: never;
    response: {
      instances: {
        id: string;
        name: string;
        customer: string;
        app: string;
        currentVersion: string | null;
        desiredVersion: string | null;
        health: string | null;
        phase: string | null;
        lastError: string | null;
        services: {
          service: string;
          state: string;
          health: string;
        }[];
        agentVersion: string | null;
        diskFreeBytes: number | null;
        metrics: {
          at: string;
          containers: {
            service: string;
            restarts: number;
            cpuRatio: number | null;
            memoryBytes: number | null;
            memoryLimitBytes: number | null;
          }[];
          diskFree: {
            stateDir: number | null;
            engineRoot: number | null;
          };
        } | null;
        lastSeenAt: string | null;
        lastOutage: {
          since: string;
          until: string;
          failedPolls: number;
        } | null;
        createdAt: string;
        revokedAt: string | null;
        facts: Record<string, unknown>;
        pinnedVersion: string | null;
        windows: Record<string, unknown>[];
        installNow: boolean;
        blockedReason: string | null;
        tags: {
          [k: string]: string | undefined;
        };
      }[];
    };
  };
  "GET /instances/:id": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      name: string;
      customer: string;
      app: string;
      currentVersion: string | null;
      desiredVersion: string | null;
      health: string | null;
      phase: string | null;
      lastError: string | null;
      services: {
        service: string;
        state: string;
        health: string;
      }[];
      agentVersion: string | null;
      diskFreeBytes: number | null;
      metrics: {
        at: string;
        containers: {
          service: string;
          restarts: number;
          cpuRatio: number | null;
          memoryBytes: number | null;
          memoryLimitBytes: number | null;
        }[];
        diskFree: {
          stateDir: number | null;
          engineRoot: number | null;
        };
      } | null;
      lastSeenAt: string | null;
      lastOutage: {
        since: string;
        until: string;
        failedPolls: number;
      } | null;
      createdAt: string;
      revokedAt: string | null;
      facts: Record<string, unknown>;
      pinnedVersion: string | null;
      windows: Record<string, unknown>[];
      installNow: boolean;
      blockedReason: string | null;
      tags: {
        [k: string]: string | undefined;
      };
    } & {
      metricsHistory: {
        at: string;
        metrics: {
          at: string;
          containers: {
            service: string;
            restarts: number;
            cpuRatio: number | null;
            memoryBytes: number | null;
            memoryLimitBytes: number | null;
          }[];
          diskFree: {
            stateDir: number | null;
            engineRoot: number | null;
          };
        };
      }[];
      history: {
        at: string;
        kind: string;
        detail: Record<string, unknown>;
      }[];
    };
  };
  "GET /instances/:id/approvals": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      instance: string;
      name: string;
      customer: string;
      app: string;
      required: boolean;
      customerApproved: string[];
      approved: {
        version: string;
        approvedBy: string;
        approvedAt: string;
      }[];
    };
  };
  "POST /instances/:id/approvals": {
    params: {
      id: string;
    };
    query: never;
    body: {
      version: string;
    };
    response: {
      instance: string;
      name: string;
      customer: string;
      app: string;
      required: boolean;
      customerApproved: string[];
      approved: {
        version: string;
        approvedBy: string;
        approvedAt: string;
      }[];
    };
  };
  "POST /instances/:id/install-now": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, never>;
    response: unknown;
  };
  "POST /instances/:id/logs": {
    params: {
      id: string;
    };
    query: never;
    body: {
      stream: string;
      lines: {
        seq: number;
        at: string;
        service: string;
        source: string;
        level: "error" | "warn" | "info" | "debug";
        message: string;
      }[];
    };
    response: unknown;
  };
  "PATCH /instances/:id/policy": {
    params: {
      id: string;
    };
    query: never;
    body: {
      pinnedVersion?: string | null;
      /**
       * @maxItems 64
       */
      windows?: Record<string, unknown>[];
    };
    response: unknown;
  };
  "POST /instances/:id/revoke": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, never>;
    response: unknown;
  };
  "POST /instances/:id/support-bundle-request": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, never>;
    response: {
      requestedAt: string;
    };
  };
  "GET /instances/:id/support-bundles": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      bundles: {
        id: string;
        instanceId: string;
        digest: string;
        size: number;
        uploadedBy: string;
        createdAt: string;
      }[];
      requestedAt: string | null;
    };
  };
  "POST /instances/:id/support-bundles": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /instances/:id/support-bundles/:bundle": {
    params: {
      id: string;
      bundle: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PUT /instances/:id/tags": {
    params: {
      id: string;
    };
    query: never;
    body: {
      tags: {
        [k: string]: string | undefined;
      };
    };
    response: {
      id: string;
      name: string;
      customer: string;
      app: string;
      currentVersion: string | null;
      desiredVersion: string | null;
      health: string | null;
      phase: string | null;
      lastError: string | null;
      services: {
        service: string;
        state: string;
        health: string;
      }[];
      agentVersion: string | null;
      diskFreeBytes: number | null;
      metrics: {
        at: string;
        containers: {
          service: string;
          restarts: number;
          cpuRatio: number | null;
          memoryBytes: number | null;
          memoryLimitBytes: number | null;
        }[];
        diskFree: {
          stateDir: number | null;
          engineRoot: number | null;
        };
      } | null;
      lastSeenAt: string | null;
      lastOutage: {
        since: string;
        until: string;
        failedPolls: number;
      } | null;
      createdAt: string;
      revokedAt: string | null;
      facts: Record<string, unknown>;
      pinnedVersion: string | null;
      windows: Record<string, unknown>[];
      installNow: boolean;
      blockedReason: string | null;
      tags: {
        [k: string]: string | undefined;
      };
    };
  };
  "PATCH /instances/:id/tags": {
    params: {
      id: string;
    };
    query: never;
    body: {
      set?: {
        [k: string]: string | undefined;
      };
      /**
       * @maxItems 32
       */
      remove?: string[];
    };
    response: {
      id: string;
      name: string;
      customer: string;
      app: string;
      currentVersion: string | null;
      desiredVersion: string | null;
      health: string | null;
      phase: string | null;
      lastError: string | null;
      services: {
        service: string;
        state: string;
        health: string;
      }[];
      agentVersion: string | null;
      diskFreeBytes: number | null;
      metrics: {
        at: string;
        containers: {
          service: string;
          restarts: number;
          cpuRatio: number | null;
          memoryBytes: number | null;
          memoryLimitBytes: number | null;
        }[];
        diskFree: {
          stateDir: number | null;
          engineRoot: number | null;
        };
      } | null;
      lastSeenAt: string | null;
      lastOutage: {
        since: string;
        until: string;
        failedPolls: number;
      } | null;
      createdAt: string;
      revokedAt: string | null;
      facts: Record<string, unknown>;
      pinnedVersion: string | null;
      windows: Record<string, unknown>[];
      installNow: boolean;
      blockedReason: string | null;
      tags: {
        [k: string]: string | undefined;
      };
    };
  };
  "GET /instances/:id/values": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "PATCH /instances/:id/values": {
    params: {
      id: string;
    };
    query: never;
    body: {
      set?: {
        [k: string]: string | number | boolean | undefined;
      };
      /**
       * @maxItems 256
       */
      unset?: string[];
      secret?: boolean;
    };
    response: unknown;
  };
  "GET /instances/self/desired": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: unknown;
  };
  "POST /instances/self/status": {
    params: Record<string, never>;
    query: never;
    body: {
      currentVersion: string | null;
      desiredVersion?: string | null;
      health: "healthy" | "unhealthy" | "unknown";
      phase?: string;
      lastError?: string | null;
      /**
       * @maxItems 256
       */
      services?: unknown[];
      /**
       * @maxItems 100
       */
      history?: unknown[];
      failedRelease?: {
        version: string;
        at: string;
        reason: string;
      } | null;
      lastOutage?: {
        since: string;
        until: string;
        failedPolls: number;
      } | null;
      metrics?: {
        at: string;
        /**
         * @maxItems 256
         */
        containers: {
          service: string;
          restarts: number;
          cpuRatio: number | null;
          memoryBytes: number | null;
          memoryLimitBytes: number | null;
        }[];
        diskFree: {
          stateDir: number | null;
          engineRoot: number | null;
        };
      } | null;
      [k: string]: unknown | undefined;
    };
    response: unknown;
  };
  "GET /instances/self/values": {
    params: Record<string, never>;
    query: {
      version: string;
    };
    body: never;
    response: unknown;
  };
  "GET /instances/summary": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: {
      instances: number;
      unhealthy: number;
      versions: {
        version: string | null;
        count: number;
      }[];
    };
  };
  "POST /login": {
    params: Record<string, never>;
    query: never;
    body: {
      username: string;
      password: string;
      cookie?: boolean;
    };
    response: unknown;
  };
  "POST /login/customer": {
    params: Record<string, never>;
    query: never;
    body: {
      token: string;
    };
    response: unknown;
  };
  "POST /logout": {
    params: Record<string, never>;
    query: never;
    body: Record<string, never>;
    response: unknown;
  };
  "GET /logs": {
    params: Record<string, never>;
    query: {
      instance?: string;
      service?: string;
      level?: "error" | "warn" | "info" | "debug";
      since?: string;
      until?: string;
      q?: string;
      limit?: string;
    };
    body: never;
    response: {
      lines: {
        instanceId: string;
        stream: string;
        seq: number;
        at: string;
        service: string;
        source: string;
        level: "error" | "warn" | "info" | "debug";
        message: string;
      }[];
    };
  };
  "POST /reports": {
    params: Record<string, never>;
    query: never;
    body: Record<string, unknown>;
    response: unknown;
  };
  "GET /reports/adoption": {
    params: Record<string, never>;
    query: {
      app: string;
      format?: "json" | "csv";
    };
    body: never;
    response: {
      generatedAt: string;
      app: string;
      instances: number;
      versions: {
        version: string;
        releasedAt: string | null;
        instances: number;
        adoption50: {
          at: string;
          seconds: number;
        } | null;
        adoption90: {
          at: string;
          seconds: number;
        } | null;
      }[];
      behind: {
        [k: string]: number | undefined;
      };
      failedUpgrades: {
        instanceId: string;
        instance: string;
        customer: string;
        version: string;
        at: string;
        reason: string;
      }[];
      customers: {
        customer: string;
        instances: number;
        versions: {
          [k: string]: number | undefined;
        };
        behind: {
          [k: string]: number | undefined;
        };
        failedUpgrades: number;
      }[];
    };
  };
  "GET /rollouts": {
    params: Record<string, never>;
    query: {
      app?: string;
      state?: "running" | "paused" | "cancelled" | "finished";
    };
    body: never;
    response: {
      rollouts: {
        id: string;
        app: string;
        version: string;
        digest: string;
        target: {
          channel: string | null;
          customers: string[];
        };
        plan: Record<string, unknown>;
        state: "running" | "paused" | "cancelled" | "finished";
        reason: string | null;
        createdBy: string;
        createdAt: string;
        updatedAt: string;
        groups: {
          group: number;
          size: number;
          committed: number;
          failed: number;
          pending: number;
          startedAt: string | null;
          succeededAt: string | null;
          approved: boolean;
        }[];
      }[];
    };
  };
  "POST /rollouts": {
    params: Record<string, never>;
    query: never;
    body: Record<string, unknown>;
    response: unknown;
  };
  "GET /rollouts/:id": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      app: string;
      version: string;
      digest: string;
      target: {
        channel: string | null;
        customers: string[];
      };
      plan: Record<string, unknown>;
      state: "running" | "paused" | "cancelled" | "finished";
      reason: string | null;
      createdBy: string;
      createdAt: string;
      updatedAt: string;
      groups: {
        group: number;
        size: number;
        committed: number;
        failed: number;
        pending: number;
        startedAt: string | null;
        succeededAt: string | null;
        approved: boolean;
      }[];
    };
  };
  "POST /rollouts/:id/cancel": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, unknown>;
    response: {
      id: string;
      app: string;
      version: string;
      digest: string;
      target: {
        channel: string | null;
        customers: string[];
      };
      plan: Record<string, unknown>;
      state: "running" | "paused" | "cancelled" | "finished";
      reason: string | null;
      createdBy: string;
      createdAt: string;
      updatedAt: string;
      groups: {
        group: number;
        size: number;
        committed: number;
        failed: number;
        pending: number;
        startedAt: string | null;
        succeededAt: string | null;
        approved: boolean;
      }[];
    };
  };
  "POST /rollouts/:id/pause": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, unknown>;
    response: {
      id: string;
      app: string;
      version: string;
      digest: string;
      target: {
        channel: string | null;
        customers: string[];
      };
      plan: Record<string, unknown>;
      state: "running" | "paused" | "cancelled" | "finished";
      reason: string | null;
      createdBy: string;
      createdAt: string;
      updatedAt: string;
      groups: {
        group: number;
        size: number;
        committed: number;
        failed: number;
        pending: number;
        startedAt: string | null;
        succeededAt: string | null;
        approved: boolean;
      }[];
    };
  };
  "POST /rollouts/:id/resume": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, unknown>;
    response: {
      id: string;
      app: string;
      version: string;
      digest: string;
      target: {
        channel: string | null;
        customers: string[];
      };
      plan: Record<string, unknown>;
      state: "running" | "paused" | "cancelled" | "finished";
      reason: string | null;
      createdBy: string;
      createdAt: string;
      updatedAt: string;
      groups: {
        group: number;
        size: number;
        committed: number;
        failed: number;
        pending: number;
        startedAt: string | null;
        succeededAt: string | null;
        approved: boolean;
      }[];
    };
  };
  "POST /rollouts/:id/retry": {
    params: {
      id: string;
    };
    query: never;
    body: Record<string, unknown>;
    response: unknown;
  };
  "GET /session": {
    params: Record<string, never>;
    query: never;
    body: never;
    response:
      | {
          kind: "user";
          username: string;
          role: string;
          scopes: string[];
          roleScopes: string[];
        }
      | {
          kind: "customer";
          customer: string;
          role: "customer-admin" | "customer-viewer";
          username: string | null;
        }
      | {
          kind: "instance";
          customer: string;
          instance: string;
          app: string;
        }
      | {
          kind: "anonymous";
        };
  };
  "GET /tokens": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: unknown;
  };
  "POST /tokens": {
    params: Record<string, never>;
    query: never;
    body: {
      name: string;
      /**
       * @minItems 1
       */
      scopes: (
        | "read"
        | "release:push"
        | "channel:write"
        | "app:write"
        | "customer:read"
        | "customer:write"
        | "token:write"
        | "user:admin"
        | "audit:read"
        | "metrics:read"
      )[];
      expiresInDays?: number;
    };
    response: unknown;
  };
  "DELETE /tokens/:id": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      revoked: string;
    };
  };
  "GET /users": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: unknown;
  };
  "POST /users": {
    params: Record<string, never>;
    query: never;
    body: {
      username: string;
      password: string;
      role: "admin" | "release-manager" | "support" | "viewer";
    };
    response: unknown;
  };
  "GET /webhooks": {
    params: Record<string, never>;
    query: never;
    body: never;
    response: unknown;
  };
  "POST /webhooks": {
    params: Record<string, never>;
    query: never;
    body: {
      url: string;
      /**
       * @minItems 1
       * @maxItems 16
       */
      events?: (
        | "*"
        | "release.published"
        | "instance.failed"
        | "instance.silent"
        | "rollout.started"
        | "rollout.paused"
        | "rollout.finished"
        | "alert.firing"
        | "alert.resolved"
      )[];
      customer?: string;
    };
    response: unknown;
  };
  "DELETE /webhooks/:id": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /webhooks/:id/deliveries": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: unknown;
  };
  "GET /whoami": {
    params: Record<string, never>;
    query: never;
    body: never;
    response:
      | {
          kind: "user";
          username: string;
          role: string;
          scopes: string[];
          roleScopes: string[];
        }
      | {
          kind: "customer";
          customer: string;
          role: "customer-admin" | "customer-viewer";
          username: string | null;
        }
      | {
          kind: "instance";
          customer: string;
          instance: string;
          app: string;
        }
      | {
          kind: "anonymous";
        };
  };
}
