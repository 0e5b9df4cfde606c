// Calls to the console's own API, relative to where the page is served (standalone at `/`,
// mounted at `/console/`), with the X-API-Key the user typed in.
const KEY_STORE = "eventscope.console.apiKey";

export const apiBase = (): string => {
  const path = location.pathname;
  return path.endsWith("/") ? path : path.slice(0, path.lastIndexOf("/") + 1);
};

export const getApiKey = (): string => localStorage.getItem(KEY_STORE) ?? "";
export const setApiKey = (key: string): void => {
  if (key === "") localStorage.removeItem(KEY_STORE);
  else localStorage.setItem(KEY_STORE, key);
};

export class ApiError extends Error {
  readonly status: number;
  readonly problem: any;
  constructor(status: number, problem: any) {
    const fields = Array.isArray(problem?.errors)
      ? ` (${problem.errors.map((e: any) => `${e.field}: ${e.reason}`).join("; ")})`
      : "";
    super(`${status} ${problem?.detail ?? problem?.title ?? "error"}${fields}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api<T = any>(path: string, init: { method?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const key = getApiKey();
  if (key) headers["x-api-key"] = key;
  const response = await fetch(apiBase() + path, { method: init.method ?? "GET", headers });
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body as T;
}

export const q = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : "";
};
