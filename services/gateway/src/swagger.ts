// Swagger UI at /swagger: the page every service serves for its own routes (the platform's), here
// over the gateway's whole document.
export { swaggerUi } from "@eventscope/platform";
