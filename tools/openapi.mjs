// Finishes the OpenAPI documents after `buf generate` (`make generate` runs it):
//   node tools/openapi.mjs proto/gen/openapi
//
// 1. Path parameters named for the resource. protoc-gen-openapiv2's
//    expand_slashed_path_patterns names the parameter after a collection by dropping a final
//    "s", which gives `/v1/youngPeople/{youngPeople}`; the irregular plural "people" is made
//    singular here, so `{youngPerson}`, `{person}` and `{sharedYoungPerson}`, as in the
//    protos' resource patterns, and each says what it holds (the plugin leaves them
//    undescribed). carepath.swagger.json is rewritten in place.
// 2. carepath.openapi.json, the same API as OpenAPI 3.1, converted by the pinned
//    @scalar/openapi-upgrader. Swagger 2.0 cannot declare HTTP bearer authentication, so
//    api.proto declares an API key in the Authorization header; the 3.1 document declares
//    the bearer scheme it stands for, and generators then send `Bearer <token>` themselves.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { upgrade } from '@scalar/openapi-upgrader';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node tools/openapi.mjs DIR (holding carepath.swagger.json)');
  process.exit(2);
}
const write = (file, doc) => writeFileSync(join(dir, file), JSON.stringify(doc, null, 2) + '\n');

const singular = (name) => name.replace(/([pP])eople$/, '$1erson');
const swagger = JSON.parse(readFileSync(join(dir, 'carepath.swagger.json'), 'utf8'));
swagger.paths = Object.fromEntries(
  Object.entries(swagger.paths).map(([path, item]) => {
    const expanded = path.replace(/\{(\w+)\}/g, (_, name) => `{${singular(name)}}`);
    for (const op of Object.values(item)) {
      for (const param of op.parameters ?? []) {
        if (param.in !== 'path') continue;
        param.name = singular(param.name);
        // The resource name up to this parameter: /v1/youngPeople/{youngPerson}/milestones/{milestone}
        // gives `youngPeople/{youngPerson}/milestones/{milestone}` for `milestone`.
        const end = expanded.indexOf(`{${param.name}}`) + param.name.length + 2;
        param.description ??= `The last segment of the resource name \`${expanded.slice('/v1/'.length, end)}\`.`;
      }
    }
    return [expanded, item];
  }),
);
write('carepath.swagger.json', swagger);

const { openapi, ...rest } = upgrade(swagger, '3.1');
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
write('carepath.openapi.json', doc);
