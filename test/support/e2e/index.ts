export * from "./clients.js";
export * from "./dockerd.js";
export * from "./env.js";
export * from "./helper-bin.js";
export * from "./process.js";
export * from "./registry.js";
export * from "./tls.js";
export * from "./trace.js";
