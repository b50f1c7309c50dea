/** A small deterministic PRNG, so a seed gives the same program everywhere. */
export declare function random(seed: number): () => number;
/**
 * A program of `pipelines` pipelines over the five patterns and handlers, spread over
 * `files` files. Returns file name -> text. Handlers point to `./handlers.ts`, which does
 * not exist: build it with handler checks off.
 */
export declare function syntheticProgram(pipelines: number, files?: number, seed?: number): Map<string, string>;
