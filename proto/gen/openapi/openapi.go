// Package openapi embeds the OpenAPI documents that `make generate` writes next to this
// file, so the server can serve them: carepath.swagger.json (Swagger 2.0, from
// protoc-gen-openapiv2) at /openapi.json, and carepath.openapi.json (OpenAPI 3.1, converted
// from it by tools/openapi.mjs) at /openapi-3.1.json. This file is written by hand.
package openapi

import _ "embed"

// Spec is the Swagger 2.0 document of the carepath REST API.
//
//go:embed carepath.swagger.json
var Spec []byte

// Spec31 is the same API as an OpenAPI 3.1 document, which current client generators prefer.
//
//go:embed carepath.openapi.json
var Spec31 []byte
