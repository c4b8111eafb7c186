// The pages run in browsers: DOM types for them. (Their own tsconfig, src/pages/tsconfig.json, type-checks them
// without Node types; the root project sees them too, through this reference.)
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
