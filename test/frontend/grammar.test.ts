/**
 * The lexer and the parser flowc uses skip Chevrotain's definition checks to
 * start faster (grammar/lexer.ts, grammar/parser.ts); they are run here instead.
 */
import { describe, expect, it } from "vitest";
import { validateGrammar } from "../../grammar/parser.js";

describe("grammar definition", () => {
  it("passes Chevrotain's lexer and grammar validations", () => {
    expect(() => validateGrammar()).not.toThrow();
  });
});
