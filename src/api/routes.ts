/** Registers our three services on a Connect router (health and reflection are added by the server). */
import type { ConnectRouter } from "@connectrpc/connect";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { createAdminService, type AdminHandlerDeps } from "./admin-service.js";
import { createRegistryService, type RegistryHandlerDeps } from "./registry-service.js";
import { createVerifierService, type VerifierHandlerDeps } from "./verifier-service.js";

export type ApiDeps = AdminHandlerDeps & RegistryHandlerDeps & VerifierHandlerDeps;

export function apiRoutes(deps: ApiDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(AdminService, createAdminService(deps));
    router.service(AgentRegistryService, createRegistryService(deps));
    router.service(VerifierService, createVerifierService(deps));
  };
}
