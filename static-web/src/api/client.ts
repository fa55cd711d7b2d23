import type { ProblemDetails } from "./types";

/** An HTTP failure, always carrying a ProblemDetails (synthesised when the server sent none). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
  }

  get isUnauthorized() {
    return this.status === 401;
  }
  get isForbidden() {
    return this.status === 403;
  }
  get isNotFound() {
    return this.status === 404;
  }
  /** Per-field validation messages (RFC 7807 `errors` extension, as ASP.NET Core's ValidationProblemDetails). */
  get fieldErrors(): Record<string, string[]> {
    return this.problem.errors ?? {};
  }
}

export type QueryValue = string | number | boolean | null | undefined | (string | number)[];
export type Query = Record<string, QueryValue> | URLSearchParams;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /**
   * GET only: start the call now and keep its answer for the first identical GET (same URL, same token) made within
   * PREFETCH_TTL_MS. A prefetch never reports a failure: it is dropped, and that later GET asks the server itself.
   */
  prefetch?: boolean;
}

/** How long a prefetched answer waits for the page that asked for it; older ones are dropped unread. */
export const PREFETCH_TTL_MS = 10_000;

export interface ClientOptions {
  /** Origin (and optional path prefix) of the backend; "" means same origin (behind the SWA proxy). */
  baseUrl: string;
  /** Returns the bearer token, or null when the session is cookie-based (Entra via SWA). */
  getToken: () => string | null;
  /** Called once per 401 so the app can send the user back to sign-in. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
}

export function toSearchParams(query: Query | undefined): URLSearchParams {
  if (!query) return new URLSearchParams();
  if (query instanceof URLSearchParams) return new URLSearchParams(query);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const v of value) params.append(key, String(v));
    } else {
      params.append(key, String(value));
    }
  }
  return params;
}

export function joinUrl(baseUrl: string, path: string, query?: Query): string {
  const base = baseUrl.replace(/\/+$/, "");
  const qs = toSearchParams(query).toString();
  return `${base}${path.startsWith("/") ? path : `/${path}`}${qs ? `?${qs}` : ""}`;
}

/** Turns any non-2xx response into a ProblemDetails, keeping the server's title/detail/errors when present. */
export async function readProblem(response: Response): Promise<ProblemDetails> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // body unreadable: fall through to a synthesised problem
  }
  const fallbackTitle = defaultTitle(response.status, response.statusText);
  if (text) {
    try {
      const parsed = JSON.parse(text) as Partial<ProblemDetails> | null;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return {
          ...parsed,
          type: typeof parsed.type === "string" ? parsed.type : undefined,
          title: typeof parsed.title === "string" && parsed.title ? parsed.title : fallbackTitle,
          status: typeof parsed.status === "number" ? parsed.status : response.status,
          detail: typeof parsed.detail === "string" ? parsed.detail : undefined,
          errors: normaliseErrors(parsed.errors),
        };
      }
    } catch {
      // not JSON: use the text as the detail (truncated, it may be an HTML error page)
    }
  }
  return {
    title: fallbackTitle,
    status: response.status,
    detail: text && !text.trimStart().startsWith("<") ? text.slice(0, 500) : undefined,
  };
}

function normaliseErrors(errors: unknown): Record<string, string[]> | undefined {
  if (!errors || typeof errors !== "object" || Array.isArray(errors)) return undefined;
  const result: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(errors as Record<string, unknown>)) {
    if (Array.isArray(messages)) result[field] = messages.map(String);
    else if (messages != null) result[field] = [String(messages)];
  }
  return result;
}

function defaultTitle(status: number, statusText: string): string {
  switch (status) {
    case 400: return "The request was not valid";
    case 401: return "Your session has ended";
    case 403: return "Permission required";
    case 404: return "Not found";
    case 409: return "Conflict";
    case 422: return "Some values are not valid";
    case 429: return "Too many requests";
    default: return statusText || `Request failed (HTTP ${status})`;
  }
}

export interface ApiClient {
  baseUrl: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  url(path: string, query?: Query): string;
  authHeaders(): Record<string, string>;
  /** A GET whose answer is a file (CSV and the like), sent with the session's credentials like every other call. */
  download(path: string, query?: Query, accept?: string): Promise<Blob>;
}

export function createClient(options: ClientOptions): ApiClient {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  function authHeaders(): Record<string, string> {
    const token = options.getToken();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** Prefetched GETs by URL and token, each taken (once) by the first matching request. */
  const prefetched = new Map<string, { at: number; answer: Promise<unknown> }>();
  const prefetchKey = (url: string) => `${authHeaders().Authorization ?? ""} ${url}`;

  function request<T>(method: string, path: string, req: RequestOptions = {}): Promise<T> {
    const url = joinUrl(options.baseUrl, path, req.query);
    // Most calls: nothing prefetched (or not a GET), so no key to build.
    if (method !== "GET" || (!req.prefetch && prefetched.size === 0)) return send<T>(method, url, req);
    const key = prefetchKey(url);
    if (req.prefetch) {
      const now = Date.now();
      for (const [k, e] of prefetched) if (now - e.at > PREFETCH_TTL_MS) prefetched.delete(k);
      const answer = send<T>(method, url, { ...req, signal: undefined }, false);
      answer.catch(() => prefetched.get(key)?.answer === answer && prefetched.delete(key));
      prefetched.set(key, { at: now, answer });
      return answer;
    }
    const entry = prefetched.get(key);
    if (!entry) return send<T>(method, url, req);
    prefetched.delete(key);
    if (Date.now() - entry.at > PREFETCH_TTL_MS) return send<T>(method, url, req);
    return takePrefetched<T>(entry, key, () => send<T>(method, url, req), req.signal);
  }

  /**
   * Answers from a prefetch: its value when it succeeds, a request of our own when it failed. A caller that aborts
   * while it is still in flight hands it back, so the next identical GET (React re-running an effect) can take it.
   */
  function takePrefetched<T>(entry: { at: number; answer: Promise<unknown> }, key: string, own: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (!prefetched.has(key)) prefetched.set(key, entry);
        reject(signal?.reason ?? new DOMException("The operation was aborted.", "AbortError"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      entry.answer.then(
        (value) => resolve(value as T),
        () => (signal?.aborted ? undefined : own().then(resolve, reject)),
      ).finally(() => signal?.removeEventListener("abort", onAbort));
    });
  }

  /** One HTTP call to `url` (already joined with the base and query). */
  async function send<T>(method: string, url: string, req: RequestOptions, reportUnauthorized = true): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", ...authHeaders(), ...req.headers };
    let body: BodyInit | undefined;
    if (req.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(req.body);
    }
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        body,
        signal: req.signal,
        // Entra mode relies on the SWA auth cookie; bearer mode sends no cookies cross-origin.
        credentials: options.getToken() ? "omit" : "same-origin",
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError({
        title: "The server could not be reached",
        status: 0,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
    if (!response.ok) {
      const problem = await readProblem(response);
      if (response.status === 401 && reportUnauthorized) options.onUnauthorized?.();
      throw new ApiError(problem);
    }
    if (response.status === 204 || response.status === 205) return undefined as T;
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError({ title: "The server sent an unreadable response", status: response.status, detail: text.slice(0, 200) });
    }
  }

  async function download(path: string, query?: Query, accept = "*/*"): Promise<Blob> {
    let response: Response;
    try {
      response = await doFetch(joinUrl(options.baseUrl, path, query), {
        method: "GET",
        headers: { Accept: accept, ...authHeaders() },
        credentials: options.getToken() ? "omit" : "same-origin",
      });
    } catch (error) {
      throw new ApiError({ title: "The server could not be reached", status: 0, detail: error instanceof Error ? error.message : String(error) });
    }
    if (!response.ok) {
      const problem = await readProblem(response);
      if (response.status === 401) options.onUnauthorized?.();
      throw new ApiError(problem);
    }
    return response.blob();
  }

  return { baseUrl: options.baseUrl, request, url: (p, q) => joinUrl(options.baseUrl, p, q), authHeaders, download };
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException ? error.name === "AbortError" : (error as { name?: string })?.name === "AbortError";
}
