import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/client";
import { fetchEventSource, followTaskLog, type EventSourceLike } from "../src/api/taskLog";
import type { TaskEvent } from "../src/api/types";

class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  private listeners = new Map<string, ((ev: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, listener: (ev: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data: unknown) {
    const ev = new MessageEvent(type, { data: typeof data === "string" ? data : JSON.stringify(data) });
    for (const l of this.listeners.get(type) ?? []) l(ev);
  }
  fail() {
    this.onerror?.(new Event("error"));
  }
}

const ev = (id: number, type = "log", message = `line ${id}`, status?: string): TaskEvent => ({
  id, taskId: "t1", type, body: { message, ...(status ? { status } : {}) }, createdAt: "2026-11-21T10:00:00Z",
});

describe("task log reader", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("streams events from SSE, ignores duplicates and non-JSON, and closes on completion", () => {
    const received: TaskEvent[] = [];
    const modes: string[] = [];
    const fetchEvents = vi.fn(async () => [] as TaskEvent[]);
    followTaskLog({
      streamUrl: "/api/scaffolder/v2/tasks/t1/eventstream",
      fetchEvents,
      openEventSource: (url) => new FakeEventSource(url),
      onEvent: (e) => received.push(e),
      onModeChange: (m) => modes.push(m),
    });
    const es = FakeEventSource.instances[0];
    expect(es.url).toBe("/api/scaffolder/v2/tasks/t1/eventstream");

    es.emit("message", ev(1));
    es.emit("log", ev(2)); // Backstage names its SSE events
    es.emit("message", ev(2));
    es.emit("message", "keep-alive");
    es.emit("completion", ev(3, "completion", "done", "completed"));

    expect(received.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(es.closed).toBe(true);
    expect(modes).toEqual(["stream", "done"]);
    expect(fetchEvents).not.toHaveBeenCalled();
  });

  it("falls back to polling after the last seen event when the stream fails", async () => {
    const received: (string | number)[] = [];
    const modes: string[] = [];
    const fetchEvents = vi
      .fn<(after: string | number | undefined, signal: AbortSignal) => Promise<TaskEvent[]>>()
      .mockResolvedValueOnce([ev(2), ev(3)]) // 2 was already streamed
      .mockResolvedValueOnce([])
      .mockResolvedValueOnce([ev(4, "completion", "finished", "completed")]);
    followTaskLog({
      streamUrl: "/s",
      fetchEvents,
      openEventSource: (url) => new FakeEventSource(url),
      pollIntervalMs: 1000,
      onEvent: (e) => received.push(e.id),
      onModeChange: (m) => modes.push(m),
    });
    const es = FakeEventSource.instances[0];
    es.emit("message", ev(1));
    es.emit("message", ev(2));
    es.fail();
    expect(es.closed).toBe(true);

    await vi.advanceTimersByTimeAsync(0);
    expect(fetchEvents).toHaveBeenCalledTimes(1);
    expect(fetchEvents.mock.calls[0][0]).toBe(2);
    expect(received).toEqual([1, 2, 3]);

    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchEvents).toHaveBeenCalledTimes(2);
    expect(fetchEvents.mock.calls[1][0]).toBe(3);

    await vi.advanceTimersByTimeAsync(1000);
    expect(received).toEqual([1, 2, 3, 4]);
    expect(modes).toEqual(["stream", "polling", "done"]);

    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchEvents).toHaveBeenCalledTimes(3); // stopped after completion
  });

  it("polls from the start when no EventSource is available and stops on 404", async () => {
    const errors: unknown[] = [];
    const fetchEvents = vi.fn(async () => {
      throw new ApiError({ title: "Not found", status: 404 });
    });
    followTaskLog({ streamUrl: "/s", fetchEvents, openEventSource: null, onEvent: () => {}, onError: (e) => errors.push(e) });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchEvents).toHaveBeenCalledTimes(1);
    expect(errors).toHaveLength(1);
  });

  it("retries transient polling errors with back-off", async () => {
    const fetchEvents = vi
      .fn<(after: string | number | undefined, signal: AbortSignal) => Promise<TaskEvent[]>>()
      .mockRejectedValueOnce(new ApiError({ title: "Bad gateway", status: 502 }))
      .mockResolvedValue([]);
    followTaskLog({ streamUrl: "/s", fetchEvents, pollIntervalMs: 1000, onEvent: () => {} });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetchEvents).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchEvents).toHaveBeenCalledTimes(1); // backed off to 2 s
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchEvents).toHaveBeenCalledTimes(2);
  });

  it("close() stops streaming and polling", async () => {
    const fetchEvents = vi.fn(async () => [] as TaskEvent[]);
    const handle = followTaskLog({ streamUrl: "/s", fetchEvents, openEventSource: (u) => new FakeEventSource(u), onEvent: () => {} });
    handle.close();
    expect(FakeEventSource.instances[0].closed).toBe(true);
    FakeEventSource.instances[0].fail();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchEvents).not.toHaveBeenCalled();
  });
});

describe("fetchEventSource", () => {
  it("parses event-stream framing, sends headers, and reports the end of the stream as an error", async () => {
    const chunks = [": hello\n\nevent: log\ndata: {\"id\":1,", "\"type\":\"log\"}\n\n", "data: a\r\ndata: b\r\n\r\n"];
    const fetch = vi.fn(async () => new Response(new ReadableStream({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    }), { status: 200, headers: { "Content-Type": "text/event-stream" } }));
    const es = fetchEventSource("/stream", { Authorization: "Bearer x" }, fetch);
    const got: string[] = [];
    es.addEventListener("log", (e) => got.push(`log:${e.data}`));
    es.addEventListener("message", (e) => got.push(`message:${e.data}`));
    const ended = new Promise<void>((resolve) => { es.onerror = () => resolve(); });
    await ended;
    expect(got).toEqual(['log:{"id":1,"type":"log"}', "message:a\nb"]);
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer x");
  });

  it("reports an HTTP error as an error", async () => {
    const fetch = vi.fn(async () => new Response("no", { status: 401 }));
    const es = fetchEventSource("/stream", {}, fetch);
    await new Promise<void>((resolve) => { es.onerror = () => resolve(); });
    expect(es.readyState).toBe(2);
  });
});
