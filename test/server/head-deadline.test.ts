// The head deadline of a keep-alive HTTP/1.1 connection: restarted after every response, one close listener per socket.
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HeadDeadline } from "../../src/server/connection-guard.js";

/** The part of a socket HeadDeadline touches. */
function fakeSocket(): Socket & { destroyCalls: number } {
  const socket = Object.assign(new EventEmitter(), {
    destroyed: false,
    destroyCalls: 0,
    destroy() {
      socket.destroyCalls++;
      socket.destroyed = true;
      return socket;
    },
  });
  return socket as unknown as Socket & { destroyCalls: number };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("HeadDeadline", () => {
  it("adds one close listener per socket however many requests the connection carries", () => {
    const deadline = new HeadDeadline(1_000);
    const socket = fakeSocket();
    for (let i = 0; i < 50; i++) {
      deadline.start(socket);
      deadline.stop(socket);
    }
    deadline.start(socket);
    expect(socket.listenerCount("close")).toBe(1);
  });

  it("destroys a socket whose next head does not come in time, and not one that closed or was stopped", () => {
    vi.useFakeTimers();
    const deadline = new HeadDeadline(1_000);
    const late = fakeSocket();
    const stopped = fakeSocket();
    const closed = fakeSocket();
    for (const s of [late, stopped, closed]) deadline.start(s);
    deadline.stop(stopped);
    closed.emit("close");
    vi.advanceTimersByTime(999);
    expect(late.destroyCalls).toBe(0);
    vi.advanceTimersByTime(1);
    expect([late.destroyCalls, stopped.destroyCalls, closed.destroyCalls]).toEqual([1, 0, 0]);
  });
});
