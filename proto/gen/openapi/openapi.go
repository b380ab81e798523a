// Package openapi embeds the OpenAPI (Swagger 2.0) document that `make generate` writes
// next to this file, so the server can serve it at /openapi.json. This file is written by
// hand; carepath.swagger.json is generated.
package openapi

import _ "embed"

// Spec is the OpenAPI document of the carepath REST API.
//
//go:embed carepath.swagger.json
var Spec []byte
