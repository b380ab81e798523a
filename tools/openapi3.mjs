// Writes the OpenAPI 3.1 document beside the Swagger 2.0 one that protoc-gen-openapiv2
// generates (`make generate` runs it): node tools/openapi3.mjs IN.swagger.json OUT.json
//
// The conversion is the pinned @scalar/openapi-upgrader's; the one change made here is the
// bearer scheme. Swagger 2.0 cannot declare HTTP bearer authentication, so api.proto declares
// an API key in the Authorization header; OpenAPI 3.1 can, and generators then send
// `Authorization: Bearer <token>` themselves.
import { readFileSync, writeFileSync } from 'node:fs';
import { upgrade } from '@scalar/openapi-upgrader';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node tools/openapi3.mjs IN.swagger.json OUT.json');
  process.exit(2);
}
const { openapi, ...rest } = upgrade(JSON.parse(readFileSync(input, 'utf8')), '3.1');
const doc = { openapi, ...rest }; // the version first, as readers expect

for (const [name, scheme] of Object.entries(doc.components?.securitySchemes ?? {})) {
  if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name === 'Authorization') {
    doc.components.securitySchemes[name] = {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: scheme.description,
    };
  }
}
writeFileSync(output, JSON.stringify(doc, null, 2) + '\n');
