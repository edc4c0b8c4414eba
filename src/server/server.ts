/** Starts the listeners (mTLS, browser, sidecar) over one interceptor chain and shuts them down gracefully. */
import { setMaxListeners } from "node:events";
import { readFile } from "node:fs/promises";
import type { Server as NetServer } from "node:net";
import type { Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { Config } from "../config/types.js";
import type { Logger } from "../telemetry/logger.js";
import { refusal } from "../domain/errors.js";
import { browserHttpHandler } from "./browser-http.js";
import { ConsoleAssets } from "./console-assets.js";
import { ConnectionTracker } from "./connection-tracker.js";
import type { NodeHandler } from "./connection-tracker.js";
import { connectionContextValues, requestContextValues } from "./context.js";
import type { ListenerKind } from "./context.js";
import type { HttpEndpointOptions } from "./http-endpoints.js";
import type { StreamFront } from "./http-types.js";
import { grpcUnaryFront } from "./grpc-unary-front.js";
import { listenerRoutes, MAX_DEADLINE_MS, READ_MAX_BYTES, serverInterceptors, undecodableMessageReporter, type ServiceRouterOptions } from "./router.js";
import { recordingUnaryMethods, type UnaryMethod } from "./unary-invoker.js";
import { createBrowserListener, createMtlsListener, createSidecarListener, listenOn } from "./listeners.js";
import type { TlsMaterial } from "./listeners.js";

/** Paths of the client- and bidi-streaming RPCs (VerifyStream): their request bodies last as long as the stream. */
const OPEN_ENDED_PATHS: ReadonlySet<string> = new Set(
  ([AdminService, AgentRegistryService, VerifierService, Health] as DescService[]).flatMap((svc) =>
    svc.methods.filter((m) => m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming").map((m) => `/${svc.typeName}/${m.name}`),
  ),
);

export interface StartServerOptions extends ServiceRouterOptions {
  /** The issuer JWKS for /.well-known/jwks.json on the sidecar and browser listeners. */
  readonly jwks?: () => Promise<object>;
  /** PEM material; defaults to the files named in config.tls. */
  readonly tls?: TlsMaterial;
  /** Start the browser listener (default true). */
  readonly browser?: boolean;
  /** Start the sidecar listener (default true; a cluster worker leaves it to the primary, src/cluster). */
  readonly sidecar?: boolean;
}

export interface RunningServer {
  readonly grpcPort: number;
  readonly browserPort: number | undefined;
  /** Undefined in a cluster worker: the primary serves the sidecar. */
  readonly sidecarPort: number | undefined;
  /**
   * Health NOT_SERVING, listeners stop accepting, in-flight calls get up to `deadlineMs` to finish, then every
   * session and socket is closed. Resolves when all listeners are closed.
   */
  shutdown(deadlineMs: number): Promise<void>;
}

interface Listener {
  readonly name: ListenerKind;
  readonly server: NetServer;
  readonly tracker: ConnectionTracker;
}

/** Reads the TLS files named in the configuration. */
export async function readTlsMaterial(config: Config): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    readFile(config.tls.certFile),
    readFile(config.tls.keyFile),
    readFile(config.tls.clientCaFile),
  ]);
  return { cert, key, ca };
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger, metrics, health } = options;
  const tls = options.tls ?? (await readTlsMaterial(config));
  const shutdownController = new AbortController();
  // Connect adds one listener per in-flight request to this shared signal: no listener cap.
  setMaxListeners(0, shutdownController.signal);
  let draining = false;
  const refuseWhileDraining: Interceptor = (next) => async (req) => {
    if (draining) throw refusal("server.shutting_down");
    return next(req);
  };
  const interceptors = [...serverInterceptors(options), refuseWhileDraining];
  const serving = (listener: ListenerKind): ListenerServing => listenerServing(listener, options, interceptors, shutdownController.signal);
  const adapter = (listener: ListenerKind): NodeHandler => serving(listener).handler;

  const endpoints: HttpEndpointOptions = { health, metrics, logger, jwks: options.jwks };

  const listeners: Listener[] = [];
  const mtlsTracker = new ConnectionTracker(config.limits, OPEN_ENDED_PATHS);
  const mtls = serving("mtls");
  listeners.push({ name: "mtls", server: createMtlsListener(tls, mtls.handler, mtlsTracker, logger, mtls.streamFront), tracker: mtlsTracker });
  if (options.browser ?? true) listeners.push(browserListener(config, tls, adapter("browser"), endpoints, logger));
  if (options.sidecar ?? true) {
    const sidecarTracker = new ConnectionTracker(config.limits, OPEN_ENDED_PATHS);
    listeners.push({ name: "sidecar", server: createSidecarListener(adapter("sidecar"), sidecarTracker, endpoints), tracker: sidecarTracker });
  }

  const ports = new Map<ListenerKind, number>();
  try {
    for (const l of listeners) {
      const port = l.name === "mtls" ? config.listen.grpcPort : l.name === "browser" ? config.listen.browserPort : config.listen.sidecarPort;
      ports.set(l.name, await listenOn(l.server, config.listen.host, port));
    }
  } catch (e) {
    await Promise.all(listeners.filter((l) => l.server.listening).map((l) => close(l.server)));
    throw e;
  }
  logger.info(Object.fromEntries(ports), "listening");

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = async (deadlineMs: number): Promise<void> => {
    health.setShuttingDown();
    draining = true;
    await drainAndClose(listeners, deadlineMs, shutdownController, logger);
  };
  return {
    grpcPort: ports.get("mtls") as number,
    browserPort: ports.get("browser"),
    sidecarPort: ports.get("sidecar"),
    shutdown: (deadlineMs) => (shutdownPromise ??= shutdown(deadlineMs)),
  };
}

/** What serves one listener: a request handler, and on the mTLS port a front for HTTP/2 streams it serves first. */
interface ListenerServing {
  readonly handler: NodeHandler;
  readonly streamFront: StreamFront | undefined;
}

/**
 * Connect-node serves every protocol; on the mTLS port (GRPC_FAST_PATH) unary gRPC streams first meet the fast path
 * (on node's core HTTP/2 API), which runs the same interceptors, context values and the handlers Connect registered.
 */
function listenerServing(listener: ListenerKind, options: StartServerOptions, interceptors: Interceptor[], shutdownSignal: AbortSignal): ListenerServing {
  const ofConnection = connectionContextValues(listener, options.config.peers);
  const unaryMethods = new Map<string, UnaryMethod>();
  const fastPath = listener === "mtls" && options.config.serving.grpcFastPath;
  const routes = listenerRoutes(listener, options);
  const handler = connectNodeAdapter({
    routes: fastPath ? (router) => routes(recordingUnaryMethods(router, unaryMethods)) : routes,
    interceptors,
    contextValues: requestContextValues(ofConnection),
    readMaxBytes: READ_MAX_BYTES,
    maxTimeoutMs: MAX_DEADLINE_MS,
    shutdownSignal,
  });
  if (!fastPath) return { handler, streamFront: undefined };
  const streamFront = grpcUnaryFront({
    methods: unaryMethods,
    interceptors,
    contextValues: ofConnection,
    readMaxBytes: READ_MAX_BYTES,
    shutdownSignal,
    onRejected: undecodableMessageReporter(listener, options),
    onAnswerFailed: (method, error) => options.logger.error({ err: error, method }, "gRPC answer could not be written; stream reset"),
  });
  return { handler, streamFront };
}

/** The browser port: CORS, the browser's method table, the console's static files (when BROWSER_ADMIN is on). */
function browserListener(config: Config, tls: TlsMaterial, handler: NodeHandler, endpoints: HttpEndpointOptions, logger: Logger): Listener {
  const tracker = new ConnectionTracker(config.limits, OPEN_ENDED_PATHS);
  const consoleAssets = config.browser.admin ? ConsoleAssets.load(config.browser.consoleDir) : new ConsoleAssets();
  if (config.browser.admin && !consoleAssets.built) {
    logger.warn({ consoleDir: config.browser.consoleDir }, "the console is not built (npm run build:console): /console/ answers 503");
  }
  const front = browserHttpHandler(handler, {
    allowedOrigins: config.browser.corsAllowedOrigins,
    admin: config.browser.admin,
    endpoints,
    console: consoleAssets,
  });
  return { name: "browser", server: createBrowserListener(tls, front, tracker), tracker };
}

/** Stops accepting, lets calls in flight finish until the deadline, then cancels the rest and closes every socket. */
async function drainAndClose(listeners: readonly Listener[], deadlineMs: number, shutdownController: AbortController, logger: Logger): Promise<void> {
  const closed = listeners.map((l) => close(l.server));
  for (const l of listeners) l.tracker.startDrain();
  const deadline = AbortSignal.timeout(deadlineMs);
  await Promise.all(listeners.map((l) => l.tracker.drained(deadline)));
  const unfinished = listeners.reduce((n, l) => n + l.tracker.requestsInFlight, 0);
  if (unfinished > 0) logger.warn({ unfinished }, "shutdown deadline reached: cancelling calls in flight");
  shutdownController.abort();
  for (const l of listeners) l.tracker.destroyAll();
  await Promise.all(closed);
  logger.info("listeners closed");
}

function close(server: NetServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err === undefined ? resolve() : reject(err)));
  });
}
