// The /docs page: Swagger UI on this server's own OpenAPI description (no CDN).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
