// Resolves the monorepo's path aliases (@fr/...) to the compiled files in dist/, for any process that
// runs compiled code: `node -r ./scripts/register-paths.js dist/...` (start.js and the bench's children).
'use strict';
const path = require('node:path');
const { register } = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.json');

register({ baseUrl: path.join(__dirname, '..', 'dist'), paths: compilerOptions.paths });
