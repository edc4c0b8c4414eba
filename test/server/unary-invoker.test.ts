// The unary invoker runs the recorded handler through the interceptors as Connect does, and gives the handler its own signal.
import { describe, expect, it } from "vitest";
import { create, isMessage } from "@bufbuild/protobuf";
import { createConnectRouter, createContextValues, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { Health, HealthCheckRequestSchema, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { invokeUnary, recordingUnaryMethods, type UnaryCall, type UnaryMethod } from "../../src/server/unary-invoker.js";

function setUp(check: (ctx: HandlerContext) => void): { router: ReturnType<typeof createConnectRouter>; methods: Map<string, UnaryMethod> } {
  const router = createConnectRouter();
  const methods = new Map<string, UnaryMethod>();
  recordingUnaryMethods(router, methods).service(Health, {
    check(_req, ctx) {
      check(ctx);
      ctx.responseHeader.set("x-handler", "yes");
      return { status: Status.SERVING };
    },
  });
  return { router, methods };
}

function callWith(signal: AbortSignal): UnaryCall {
  return {
    url: "https://localhost/grpc.health.v1.Health/Check",
    header: new Headers({ "x-probe": "p" }),
    message: create(HealthCheckRequestSchema),
    contextValues: createContextValues(),
    signal,
    deadline: undefined,
    protocolName: "grpc",
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
  };
}

describe("unary invoker", () => {
  it("records the unary methods Connect registers (streams left to Connect) without changing Connect's handlers", () => {
    const { router, methods } = setUp(() => undefined);
    expect([...methods.keys()].sort()).toEqual(["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/List"]);
    expect(router.handlers.map((h) => h.requestPath).sort()).toEqual(["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/List", "/grpc.health.v1.Health/Watch"]);
  });

  it("runs the interceptors outermost first, normalizes the answer and keeps the headers they and the handler set", async () => {
    const order: string[] = [];
    const named = (name: string): Interceptor => (next) => async (req) => {
      order.push(`${name} ${req.header.get("x-probe")}`);
      const res = await next(req);
      res.header.set(`x-${name}`, "1");
      return res;
    };
    const { methods } = setUp(() => order.push("handler"));
    const call = callWith(new AbortController().signal);
    const answer = await invokeUnary(methods.get("/grpc.health.v1.Health/Check")!, call, [named("outer"), named("inner")]);
    expect(isMessage(answer, HealthCheckResponseSchema)).toBe(true);
    expect(answer).toMatchObject({ status: Status.SERVING });
    expect(order).toEqual(["outer p", "inner p", "handler"]);
    expect(Object.fromEntries(call.responseHeader)).toEqual({ "x-handler": "yes", "x-inner": "1", "x-outer": "1" });
  });

  it("gives the handler a signal of its own that follows the shared one", async () => {
    const shared = new AbortController();
    let seen: AbortSignal | undefined;
    const { methods } = setUp((ctx) => (seen = ctx.signal));
    await invokeUnary(methods.get("/grpc.health.v1.Health/Check")!, callWith(shared.signal), []);
    expect(seen).toBeDefined();
    expect(seen).not.toBe(shared.signal);
    expect(seen!.aborted).toBe(false);
    shared.abort(new Error("shutdown"));
    expect(seen!.aborted).toBe(true);
  });

  it("rejects with what the handler threw", async () => {
    const { methods } = setUp(() => {
      throw new Error("boom");
    });
    await expect(invokeUnary(methods.get("/grpc.health.v1.Health/Check")!, callWith(new AbortController().signal), [])).rejects.toThrow("boom");
  });
});
