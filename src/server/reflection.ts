/** gRPC server reflection (grpc.reflection.v1 and v1alpha) answered from the protobuf-es descriptors we serve. */
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescFile, DescService, FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection as ServerReflectionV1,
  ServerReflectionRequestSchema as RequestV1Schema,
  ServerReflectionResponseSchema as ResponseV1Schema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflectionRequest, ServerReflectionResponse } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1Alpha,
  ServerReflectionRequestSchema as RequestV1AlphaSchema,
  ServerReflectionResponseSchema as ResponseV1AlphaSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The reflection services themselves, to list beside the served ones. */
export const REFLECTION_SERVICES: readonly DescService[] = [ServerReflectionV1, ServerReflectionV1Alpha];

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;
const INVALID_ARGUMENT = 3;

/** Answers reflection requests about a fixed set of services and the files they need. */
export class ReflectionIndex {
  private readonly registry: FileRegistry;
  private readonly serviceNames: readonly string[];

  constructor(services: readonly DescService[]) {
    const files = filesInDependencyOrder(services.map((s) => s.file));
    this.registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files.map((f) => f.proto) }));
    this.serviceNames = [...new Set(services.map((s) => s.typeName))].sort();
  }

  /** Answers one request (v1 shape). */
  answer(req: ServerReflectionRequest): ServerReflectionResponse {
    const base = { validHost: req.host, originalRequest: req };
    const r = req.messageRequest;
    switch (r.case) {
      case "listServices":
        return create(ResponseV1Schema, {
          ...base,
          messageResponse: { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } },
        });
      case "fileByFilename": {
        const file = this.registry.getFile(r.value);
        return file === undefined ? error(base, NOT_FOUND, `file ${r.value} not found`) : this.files(base, file);
      }
      case "fileContainingSymbol": {
        const file = this.fileOfSymbol(r.value);
        return file === undefined ? error(base, NOT_FOUND, `symbol ${r.value} not found`) : this.files(base, file);
      }
      case "fileContainingExtension": {
        const extendee = this.registry.getMessage(r.value.containingType);
        const ext = extendee === undefined ? undefined : this.registry.getExtensionFor(extendee, r.value.extensionNumber);
        return ext === undefined ? error(base, NOT_FOUND, "extension not found") : this.files(base, ext.file);
      }
      case "allExtensionNumbersOfType": {
        const message = this.registry.getMessage(r.value);
        if (message === undefined) return error(base, NOT_FOUND, `type ${r.value} not found`);
        const numbers: number[] = [];
        for (const desc of this.registry) {
          if (desc.kind === "extension" && desc.extendee.typeName === r.value) numbers.push(desc.number);
        }
        return create(ResponseV1Schema, {
          ...base,
          messageResponse: { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers.sort((a, b) => a - b) } },
        });
      }
      case undefined:
        return error(base, INVALID_ARGUMENT, "empty reflection request");
      default:
        return error(base, UNIMPLEMENTED, "unsupported reflection request");
    }
  }

  /** The file declaring a message, enum, service, method, field, enum value or extension. */
  private fileOfSymbol(symbol: string): DescFile | undefined {
    const desc = this.registry.get(symbol);
    if (desc !== undefined) return desc.file;
    const dot = symbol.lastIndexOf(".");
    if (dot <= 0) return undefined;
    const parent = this.registry.get(symbol.slice(0, dot));
    const member = symbol.slice(dot + 1);
    if (parent?.kind === "service" && parent.methods.some((m) => m.name === member)) return parent.file;
    if (parent?.kind === "message" && parent.fields.some((f) => f.name === member)) return parent.file;
    return undefined;
  }

  /** The file and, transitively, every file it imports (the requested file first). */
  private files(base: object, file: DescFile): ServerReflectionResponse {
    const ordered = filesInDependencyOrder([file]).reverse();
    return create(ResponseV1Schema, {
      ...base,
      messageResponse: {
        case: "fileDescriptorResponse",
        value: { fileDescriptorProto: ordered.map((f) => toBinary(FileDescriptorProtoSchema, f.proto)) },
      },
    });
  }
}

function error(base: object, code: number, message: string): ServerReflectionResponse {
  return create(ResponseV1Schema, { ...base, messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } } });
}

/** The given files and their imports, each once, every file after its dependencies. */
function filesInDependencyOrder(roots: readonly DescFile[]): DescFile[] {
  const seen = new Set<string>();
  const out: DescFile[] = [];
  const visit = (f: DescFile): void => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    for (const d of f.dependencies) visit(d);
    out.push(f);
  };
  for (const f of roots) visit(f);
  return out;
}

/** grpc.reflection.v1 ServerReflectionInfo: one response per request, in order. */
export function reflectionV1Service(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield index.answer(req);
    },
  };
}

/** grpc.reflection.v1alpha: wire-identical to v1, so requests and answers are re-read through the v1 schema. */
export function reflectionV1AlphaService(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1Alpha> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        const v1 = fromBinary(RequestV1Schema, toBinary(RequestV1AlphaSchema, req));
        yield fromBinary(ResponseV1AlphaSchema, toBinary(ResponseV1Schema, index.answer(v1)));
      }
    },
  };
}

/** Registers both reflection versions, describing every service already on the router plus reflection itself. */
export function registerReflection(router: ConnectRouter): void {
  const served = [...new Map(router.handlers.map((h) => [h.service.typeName, h.service])).values()];
  const index = new ReflectionIndex([...served, ...REFLECTION_SERVICES]);
  router.service(ServerReflectionV1, reflectionV1Service(index));
  router.service(ServerReflectionV1Alpha, reflectionV1AlphaService(index));
}
