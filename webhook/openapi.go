package webhook

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI is the OpenAPI 3 description of the whole HTTP API. It is embedded
// so the binary serves the document that matches its routes; a test checks
// every registered route is in it and every path in it is registered.
//
//go:embed openapi.yaml
var openAPI []byte

// handleOpenAPI serves the document for people and for tools (Swagger UI,
// code generators). It is public: it describes, it holds no secrets.
func (s *server) handleOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPI)
}
