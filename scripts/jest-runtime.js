// Jest's runtime, with V8's code cache for the modules it compiles (jest.config.js, `runtime`). Every test
// file gets a module registry of its own, so each e2e file compiles the whole engine again: NestJS,
// TypeORM, BullMQ, the app, about 1 s of V8 parsing and compiling a file on the loaded 2-core machine. Node's
// own require keeps no cache on Node 20 either. The cache holds what V8 compiled for a module's code and
// name, keyed by both, V8's version and the wrapper's parameters; V8 rejects data that does not fit (its
// own checks), and the module is then compiled as without it. Only the compilation is cached: each file
// still runs every module afresh in its own context.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const ESM_NEEDED = 'You need to run with a version of node that supports ES Modules in the VM API. See https://jestjs.io/docs/ecmascript-modules';

class CodeCachingRuntime extends Runtime {
  constructor(config, ...rest) {
    super(config, ...rest);
    // `--no-cache`: nothing read or written, as for Jest's transforms.
    if (config.cache === false) return;
    const executor = this.executor;
    const compile = executor.compile.bind(executor);
    const dir = join(config.cacheDirectory, `v8-code-cache-${process.version}`);
    mkdirSync(dir, { recursive: true });
    const params = executor.injectedModuleParameters;
    executor.compile = (source, filename) => {
      const context = executor.environment.getVmContext();
      // Node's core modules, and a file V8 refuses (its SyntaxError explained), as Jest does it.
      if (context == null || executor.resolution.isCoreModule(filename)) return compile(source, filename);
      const path = join(
        dir,
        createHash('sha256')
          .update(`${process.versions.v8}\0${params.join(',')}\0${filename}\0${source}`)
          .digest('hex'),
      );
      let cachedData;
      try {
        cachedData = readFileSync(path);
      } catch {
        cachedData = undefined;
      }
      const compiled = (data) =>
        vm.compileFunction(source, params, {
          filename,
          cachedData: data,
          produceCachedData: data === undefined,
          parsingContext: context,
          // As Jest's own compile: `import()` from a CommonJS module.
          importModuleDynamically: async (specifier, _fn, importAttributes, ...more) => {
            if (typeof vm.SyntheticModule !== 'function') throw new Error(ESM_NEEDED);
            return executor.dynamicImport(specifier, filename, context, importAttributes, more[0]);
          },
        });
      let fn;
      try {
        fn = compiled(cachedData);
      } catch {
        return compile(source, filename);
      }
      // Data V8 rejected (another build of it, other flags) is replaced by this compilation's.
      const fresh = cachedData === undefined ? fn : fn.cachedDataRejected ? compiled(undefined) : null;
      if (fresh?.cachedData) {
        // Whole or not at all: another Jest worker may read it meanwhile.
        const partial = `${path}.${process.pid}`;
        try {
          writeFileSync(partial, fresh.cachedData);
          renameSync(partial, path);
        } catch {
          // Unwritten, it costs the next file a compilation, nothing more.
        }
      }
      return fn;
    };
  }
}

module.exports = CodeCachingRuntime;
