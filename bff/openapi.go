package bff

import _ "embed"

// openAPI is the BFF's API as an OpenAPI 3.1 document, served at /openapi.json. It is kept in
// the repository (bff/openapi.json) and the tests validate every answer the BFF and the
// sandbox give them against it, so the document and the code cannot drift apart.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the BFF's OpenAPI 3.1 document.
func OpenAPI() []byte { return openAPI }
