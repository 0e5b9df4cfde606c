export * from "./services.ts";
export * from "./infra.ts";
export * from "./http.ts";
export * from "./under-test.ts";
export * from "./fresh-node.ts";
