// The API documentation: Swagger UI over this server's OpenAPI document, nothing fetched from elsewhere.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
