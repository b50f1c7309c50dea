/** Naming in generated TypeScript: identifiers, property access, string literals, relative paths. */
import path from "node:path";

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in " +
    "instanceof new null return super switch this throw true try typeof var void while with as implements interface let package private " +
    "protected public static yield any boolean constructor declare get module require number set string symbol type from of await async " +
    "undefined NaN Infinity arguments eval"
  ).split(" "),
);

export const isIdentifier = (name: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);

/** A local variable name for `name` that is a valid identifier and avoids `taken`. */
export function safeLocal(name: string, taken: ReadonlySet<string> = new Set()): string {
  let local = isIdentifier(name) ? name : `_${name.replace(/[^A-Za-z0-9_$]/g, "_")}`;
  if (RESERVED.has(local) || taken.has(local)) local = `${local}Value`;
  while (RESERVED.has(local) || taken.has(local)) local = `${local}_`;
  return local;
}

/** `Photo` -> `photo`, `HTTPRequest` -> `httpRequest`: the parameter name for a message of that type. */
export function camelName(typeName: string): string {
  const match = /^[A-Z]+(?=[A-Z][a-z]|$)/.exec(typeName);
  const head = match ? match[0].toLowerCase() : typeName.charAt(0).toLowerCase();
  return head + typeName.slice(match ? match[0].length : 1);
}

export const pascalName = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");

/** `.name` or `["4k"]`. */
export const propertyAccess = (name: string, optional = false) =>
  isIdentifier(name) ? `${optional ? "?." : "."}${name}` : `${optional ? "?." : ""}[${JSON.stringify(name)}]`;

/** A property name in a type or object literal. */
export const propertyName = (name: string) => (isIdentifier(name) ? name : JSON.stringify(name));

export const literal = (value: string) => JSON.stringify(value);

/** An import specifier from one generated file to another, both relative to the output directory. */
export function importPath(fromFile: string, toFile: string): string {
  // Resolved against a virtual root so that neither path can climb above it.
  const base = "/__out__";
  return moduleSpecifier(path.posix.relative(path.posix.dirname(path.posix.join(base, fromFile)), path.posix.join(base, toFile)));
}

/** A relative path as an ESM specifier: `./` in front, `.ts` written `.js` (NodeNext). */
export function moduleSpecifier(relative: string): string {
  let specifier = relative.split(path.sep).join("/");
  if (!specifier.startsWith(".")) specifier = `./${specifier}`;
  return specifier.replace(/\.(c|m)?tsx?$/, (ext) => (ext === ".mts" ? ".mjs" : ext === ".cts" ? ".cjs" : ".js"));
}

/** A path relative to the output directory, with forward slashes on every platform. */
export function relativeTo(outDir: string, file: string): string {
  return path.relative(outDir, file).split(path.sep).join("/");
}
