// The API's documentation page (/api/v1/docs/): Swagger UI on the live schema. Started from
// this file, not an inline script, as the Content Security Policy allows no inline script.
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");

window.ui = SwaggerUIBundle({
  url: root.dataset.schemaUrl,
  domNode: root,
  deepLinking: true,
  // The default would load a badge from validator.swagger.io: no third party on this page.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
