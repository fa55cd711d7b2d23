import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApi, setApi, type Me } from "../src/api";
import { createClient } from "../src/api/client";
import { AuthProvider, startSignIn, useAuth } from "../src/auth/AuthProvider";
import { defaultConfig } from "../src/config";

const jane: Me = { userRef: "user:default/jane", displayName: "Jane", groups: [], roles: ["viewer"], permissions: ["catalog.read"] };

function Status() {
  const { state } = useAuth();
  return <p data-testid="status">{state.status === "signedIn" ? `signed in as ${state.me.displayName}` : state.status}</p>;
}

/** An API whose /api/me answers only when the test says so, counting the calls. */
function withMe(token: string | null) {
  let answer: (response: Response) => void = () => {};
  const fetch = vi.fn((input: RequestInfo | URL) => {
    if (!String(input).endsWith("/api/me")) return Promise.resolve(new Response(null, { status: 404 }));
    return new Promise<Response>((resolve) => (answer = resolve));
  });
  setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => token, fetch })));
  return { fetch, answer: (response: Response) => act(async () => answer(response)) };
}

afterEach(cleanup);

describe("AuthProvider sign-in", () => {
  it("asks /api/me before the first render when started early, and does not ask again on mount", async () => {
    const { fetch, answer } = withMe("t");
    startSignIn(defaultConfig);
    expect(fetch).toHaveBeenCalledTimes(1); // in flight before React has rendered anything

    render(<AuthProvider config={defaultConfig}><Status /></AuthProvider>);
    expect(screen.getByTestId("status").textContent).toBe("loading");
    await answer(Response.json(jane));

    expect((await screen.findByText("signed in as Jane")).textContent).toBe("signed in as Jane");
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("asks /api/me itself on mount when nothing was started", async () => {
    const { fetch, answer } = withMe("t");
    render(<AuthProvider config={defaultConfig}><Status /></AuthProvider>);
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    await answer(Response.json(jane));
    expect((await screen.findByText("signed in as Jane")).textContent).toBe("signed in as Jane");
  });

  it("uses an early answer only once: a later refresh asks again", async () => {
    const { fetch, answer } = withMe("t");
    startSignIn(defaultConfig);
    let refresh: () => Promise<void> = async () => {};
    function Refresher() {
      refresh = useAuth().refresh;
      return null;
    }
    render(<AuthProvider config={defaultConfig}><Status /><Refresher /></AuthProvider>);
    await answer(Response.json(jane));
    await screen.findByText("signed in as Jane");

    let again: Promise<void> = Promise.resolve();
    await act(async () => {
      again = refresh(); // not awaited here: its /api/me waits for the answer below
    });
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
    await answer(new Response(JSON.stringify({ title: "Unauthorized", status: 401 }), { status: 401 }));
    await act(() => again);
    expect(screen.getByTestId("status").textContent).toBe("signedOut");
  });

  it("is signed out without calling the API when there is no dev token", async () => {
    const { fetch } = withMe(null);
    startSignIn(defaultConfig);
    render(<AuthProvider config={defaultConfig}><Status /></AuthProvider>);
    expect((await screen.findByText("signedOut")).textContent).toBe("signedOut");
    expect(fetch).not.toHaveBeenCalled();
  });
});
