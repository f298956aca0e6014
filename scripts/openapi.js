#!/usr/bin/env node
// Writes the API's OpenAPI document, openapi/openapi.json, from the compiled code without starting the
// API (nothing connects to PostgreSQL or Redis), then the TypeScript types generated from it,
// openapi/schema.d.ts. `npm run openapi` builds first; apps/api/src/openapi.spec.ts fails while
// either file differs from what the code gives.
'use strict';
const path = require('node:path');
const { writeFileSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const { register } = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.json');

const root = path.join(__dirname, '..');
register({ baseUrl: path.join(root, 'dist'), paths: compilerOptions.paths });
const { loadConfig } = require(path.join(root, 'dist/libs/config/src'));
const { createApiDocument } = require(path.join(root, 'dist/apps/api/src/bootstrap'));

const json = path.join(root, 'openapi/openapi.json');
const types = path.join(root, 'openapi/schema.d.ts');

createApiDocument(loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' })).then(
  (doc) => {
    writeFileSync(json, `${JSON.stringify(doc, null, 2)}\n`);
    execFileSync(process.execPath, [path.join(root, 'node_modules/openapi-typescript/bin/cli.js'), json, '--output', types], { stdio: 'inherit' });
    console.log(`wrote ${path.relative(root, json)} (${Object.keys(doc.paths).length} paths) and ${path.relative(root, types)}`);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
