// One REST call to a hub's /api/v1 with a bearer token, for tests: the status and the parsed JSON body ({} when empty).
export interface HubAnswer<T> {
  readonly status: number;
  readonly json: T;
}

export async function hubApi<T = Record<string, unknown>>(hub: string, token: string, method: string, url: string, body?: unknown): Promise<HubAnswer<T>> {
  const res = await fetch(`${hub}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T };
}
