// Follows a scaffolder task's events: Server-Sent Events first, polling `/events?after=` when the stream fails.
import { ApiError, isAbort } from "./client";
import type { TaskEvent } from "./types";

/** The slice of EventSource we use; the native one (cookie auth) and fetchEventSource (bearer auth) both fit. */
export interface EventSourceLike {
  readonly readyState: number;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export type LogMode = "stream" | "polling" | "done";

export interface TaskLogOptions {
  streamUrl: string;
  fetchEvents: (after: string | number | undefined, signal: AbortSignal) => Promise<TaskEvent[]>;
  /** null or undefined: go straight to polling. */
  openEventSource?: EventSourceFactory | null;
  pollIntervalMs?: number;
  onEvent: (event: TaskEvent) => void;
  onModeChange?: (mode: LogMode) => void;
  onError?: (error: unknown) => void;
}

export interface TaskLogHandle {
  close(): void;
}

const EVENT_NAMES = ["message", "log", "completion", "cancelled", "recovered"];

export function followTaskLog(options: TaskLogOptions): TaskLogHandle {
  const interval = options.pollIntervalMs ?? 1000;
  const seen = new Set<string>();
  let lastId: string | number | undefined;
  let closed = false;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abort = new AbortController();

  const setMode = (mode: LogMode) => options.onModeChange?.(mode);

  function finish() {
    if (closed) return;
    closed = true;
    source?.close();
    source = null;
    if (timer) clearTimeout(timer);
    abort.abort();
    setMode("done");
  }

  function deliver(event: TaskEvent) {
    if (closed) return;
    const key = String(event.id);
    if (seen.has(key)) return;
    seen.add(key);
    lastId = event.id;
    options.onEvent(event);
    if (event.type === "completion") finish();
  }

  function startPolling(delay = 0) {
    if (closed) return;
    setMode("polling");
    let backoff = interval;
    const tick = async () => {
      if (closed) return;
      try {
        const events = await options.fetchEvents(lastId, abort.signal);
        backoff = interval;
        for (const e of events) deliver(e);
      } catch (error) {
        if (closed || isAbort(error)) return;
        options.onError?.(error);
        if (error instanceof ApiError && [401, 403, 404].includes(error.status)) {
          finish();
          return;
        }
        backoff = Math.min(backoff * 2, 10_000);
      }
      if (!closed) timer = setTimeout(tick, backoff);
    };
    timer = setTimeout(tick, delay);
  }

  if (options.openEventSource) {
    try {
      source = options.openEventSource(options.streamUrl);
      setMode("stream");
      const onMessage = (ev: MessageEvent) => {
        let parsed: TaskEvent;
        try {
          parsed = JSON.parse(String(ev.data)) as TaskEvent;
        } catch {
          return; // keep-alive comments and non-JSON lines carry no event
        }
        if (parsed && typeof parsed === "object" && "type" in parsed) deliver(parsed);
      };
      for (const name of EVENT_NAMES) source.addEventListener(name, onMessage);
      source.onerror = () => {
        if (closed) return;
        // A native EventSource would retry forever with the same failure; polling is the dependable path.
        source?.close();
        source = null;
        startPolling();
      };
    } catch (error) {
      options.onError?.(error);
      source = null;
      startPolling();
    }
  } else {
    startPolling();
  }

  return { close: finish };
}

/**
 * An EventSource over fetch so the stream can carry `Authorization: Bearer` (the native one cannot send headers).
 * Implements the text/event-stream framing: `event:`, `data:` (multi-line), `id:`, comments, blank-line dispatch.
 */
export function fetchEventSource(url: string, headers: Record<string, string>, fetchImpl: typeof fetch = fetch): EventSourceLike {
  const listeners = new Map<string, Set<(ev: MessageEvent) => void>>();
  const controller = new AbortController();
  const es: EventSourceLike & { readyState: number } = {
    readyState: 0,
    onerror: null,
    addEventListener(type, listener) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(listener);
    },
    close() {
      es.readyState = 2;
      controller.abort();
    },
  };
  const fail = () => {
    if (es.readyState === 2) return;
    es.readyState = 2;
    es.onerror?.(new Event("error"));
  };
  const dispatch = (type: string, data: string, lastEventId: string) => {
    const ev = new MessageEvent(type, { data, lastEventId });
    listeners.get(type)?.forEach((l) => l(ev));
  };

  (async () => {
    const response = await fetchImpl(url, { headers: { Accept: "text/event-stream", ...headers }, signal: controller.signal });
    if (!response.ok || !response.body) return fail();
    es.readyState = 1;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let eventType = "";
    let data: string[] = [];
    let lastEventId = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length) dispatch(eventType || "message", data.join("\n"), lastEventId);
          eventType = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(val);
        else if (field === "event") eventType = val;
        else if (field === "id") lastEventId = val;
      }
    }
    // The server ending the stream without a completion event is an error from the reader's point of view.
    fail();
  })().catch(() => fail());

  return es;
}
