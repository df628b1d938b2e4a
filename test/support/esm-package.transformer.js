// Jest transformer for packages published only as ES modules (Nest 12 and the few it loads).
// Our tests and library run as CommonJS; Jest's module loader cannot require() an ES module on
// Node 20, and on Node 24 only behind --experimental-vm-modules. Compiling these files to CommonJS
// keeps one module graph, one Jest registry and the same behaviour on every runtime we support.
// It uses the TypeScript compiler the project already has instead of adding Babel.
const crypto = require('node:crypto');
const fs = require('node:fs');
const ts = require('typescript');

const OWN_SOURCE = fs.readFileSync(__filename, 'utf8');

// `import.meta` has no meaning in CommonJS; these are its CommonJS equivalents. Nest 12 uses
// `createRequire(import.meta.url)`, which Jest maps back onto its own registry.
const IMPORT_META = [
  // An ES module's own `require` (Terminus 12 makes one) is the CommonJS wrapper's, which it would redeclare.
  [/^const require = createRequire\(import\.meta\.url\);$/gm, ''],
  [/\bimport\.meta\.url\b/g, "require('node:url').pathToFileURL(__filename).href"],
  [/\bimport\.meta\.filename\b/g, '__filename'],
  [/\bimport\.meta\.dirname\b/g, '__dirname'],
  [/\bimport\.meta\.resolve\(/g, 'require.resolve('],
];

const COMPILER_OPTIONS = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  allowJs: true,
  esModuleInterop: true,
  sourceMap: true,
};

module.exports = {
  process(sourceText, sourcePath) {
    const source = IMPORT_META.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), sourceText);
    const { outputText, sourceMapText } = ts.transpileModule(source, {
      fileName: sourcePath,
      compilerOptions: COMPILER_OPTIONS,
    });
    return { code: outputText, map: sourceMapText };
  },

  getCacheKey(sourceText, sourcePath) {
    return crypto.createHash('sha256').update(OWN_SOURCE).update(ts.version).update(sourcePath).update(sourceText).digest('hex');
  },
};
