// Validates an OpenAPI document with @apidevtools/swagger-parser (the OpenAPI 3.1 JSON
// schema, strictly). Usage: node validate_openapi.mjs openapi.json. Prints `valid <version>`
// or the problem, and exits 1 on a problem.
import process from 'node:process';

import SwaggerParser from '@apidevtools/swagger-parser';

try {
  const api = await SwaggerParser.validate(process.argv[2]);
  process.stdout.write(`valid ${api.openapi}\n`);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
