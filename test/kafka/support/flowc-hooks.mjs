// A module resolve hook for processes that run generated workers from outside the flowc
// package (a temp build dir): "flowc/runtime" and "flowc/stdlib" resolve to this checkout's
// TypeScript sources (compiled by tsx), the same module instances the test harness uses.
const root = new URL("../../../", import.meta.url);
const targets = {
  "flowc/runtime": new URL("runtime/index.ts", root).href,
  "flowc/stdlib": new URL("stdlib/index.ts", root).href,
};

export async function resolve(specifier, context, next) {
  const target = targets[specifier];
  return target === undefined ? next(specifier, context) : next(target, context);
}
