// Starts Swagger UI on the API's schema (duoflow/console/api_docs.py). The schema's server is ".", relative to
// where it is served, so "Try it out" calls /api/... here and the stage root behind API Gateway.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    validatorUrl: null, // no badge from validator.swagger.io: the page makes no request off this server
    presets: [SwaggerUIBundle.presets.apis],
  });
});
