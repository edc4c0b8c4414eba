/** The google.rpc.BadRequest error detail (field violations), described at runtime so no extra package is needed. */
import { create } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { FieldViolation } from "../domain/errors.js";

const TYPE_STRING = 9;
const LABEL_OPTIONAL = 1;
const LABEL_REPEATED = 3;
const TYPE_MESSAGE = 11;

/** The subset of google/rpc/error_details.proto we send: BadRequest and BadRequest.FieldViolation. */
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "google/rpc/error_details.proto",
    package: "google.rpc",
    syntax: "proto3",
    messageType: [
      {
        name: "BadRequest",
        field: [
          { name: "field_violations", jsonName: "fieldViolations", number: 1, label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: ".google.rpc.BadRequest.FieldViolation" },
        ],
        nestedType: [
          {
            name: "FieldViolation",
            field: [
              { name: "field", jsonName: "field", number: 1, label: LABEL_OPTIONAL, type: TYPE_STRING },
              { name: "description", jsonName: "description", number: 2, label: LABEL_OPTIONAL, type: TYPE_STRING },
            ],
          },
        ],
      },
    ],
  }),
  () => undefined,
);

function messageDesc(typeName: string): DescMessage {
  const desc = registry.getMessage(typeName);
  if (desc === undefined) throw new Error(`missing descriptor ${typeName}`);
  return desc;
}

/** Descriptor of google.rpc.BadRequest (clients decode details with `err.findDetails(BadRequestSchema)`). */
export const BadRequestSchema: DescMessage = messageDesc("google.rpc.BadRequest");

/** The error detail naming each wrong field. */
export function badRequestDetail(violations: readonly FieldViolation[]): { desc: DescMessage; value: Record<string, unknown> } {
  return {
    desc: BadRequestSchema,
    value: { fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })) },
  };
}
