/**
 * Phase 2: tokens -> concrete syntax tree, with Chevrotain's error recovery.
 *
 * A file is cut into declarations at their leading keyword before parsing, so a
 * broken declaration never swallows the next one: one run reports every syntax
 * error in a file and still yields a tree for every declaration that parsed.
 */
import type { CstNode, IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { CstParser, EOF, Lexer } from "./chevrotain.js";
import { lexerConfig } from "./lexer.js";
import * as T from "./tokens.js";

/** Parser errors carry "expected" and "found" apart, so diagnostics can phrase them. */
export interface SyntaxProblem {
  /** The offending token; for a problem at the end of a declaration, its last token. */
  readonly token: IToken;
  /** True when the declaration ended early: the problem sits just after `token`. */
  readonly atEnd: boolean;
  readonly expected: string;
  readonly found: string;
  /** The keyword of the declaration the problem is in (`pipeline`, `schema`, ...). */
  readonly declaration: string;
}

const describe = (token: IToken | undefined): string => {
  if (token === undefined || token.tokenType === EOF) return "end of file";
  if (token.tokenType === T.Identifier) return `'${token.image}'`;
  if (token.tokenType === T.StringLiteral || token.tokenType === T.UnterminatedString) return "a string";
  if (token.tokenType === T.NumberLiteral || token.tokenType === T.Duration) return `'${token.image}'`;
  return `'${token.image}'`;
};

const labelOf = (type: TokenType): string => {
  if (type === T.Identifier) return "a name";
  return type.LABEL ?? type.name;
};

const SEPARATOR = "\u0000";

const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `${labelOf(expected)}${SEPARATOR}${describe(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `a new declaration${SEPARATOR}${describe(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    const firsts = new Set<string>();
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path.length > 0) firsts.add(labelOf(path[0]));
    const expected = customUserDescription ?? oneOf([...firsts]);
    return `${expected}${SEPARATOR}${describe(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const firsts = new Set<string>();
    for (const path of expectedIterationPaths) if (path.length > 0) firsts.add(labelOf(path[0]));
    const expected = customUserDescription ?? oneOf([...firsts]);
    return `${expected}${SEPARATOR}${describe(actual[0])}`;
  },
};

function oneOf(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "something else";
  if (items.length > 6) return "an expression";
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

export class FlowParser extends CstParser {
  /**
   * `validate` runs Chevrotain's grammar validations (ambiguities, left
   * recursion, ...). They only ever throw, for a grammar with a mistake, and
   * they were half of building the parser on every start, so the parser that
   * parses skips them and the tests run them (`validateGrammar`).
   */
  constructor(options: { validate?: boolean } = {}) {
    super(T.allTokens, { recoveryEnabled: true, errorMessageProvider: messageProvider, maxLookahead: 3, skipValidations: options.validate !== true });
    this.performSelfAnalysis();
  }

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.schemaDecl) },
      { ALT: () => this.SUBRULE(this.enumDecl) },
      { ALT: () => this.SUBRULE(this.topicDecl) },
      { ALT: () => this.SUBRULE(this.handlerDecl) },
      { ALT: () => this.SUBRULE(this.pipelineDecl) },
    ]);
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  schemaDecl = this.RULE("schemaDecl", () => {
    this.CONSUME(T.Schema);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.fieldBlock);
  });

  fieldBlock = this.RULE("fieldBlock", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.fieldDecl);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  fieldDecl = this.RULE("fieldDecl", () => {
    this.SUBRULE(this.name);
    this.OPTION(() => this.CONSUME(T.Question));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeRef);
  });

  typeRef = this.RULE("typeRef", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.typeRef);
          this.CONSUME(T.RBracket);
        },
      },
      { ALT: () => this.SUBRULE(this.fieldBlock) },
    ]);
  });

  enumDecl = this.RULE("enumDecl", () => {
    this.CONSUME(T.Enum);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.CONSUME2(T.Identifier);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  topicDecl = this.RULE("topicDecl", () => {
    this.CONSUME(T.Topic);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeRef);
    this.OPTION(() => this.SUBRULE(this.argumentList));
  });

  handlerDecl = this.RULE("handlerDecl", () => {
    this.CONSUME(T.Handler);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.typeRef);
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE2(this.typeRef);
    });
    this.CONSUME(T.From);
    this.CONSUME(T.StringLiteral);
  });

  pipelineDecl = this.RULE("pipelineDecl", () => {
    this.CONSUME(T.Pipeline);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier), ERR_MSG: "a source topic" });
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE(this.stage);
    });
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.sink);
    });
    this.CONSUME(T.RBrace);
  });

  /** A stage call followed by its policies: map(render) retry(5) timeout(10s). */
  stage = this.RULE("stage", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.call));
  });

  call = this.RULE("call", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.argumentList) },
        { ALT: () => this.SUBRULE(this.argumentBlock) },
      ]);
    });
  });

  argumentList = this.RULE("argumentList", () => {
    this.CONSUME(T.LParen);
    this.MANY(() => {
      this.SUBRULE(this.argument);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  argumentBlock = this.RULE("argumentBlock", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.argument);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Else) }]);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression);
  });

  sink = this.RULE("sink", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.MANY(() => {
            this.CONSUME2(T.Identifier);
            this.CONSUME(T.Colon);
            this.CONSUME3(T.Identifier);
            this.OPTION(() => this.CONSUME(T.Comma));
          });
          this.CONSUME(T.RBrace);
        },
      },
    ]);
  });

  // --- expressions ---------------------------------------------------------
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.andExpression);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpression);
    });
  });

  andExpression = this.RULE("andExpression", () => {
    this.SUBRULE(this.notExpression);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpression);
    });
  });

  notExpression = this.RULE("notExpression", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpression);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.rangeExpression);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.OR2([
              { ALT: () => this.CONSUME(T.EqualEqual) },
              { ALT: () => this.CONSUME(T.NotEqual) },
              { ALT: () => this.CONSUME(T.LessEqual) },
              { ALT: () => this.CONSUME(T.GreaterEqual) },
              { ALT: () => this.CONSUME(T.Less) },
              { ALT: () => this.CONSUME(T.Greater) },
            ]);
            this.SUBRULE2(this.rangeExpression);
          },
        },
        {
          ALT: () => {
            this.OPTION2(() => this.CONSUME(T.Not));
            this.CONSUME(T.In);
            this.SUBRULE(this.listExpression);
          },
        },
      ]);
    });
  });

  rangeExpression = this.RULE("rangeExpression", () => {
    this.SUBRULE(this.primary);
    this.OPTION(() => {
      this.CONSUME(T.Range);
      this.SUBRULE2(this.primary);
    });
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.path) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Duration) },
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.OR2([{ ALT: () => this.CONSUME2(T.NumberLiteral) }, { ALT: () => this.CONSUME2(T.Duration) }]);
        },
      },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.Has);
          this.CONSUME(T.LParen);
          this.SUBRULE2(this.path);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME2(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.listExpression) },
    ]);
  });

  listExpression = this.RULE("listExpression", () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.expression);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  /** A field path: .prefs.email */
  path = this.RULE("path", () => {
    this.AT_LEAST_ONE(() => {
      this.CONSUME(T.Dot);
      this.SUBRULE(this.name);
    });
  });

  /** Field names may be any keyword (`from`, `topic`, `not`), as docs/language.md says. */
  name = this.RULE("name", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.Import) },
      { ALT: () => this.CONSUME(T.Schema) },
      { ALT: () => this.CONSUME(T.Enum) },
      { ALT: () => this.CONSUME(T.Topic) },
      { ALT: () => this.CONSUME(T.Handler) },
      { ALT: () => this.CONSUME(T.Pipeline) },
      { ALT: () => this.CONSUME(T.From) },
      { ALT: () => this.CONSUME(T.In) },
      { ALT: () => this.CONSUME(T.Has) },
      { ALT: () => this.CONSUME(T.Else) },
      { ALT: () => this.CONSUME(T.And) },
      { ALT: () => this.CONSUME(T.Or) },
      { ALT: () => this.CONSUME(T.Not) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
    ]);
  });
}

/**
 * Builds the lexer and the parser with Chevrotain's definition checks on; they
 * throw if the token or grammar definitions have a mistake. Run by the tests,
 * since the lexer and the parser that flowc uses skip them.
 */
export function validateGrammar(): void {
  new Lexer(T.allTokens, { ...lexerConfig, skipValidations: false });
  new FlowParser({ validate: true });
}

/** One parser instance, reused: Chevrotain parsers are built once and fed new input. */
let shared: FlowParser | undefined;
export function flowParser(): FlowParser {
  shared ??= new FlowParser();
  return shared;
}

const declarationKeywords = new Set<TokenType>([T.Import, T.Schema, T.Enum, T.Topic, T.Handler, T.Pipeline]);

/**
 * True where a declaration keyword starts a declaration (not a field named
 * `topic`, and not a path segment `.topic`).
 */
function startsDeclaration(tokens: readonly IToken[], index: number): boolean {
  const token = tokens[index];
  if (!declarationKeywords.has(token.tokenType)) return false;
  const previous = tokens[index - 1];
  const next = tokens[index + 1];
  if (previous !== undefined && previous.tokenType === T.Dot) return false;
  if (next !== undefined && (next.tokenType === T.Colon || next.tokenType === T.Question)) return false;
  return true;
}

export interface DeclarationChunk {
  readonly tokens: IToken[];
  /** True for tokens before the first declaration, or between declarations, that start none. */
  readonly stray: boolean;
}

export function splitDeclarations(tokens: readonly IToken[]): DeclarationChunk[] {
  const chunks: DeclarationChunk[] = [];
  let current: IToken[] = [];
  let stray = true;
  for (let i = 0; i < tokens.length; i++) {
    if (startsDeclaration(tokens, i)) {
      if (current.length > 0) chunks.push({ tokens: current, stray });
      current = [];
      stray = false;
    }
    current.push(tokens[i]);
  }
  if (current.length > 0) chunks.push({ tokens: current, stray });
  return chunks;
}

export interface ParsedDeclaration {
  readonly cst: CstNode;
  readonly tokens: IToken[];
}

export interface ParseResult {
  readonly declarations: ParsedDeclaration[];
  readonly problems: SyntaxProblem[];
  /** Runs of tokens that start no declaration. */
  readonly strays: IToken[][];
}

export function parseTokens(tokens: readonly IToken[]): ParseResult {
  return parseChunks(splitDeclarations(tokens));
}

/**
 * Parses declarations already cut by `splitDeclarations`. The tree builder drops
 * chunks that nest too deeply and parses the rest as cut, so dropping one chunk
 * never joins its neighbours.
 */
export function parseChunks(chunks: readonly DeclarationChunk[]): ParseResult {
  const declarations: ParsedDeclaration[] = [];
  const problems: SyntaxProblem[] = [];
  const strays: IToken[][] = [];
  for (let index = 0; index < chunks.length; index++) {
    const chunk = chunks[index];
    if (chunk.stray) {
      strays.push(chunk.tokens);
      continue;
    }
    declarations.push({ cst: parseChunk(chunks, index, problems), tokens: chunk.tokens });
  }
  return { declarations, problems, strays };
}

/**
 * Parses one declaration of the chunks cut by `splitDeclarations` (not a stray
 * one), adding its syntax problems to `problems`. Chunk by chunk, a caller that
 * turns each tree into something smaller at once lets it die young.
 */
export function parseChunk(chunks: readonly DeclarationChunk[], index: number, problems: SyntaxProblem[]): CstNode {
  const parser = flowParser();
  const chunk = chunks[index];
  parser.input = chunk.tokens;
  const cst = parser.declaration();
  for (const error of parser.errors) {
    const [expected, found] = error.message.split(SEPARATOR);
    const atEnd = error.token.tokenType === EOF || Number.isNaN(error.token.startOffset);
    const token = atEnd ? chunk.tokens[chunk.tokens.length - 1] : error.token;
    // At the end of a declaration the parser saw EOF; the reader sees the next declaration.
    const next = chunks[index + 1]?.tokens[0];
    const shown = atEnd && next !== undefined ? describe(next) : found ?? describe(error.token);
    problems.push({ token, atEnd, expected, found: shown, declaration: chunk.tokens[0].image });
  }
  return cst;
}
