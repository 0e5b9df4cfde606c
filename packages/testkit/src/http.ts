export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = any>(
  url: string,
  init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** The demo configuration's key: it holds every scope (read, write, admin). */
export const demoApiKey = "eventscope-demo-key";

/** `request` that sends an X-API-Key (unless the call names its own). */
export const requestWithKey =
  (apiKey: string) =>
  <T = any>(url: string, init: Parameters<typeof request>[1] = {}): Promise<JsonResponse<T>> =>
    request<T>(url, { ...init, headers: { "x-api-key": apiKey, ...init.headers } });
